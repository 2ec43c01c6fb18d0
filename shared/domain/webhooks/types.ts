/**
 * Provider webhooks (README: Connect your senders): each provider module checks the request's signature on the raw
 * bytes and maps the payload to canonical events (the `POST /v1/events` shape, validated by the
 * same schema afterwards). Verification throws `UnauthorizedError` (401) for a missing or bad
 * signature or an expired timestamp, `ValidationError` (400) for a payload it cannot read.
 */

/** The parts of an HTTP request a provider module may look at. */
export interface WebhookRequest {
  readonly method: 'GET' | 'POST';
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received (after base64 and gzip decoding), never re-serialised. */
  readonly rawBody: Buffer;
}

/** What a provider asks the endpoint to answer, when it is not a plain 200 (Meta's challenge, SNS confirmation). */
export interface WebhookReply {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

export interface WebhookOutcome {
  /** Canonical events (objects in the `POST /v1/events` event shape), each with a provider-derived `eventId`. */
  readonly events: readonly Record<string, unknown>[];
  /** A reply other than `200 { accepted }`, e.g. the verification challenge. */
  readonly reply?: WebhookReply;
  /**
   * A value the signature covers that a genuine delivery carries once (Mailgun signs only
   * timestamp + token, not the body): a second request with it within the replay window is
   * refused, so a captured signature cannot carry other events.
   */
  readonly replayKey?: string;
}

/** Signature checks allow this much clock difference, both ways (a 5-minute replay window: README, Connect your senders). */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { ForbiddenError, UnauthorizedError, ValidationError } from '../errors.ts';
import {
  fromHex,
  isoFromUnixSeconds,
  isRecord,
  parseJsonBody,
  providerEventId,
  requireHeader,
  safeEqual,
  safeEqualText,
  textOf,
  type WebhookProvider,
} from './common.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

/**
 * Meta (Facebook / Instagram) lead ads webhooks, the Graph API webhooks of a Page.
 *
 * Subscribing: Meta sends `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`; when
 * the token equals the configured `verifyToken` (constant time) the answer is the challenge as
 * `200 text/plain`. A wrong token or mode is a `403` (`ForbiddenError`), which is what Meta's
 * documentation asks for: the caller is known to be unauthorised, not unauthenticated.
 *
 * Notifications: `POST` with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed
 * with the app secret>`; a missing or wrong signature is a `401`. The scheme has no timestamp, so
 * there is no replay window (Meta retries a failed delivery for hours, with the same body, so the
 * body's own times cannot serve as one); a replay is harmless because the lead id is the event id.
 *
 * Payload: `{ object: "page", entry: [ { id, time, changes: [ { field: "leadgen", value:
 * { leadgen_id, form_id, ad_id, adgroup_id, page_id, created_time } } ] } ] }`. Each `leadgen`
 * change becomes a `lead` conversion:
 * - `eventId` `meta:<leadgen_id>`, `anonymousId` `meta-lead:<leadgen_id>` (the payload names no
 *   person; the lead's fields are only readable through the Graph API);
 * - `occurredAt` from `created_time` (else the entry's `time`, else the time of receipt);
 * - `campaign` the payload's `campaign_id` when present, else none: a lead names its ad
 *   (`ad_id`; `adgroup_id` is the same ad under its legacy name), not its campaign, and an ad id
 *   in `campaign` would never join the spend rows, which are per campaign;
 * - `utm` `{ source: facebook, medium: paid_social }` and the ad, form and page ids in
 *   `properties`.
 * Other objects and fields (feed, messages, ...) are accepted and produce no event.
 */

export const metaSecretsSchema = z.strictObject({
  /** The app secret (App settings → Basic), the HMAC key of `X-Hub-Signature-256`. */
  appSecret: z.string().min(1),
  /** The verify token typed into the webhook subscription, echoed in the `GET` challenge. */
  verifyToken: z.string().min(1),
});
export type MetaSecrets = z.output<typeof metaSecretsSchema>;

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';
const SHA256_BYTES = 32;
const MAX_CHALLENGE = 256;

/** The subscription handshake: the challenge back as text, or a 403. */
export function answerMetaChallenge(request: WebhookRequest, secrets: MetaSecrets): WebhookOutcome {
  const mode = request.query['hub.mode'];
  const token = request.query['hub.verify_token'];
  const challenge = request.query['hub.challenge'];
  if (mode !== 'subscribe' || token === undefined || !safeEqualText(token, secrets.verifyToken)) {
    throw new ForbiddenError('hub.mode must be subscribe and hub.verify_token must match');
  }
  if (challenge === undefined || challenge === '' || challenge.length > MAX_CHALLENGE) {
    throw new ValidationError(`hub.challenge must hold 1 to ${MAX_CHALLENGE} characters`, {
      issues: [{ path: 'hub.challenge', message: 'is required' }],
    });
  }
  return {
    events: [],
    reply: { statusCode: 200, contentType: 'text/plain; charset=utf-8', body: challenge },
  };
}

/** Checks `X-Hub-Signature-256`; throws 401 when it is missing, malformed or wrong. */
export function verifyMeta(request: WebhookRequest, secrets: MetaSecrets): void {
  const header = requireHeader(request, META_SIGNATURE_HEADER);
  const given = header.startsWith('sha256=')
    ? fromHex(header.slice('sha256='.length), SHA256_BYTES)
    : undefined;
  if (!given) throw new UnauthorizedError(`${META_SIGNATURE_HEADER} must be sha256=<64 hex digits>`);
  const expected = createHmac('sha256', secrets.appSecret).update(request.rawBody).digest();
  if (!safeEqual(given, expected)) throw new UnauthorizedError(`${META_SIGNATURE_HEADER} does not match`);
}

/** One `leadgen` change value → a `lead` conversion (undefined without a lead id). */
export function mapMetaLead(
  value: Record<string, unknown>,
  entryTime: unknown,
  now: number,
): Record<string, unknown> | undefined {
  const leadId = textOf(value.leadgen_id, 1024);
  if (!leadId) return undefined;
  const campaign = textOf(value.campaign_id);
  const properties: Record<string, unknown> = { provider: 'meta', leadgenId: leadId };
  const ids = {
    adId: value.ad_id,
    adGroupId: value.adgroup_id,
    formId: value.form_id,
    pageId: value.page_id,
  };
  for (const [name, id] of Object.entries(ids)) {
    const text = textOf(id, 64);
    if (text) properties[name] = text;
  }
  return {
    eventId: providerEventId('meta', leadId),
    type: 'conversion',
    name: 'lead',
    occurredAt:
      isoFromUnixSeconds(value.created_time) ?? isoFromUnixSeconds(entryTime) ?? new Date(now).toISOString(),
    anonymousId: `meta-lead:${leadId.slice(0, 200)}`,
    ...(campaign ? { campaign } : {}),
    utm: { source: 'facebook', medium: 'paid_social' },
    properties,
  };
}

/** The lead conversions of a verified notification. */
export function mapMetaPayload(payload: unknown, now: number): Record<string, unknown>[] {
  if (!isRecord(payload))
    throw new ValidationError('the Meta body must be a JSON object', {
      issues: [{ path: '(body)', message: 'must be a JSON object' }],
    });
  if (payload.object !== 'page' || !Array.isArray(payload.entry)) return [];
  const events: Record<string, unknown>[] = [];
  for (const entry of payload.entry) {
    if (!isRecord(entry) || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes) {
      if (!isRecord(change) || change.field !== 'leadgen' || !isRecord(change.value)) continue;
      const event = mapMetaLead(change.value, entry.time, now);
      if (event) events.push(event);
    }
  }
  return events;
}

export function handleMeta(request: WebhookRequest, secrets: MetaSecrets, now: number): WebhookOutcome {
  if (request.method === 'GET') return answerMetaChallenge(request, secrets);
  verifyMeta(request, secrets);
  return { events: mapMetaPayload(parseJsonBody(request.rawBody), now) };
}

export const metaWebhook: WebhookProvider<MetaSecrets> = {
  configKey: 'meta',
  secretsSchema: metaSecretsSchema,
  handle: handleMeta,
};

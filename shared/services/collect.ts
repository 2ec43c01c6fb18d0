import type { KeyStore } from '#adapters/key-store.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { ForbiddenError, InternalError, UnauthorizedError } from '#domain/errors.ts';
import { unfaithfulValue } from '#domain/json-value.ts';
import { isOriginAllowed } from '#domain/origins.ts';
import { type PrivacyRefusal, privacyRefusalOf, scrubPersonalData } from '#domain/privacy.ts';
import {
  identityLinkOf,
  MAX_MESSAGE_BYTES,
  mapSegmentMessage,
  segmentMessageSchema,
} from '#domain/segment.ts';
import { hashEmail } from '#domain/stored-event.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';
import { type RejectedEvent, takeInEvents } from './intake.ts';

/**
 * Deepest nesting of a message: its properties may nest 32 levels (the event schema's limit) under
 * a few of the message's own. Deeper would overflow the scrubber's recursion.
 */
const MAX_MESSAGE_DEPTH = 40;

export interface CollectDeps {
  readonly rawStore: RawStore;
  readonly keyStore: KeyStore;
  readonly config: AttributionConfig;
  readonly hashSecret: string | undefined;
}

export interface WriteKeyPresented {
  readonly key: string | undefined;
  /** The request's `Origin` header: a key bound to origins is good only from those pages. */
  readonly origin: string | undefined;
  /** Whether an ingest API key may stand in for a write key (a server SDK's request). */
  readonly serverKeys: boolean;
}

/**
 * Checks who may send: a browser (a request with an `Origin`) only from `cors.allowedOrigins`,
 * with a write key (the config's `writeKeys` or a minted `collect` key) and, for a key bound to
 * origins, from one of those. A server SDK may also use an `ingest` API key (`serverKeys`); a
 * secret key sent from a page is refused, since every visitor can read it there.
 */
export async function authenticateWriteKey(presented: WriteKeyPresented, deps: CollectDeps): Promise<void> {
  const { key, origin } = presented;
  if (origin !== undefined && !isOriginAllowed(origin, deps.config.cors.allowedOrigins)) {
    throw new ForbiddenError(`origin ${origin} is not in cors.allowedOrigins`, {
      issues: [{ path: 'origin', message: 'must be one of cors.allowedOrigins' }],
    });
  }
  if (!key)
    throw new UnauthorizedError('send the write key as HTTP Basic user name, as writeKey or ?writeKey=');
  const configured = deps.config.writeKeys
    .map((entry) => (typeof entry === 'string' ? { key: entry, allowedOrigins: undefined } : entry))
    .find((entry) => entry.key === key);
  const record = configured ? undefined : await deps.keyStore.find(key);
  const isWriteKey = configured !== undefined || record?.scopes.includes('collect') === true;
  const isIngestKey = record?.scopes.includes('ingest') === true;
  if (!isWriteKey && !(isIngestKey && presented.serverKeys)) {
    throw new UnauthorizedError(
      isIngestKey ? 'an ingest API key is secret: pages must send a write key' : 'the write key is not valid',
    );
  }
  const allowedOrigins = configured?.allowedOrigins ?? record?.allowedOrigins;
  if (allowedOrigins && !isOriginAllowed(origin, allowedOrigins)) {
    throw new ForbiddenError(
      origin
        ? `this write key may not be used from ${origin}`
        : 'this write key is bound to origins; send Origin',
      { issues: [{ path: 'origin', message: 'must be one of the origins the write key is bound to' }] },
    );
  }
}

export interface CollectRequest {
  readonly messages: readonly unknown[];
  readonly requestId: string;
  readonly receivedAt: string;
  /** The batch's `sentAt` (the client's clock when it sent), for messages without their own. */
  readonly batchSentAt: string | undefined;
  /** `Sec-GPC` request header. */
  readonly secGpc: string | undefined;
  /** The request's own user agent when a browser sent it (it had an Origin), for messages without one. */
  readonly browserUserAgent: string | undefined;
}

export interface CollectOutcome {
  readonly accepted: number;
  readonly archived: number;
  /** Messages not kept at all, by reason: no analytics consent, Global Privacy Control. */
  readonly filtered: Readonly<Record<PrivacyRefusal, number>>;
  readonly rejected: RejectedEvent[];
}

/**
 * The Segment/RudderStack tracking API's messages in: each checked, dropped when the visitor did
 * not consent, cleared of personal data (IP, e-mail, names), then mapped: page views and
 * conversions become events; messages that carry two ids also link them; the rest is archived.
 * Every event goes through the one intake path.
 */
export async function collectMessages(request: CollectRequest, deps: CollectDeps): Promise<CollectOutcome> {
  const { hashSecret } = deps;
  if (!hashSecret)
    throw new InternalError('no e-mail hash key is configured (PII_HASH_SECRET or PII_HASH_SECRET_ARN)');
  const hash = (email: string) => hashEmail(email, hashSecret);
  const candidates: Array<{ index: number; event: unknown }> = [];
  /** Indexes whose event only links ids: one that cannot link is archived, not rejected. */
  const linksOnly = new Set<number>();
  const archived: unknown[] = [];
  const rejected: RejectedEvent[] = [];
  const filtered: Record<PrivacyRefusal, number> = { consent: 0, gpc: 0 };
  request.messages.forEach((candidate, index) => {
    if (byteLengthOf(candidate) > MAX_MESSAGE_BYTES) {
      rejected.push({
        index,
        errors: [{ path: '(message)', message: `must be at most ${MAX_MESSAGE_BYTES} bytes` }],
      });
      return;
    }
    const nesting = unfaithfulValue(candidate, { maxDepth: MAX_MESSAGE_DEPTH, safeIntegers: false });
    if (nesting) {
      rejected.push({
        index,
        errors: [{ path: nesting.path.join('.') || '(message)', message: nesting.message }],
      });
      return;
    }
    const parsed = segmentMessageSchema.safeParse(candidate);
    if (!parsed.success) {
      rejected.push({ index, errors: toFieldIssues(parsed.error) });
      return;
    }
    const refusal = privacyRefusalOf(
      { context: parsed.data.context, secGpc: request.secGpc },
      deps.config.privacy,
    );
    if (refusal) {
      filtered[refusal] += 1;
      return;
    }
    const message = scrubPersonalData(parsed.data, hash);
    const mapping = mapSegmentMessage(message, deps.config, {
      receivedAt: request.receivedAt,
      batchSentAt: request.batchSentAt,
      browserUserAgent: request.browserUserAgent,
    });
    if (mapping.kind === 'event') {
      candidates.push({ index, event: mapping.event });
      return;
    }
    archived.push({ ...message, receivedAt: request.receivedAt });
    const link = identityLinkOf(message, request.receivedAt);
    if (!link) return;
    linksOnly.add(index);
    candidates.push({ index, event: link });
  });
  const [outcome] = await Promise.all([
    takeInEvents(
      { candidates, source: 'segment', requestId: request.requestId, receivedAt: request.receivedAt },
      { ...deps, hashSecret },
    ),
    archived.length > 0 ? deps.rawStore.putArchive(archived, request.requestId) : undefined,
  ]);
  rejected.push(...outcome.rejected.filter((r) => !linksOnly.has(r.index)));
  rejected.sort((a, b) => a.index - b.index);
  return { accepted: outcome.accepted, archived: archived.length, filtered, rejected };
}

/** Serialised size; a value nested too deep to serialise counts as too large. */
function byteLengthOf(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

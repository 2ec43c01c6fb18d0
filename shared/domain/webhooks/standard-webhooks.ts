import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import { MAX_EVENTS_PER_BATCH } from '../event-schema.ts';
import {
  checkTimestamp,
  isRecord,
  parseJsonBody,
  providerEventId,
  requireHeader,
  requirePost,
  safeEqual,
  type WebhookProvider,
} from './common.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

/**
 * A generic signed endpoint following the Standard Webhooks specification, for ad platforms
 * and bridges (Zapier, Make, a platform's own export job) that post canonical events.
 *
 * Signature: `webhook-signature` holds one or more space-separated `v1,<base64>` values, each an
 * HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed with the bytes of the
 * secret (`whsec_` + base64). Several values allow key rotation; other versions (`v1a`, the
 * asymmetric variant) are skipped. `webhook-id` is the delivery's id, the same on every retry.
 *
 * Payload: `{ "type": "...", "timestamp": "...", "data": <one event> }` or
 * `{ ..., "data": { "events": [ <event>, ... ] } }`, each event in the `POST /v1/events` shape.
 * An event without `eventId` gets `standard:<webhook-id>` (one event) or
 * `standard:<webhook-id>:<index>` (a list); an event without `occurredAt` gets the payload's
 * `timestamp`. The events are validated by the event schema afterwards, like any other.
 */

export const STANDARD_ID_HEADER = 'webhook-id';
export const STANDARD_TIMESTAMP_HEADER = 'webhook-timestamp';
export const STANDARD_SIGNATURE_HEADER = 'webhook-signature';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The key bytes of a secret written `whsec_<base64>` (the prefix may be left out). */
export function standardKeyBytes(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, 'base64');
}

export const standardSecretsSchema = z.strictObject({
  secret: z
    .string()
    .trim()
    .refine((secret) => {
      const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
      if (!BASE64.test(encoded)) return false;
      const bytes = standardKeyBytes(secret).length;
      return bytes >= 24 && bytes <= 64;
    }, 'must be whsec_ followed by 24 to 64 bytes in base64 (the Standard Webhooks secret format)'),
});
export type StandardSecrets = z.output<typeof standardSecretsSchema>;

const SHA256_BYTES = 32;

/** Checks the signature and the replay window; returns the `webhook-id`, throws 401 on failure. */
export function verifyStandard(request: WebhookRequest, secrets: StandardSecrets, now: number): string {
  const id = requireHeader(request, STANDARD_ID_HEADER);
  const timestamp = requireHeader(request, STANDARD_TIMESTAMP_HEADER);
  const header = requireHeader(request, STANDARD_SIGNATURE_HEADER);
  checkTimestamp(timestamp, now, 'webhook-timestamp');
  const expected = createHmac('sha256', standardKeyBytes(secrets.secret))
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(request.rawBody)
    .digest();
  let matched = false;
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (candidate.length === SHA256_BYTES && safeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw new UnauthorizedError('no webhook-signature matches');
  return id;
}

/** The events of a verified payload, with ids and times filled in from the delivery. */
export function mapStandardPayload(payload: unknown, webhookId: string): Record<string, unknown>[] {
  if (!isRecord(payload) || !isRecord(payload.data)) {
    throw new ValidationError('the payload must be { type, timestamp, data } with data an object', {
      issues: [{ path: 'data', message: 'must be an event or { events: [...] }' }],
    });
  }
  const { data } = payload;
  const list = Object.hasOwn(data, 'events');
  if (list && !Array.isArray(data.events)) {
    throw new ValidationError('data.events must be a list of events', {
      issues: [{ path: 'data.events', message: 'must be an array' }],
    });
  }
  const items: unknown[] = list ? (data.events as unknown[]) : [data];
  if (items.length > MAX_EVENTS_PER_BATCH) {
    throw new ValidationError(`data.events holds more than ${MAX_EVENTS_PER_BATCH} events`, {
      issues: [{ path: 'data.events', message: `must hold at most ${MAX_EVENTS_PER_BATCH} events` }],
    });
  }
  const issues = items.flatMap((item, index) =>
    isRecord(item) ? [] : [{ path: list ? `data.events.${index}` : 'data', message: 'must be an object' }],
  );
  if (issues.length > 0) throw new ValidationError('every event must be an object', { issues });
  const fallbackTime = typeof payload.timestamp === 'string' ? payload.timestamp : undefined;
  return (items as Record<string, unknown>[]).map((item, index) => ({
    ...item,
    eventId:
      item.eventId ??
      (list ? providerEventId('standard', webhookId, String(index)) : providerEventId('standard', webhookId)),
    ...(item.occurredAt === undefined && fallbackTime ? { occurredAt: fallbackTime } : {}),
  }));
}

export function handleStandard(
  request: WebhookRequest,
  secrets: StandardSecrets,
  now: number,
): WebhookOutcome {
  requirePost(request, 'Standard Webhooks');
  const webhookId = verifyStandard(request, secrets, now);
  return { events: mapStandardPayload(parseJsonBody(request.rawBody), webhookId) };
}

export const standardWebhook: WebhookProvider<StandardSecrets> = {
  configKey: 'standard',
  secretsSchema: standardSecretsSchema,
  handle: handleStandard,
};

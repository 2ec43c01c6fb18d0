import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import type { EmailAction } from '../event-schema.ts';
import {
  checkTimestamp,
  fromHex,
  isoFromUnixSeconds,
  isRecord,
  parseJsonBody,
  providerEventId,
  requirePost,
  safeEqual,
  textOf,
  type WebhookProvider,
  webUrlOf,
} from './common.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

/**
 * Mailgun webhooks (the JSON kind). The signature travels in the body:
 * `{ "signature": { "timestamp", "token", "signature" }, "event-data": { ... } }`, where
 * `signature` is the hex HMAC-SHA256 of `timestamp + token` keyed with the HTTP webhook signing
 * key. Events of a subaccount also carry `parent-signature`, made with the primary account's
 * key; either one matching the configured key is enough. One event per request.
 */

/**
 * Mailgun event → canonical e-mail action. `rejected` (Mailgun refused to send) counts as a
 * bounce, like SendGrid's `dropped`. `failed` is a bounce only when permanent: a temporary
 * failure is retried by Mailgun and ends in `delivered` or a permanent failure, so it produces no
 * event. Events not listed (`stored`, anything new) are accepted and produce no event.
 */
export const MAILGUN_ACTIONS: Readonly<Record<string, EmailAction>> = {
  accepted: 'sent',
  delivered: 'delivered',
  opened: 'open',
  clicked: 'click',
  failed: 'bounce',
  rejected: 'bounce',
  unsubscribed: 'unsubscribe',
  complained: 'complaint',
};

export const mailgunSecretsSchema = z.strictObject({
  /** The HTTP webhook signing key (Sending → Webhooks), not the API key. */
  signingKey: z.string().min(1),
});
export type MailgunSecrets = z.output<typeof mailgunSecretsSchema>;

const SHA256_BYTES = 32;

/** Checks the in-body signature and the replay window; throws 401 when either fails. */
export function verifyMailgun(body: unknown, secrets: MailgunSecrets, now: number): void {
  const signature = isRecord(body) ? body.signature : undefined;
  if (!isRecord(signature)) throw new UnauthorizedError('missing Mailgun signature');
  const { timestamp, token } = signature;
  if (timestamp === undefined || typeof token !== 'string' || token === '') {
    throw new UnauthorizedError('missing Mailgun signature timestamp or token');
  }
  checkTimestamp(timestamp, now, 'the Mailgun timestamp');
  const expected = createHmac('sha256', secrets.signingKey).update(`${timestamp}${token}`, 'utf8').digest();
  const given = [signature.signature, signature['parent-signature']]
    .map((value) => (typeof value === 'string' ? fromHex(value, SHA256_BYTES) : undefined))
    .filter((value) => value !== undefined);
  if (given.length === 0) throw new UnauthorizedError('missing Mailgun signature');
  // Check every candidate so the time taken does not tell which one matched.
  const matches = given.map((candidate) => safeEqual(candidate, expected));
  if (!matches.includes(true)) throw new UnauthorizedError('the Mailgun signature does not match');
}

/** The user id a sender attached as a custom variable (`userId` or `user_id`), if any. */
function customUserId(data: Record<string, unknown>): string | undefined {
  const variables = data['user-variables'];
  return isRecord(variables) ? (textOf(variables.userId) ?? textOf(variables.user_id)) : undefined;
}

function campaignOf(data: Record<string, unknown>): string {
  const variables = isRecord(data['user-variables']) ? data['user-variables'] : {};
  const tags = Array.isArray(data.tags) ? data.tags : [];
  const campaigns = Array.isArray(data.campaigns) ? data.campaigns : [];
  const firstCampaign = campaigns.find(isRecord);
  return (
    textOf(variables.campaign) ??
    textOf(tags.find((tag) => textOf(tag))) ??
    textOf(firstCampaign?.name) ??
    textOf(firstCampaign?.id) ??
    'mailgun'
  );
}

/**
 * The event id: Mailgun's `event-data.id` plus the event's own time. The id names the event, so
 * it is the same on every retry; the token names one signed delivery, and a retry that is signed
 * afresh (as it must be to pass a replay window hours later) carries a new one. The id is
 * documented as unique only within a day; with the event's timestamp it is unique for good.
 * The token is the fallback when an event has no id.
 */
export function mailgunEventId(data: Record<string, unknown>, token: string): string {
  const id = textOf(data.id, 1024);
  const seconds = Number(data.timestamp);
  if (id && Number.isFinite(seconds)) return providerEventId('mailgun', id, String(Math.floor(seconds)));
  return providerEventId('mailgun', 'token', token);
}

/** The `event-data` of a verified body → one canonical e-mail event, or undefined. */
export function mapMailgunEvent(
  data: Record<string, unknown>,
  token: string,
  now: number,
): Record<string, unknown> | undefined {
  const kind = typeof data.event === 'string' ? data.event : '';
  const action = Object.hasOwn(MAILGUN_ACTIONS, kind) ? MAILGUN_ACTIONS[kind] : undefined;
  if (!action) return undefined;
  if (kind === 'failed' && data.severity === 'temporary') return undefined;
  const properties: Record<string, unknown> = { provider: 'mailgun', providerEvent: kind };
  const message = isRecord(data.message) ? data.message : {};
  const headers = isRecord(message.headers) ? message.headers : {};
  const messageId = textOf(headers['message-id']);
  if (messageId) properties.messageId = messageId;
  const severity = textOf(data.severity, 32);
  if (severity) properties.severity = severity;
  const reason = textOf(data.reason, 64);
  if (reason) properties.reason = reason;
  const url = action === 'click' ? webUrlOf(data.url) : undefined;
  const userId = customUserId(data);
  return {
    eventId: mailgunEventId(data, token),
    type: 'email',
    action,
    occurredAt: isoFromUnixSeconds(data.timestamp) ?? new Date(now).toISOString(),
    campaign: campaignOf(data),
    ...(typeof data.recipient === 'string' ? { email: data.recipient } : {}),
    ...(userId ? { userId } : {}),
    ...(url ? { url } : {}),
    properties,
  };
}

export function handleMailgun(request: WebhookRequest, secrets: MailgunSecrets, now: number): WebhookOutcome {
  requirePost(request, 'Mailgun');
  const body = parseJsonBody(request.rawBody);
  verifyMailgun(body, secrets, now);
  const record = body as Record<string, unknown>;
  const data = record['event-data'];
  if (!isRecord(data))
    throw new ValidationError('the Mailgun body has no event-data object', {
      issues: [{ path: 'event-data', message: 'must be an object' }],
    });
  const token = String((record.signature as Record<string, unknown>).token);
  const event = mapMailgunEvent(data, token, now);
  return { events: event ? [event] : [], replayKey: `mailgun:${token}` };
}

export const mailgunWebhook: WebhookProvider<MailgunSecrets> = {
  configKey: 'mailgun',
  secretsSchema: mailgunSecretsSchema,
  handle: handleMailgun,
};

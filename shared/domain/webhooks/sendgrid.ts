import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { z } from 'zod';
import { InternalError, UnauthorizedError, ValidationError } from '../errors.ts';
import type { EmailAction } from '../event-schema.ts';
import {
  checkTimestamp,
  isoFromUnixSeconds,
  isRecord,
  parseJsonBody,
  providerEventId,
  requireHeader,
  requirePost,
  textOf,
  type WebhookProvider,
  webUrlOf,
} from './common.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

/**
 * SendGrid (Twilio) Event Webhook. The body is a JSON array of events; the request is signed with
 * ECDSA P-256 / SHA-256 over `timestamp + rawBody`, the signature (base64 DER) in
 * `X-Twilio-Email-Event-Webhook-Signature`, the timestamp (Unix seconds) in
 * `X-Twilio-Email-Event-Webhook-Timestamp`. The verification key is the one shown under
 * Mail Settings → Event Webhook (base64 DER SubjectPublicKeyInfo; PEM also accepted).
 */

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid event → canonical e-mail action. `dropped` (SendGrid never tried: suppressed or
 * invalid address) counts as a bounce, like a hard bounce: the mail did not arrive;
 * `group_resubscribe` is a subscribe (list growth). Events not listed (`deferred`, a temporary
 * failure SendGrid retries; anything new) are accepted and produce no event.
 */
export const SENDGRID_ACTIONS: Readonly<Record<string, EmailAction>> = {
  processed: 'sent',
  delivered: 'delivered',
  open: 'open',
  click: 'click',
  bounce: 'bounce',
  dropped: 'bounce',
  spamreport: 'complaint',
  unsubscribe: 'unsubscribe',
  group_unsubscribe: 'unsubscribe',
  group_resubscribe: 'subscribe',
};

function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 public key');
  }
  return key;
}

function isP256PublicKey(text: string): boolean {
  try {
    parsePublicKey(text);
    return true;
  } catch {
    return false;
  }
}

export const sendgridSecretsSchema = z.strictObject({
  publicKey: z
    .string()
    .trim()
    .min(1)
    .refine(isP256PublicKey, 'must be an ECDSA P-256 public key, base64 DER or PEM'),
});
export type SendgridSecrets = z.output<typeof sendgridSecretsSchema>;

const keys = new Map<string, KeyObject>();

function publicKeyOf(text: string): KeyObject {
  let key = keys.get(text);
  if (!key) {
    try {
      key = parsePublicKey(text);
    } catch (error) {
      throw new InternalError('the configured SendGrid public key is not usable', { cause: error });
    }
    if (keys.size > 16) keys.clear();
    keys.set(text, key);
  }
  return key;
}

/** Checks the signature and the replay window; throws 401 when either fails. */
export function verifySendgrid(request: WebhookRequest, secrets: SendgridSecrets, now: number): void {
  const signature = requireHeader(request, SENDGRID_SIGNATURE_HEADER);
  const timestamp = requireHeader(request, SENDGRID_TIMESTAMP_HEADER);
  checkTimestamp(timestamp, now, 'the SendGrid timestamp');
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
  let valid = false;
  try {
    valid = verify('sha256', signed, publicKeyOf(secrets.publicKey), Buffer.from(signature, 'base64'));
  } catch (error) {
    if (error instanceof InternalError) throw error;
    valid = false; // a signature that is not DER at all
  }
  if (!valid) throw new UnauthorizedError('the SendGrid signature does not match');
}

/** The user id a sender attached as a custom argument (`userId` or `user_id`), if any. */
function customUserId(item: Record<string, unknown>): string | undefined {
  return textOf(item.userId) ?? textOf(item.user_id);
}

function campaignOf(item: Record<string, unknown>): string {
  const category = Array.isArray(item.category) ? item.category.find((c) => textOf(c)) : item.category;
  return (
    textOf(item.marketing_campaign_name) ??
    textOf(item.singlesend_name) ??
    textOf(category) ??
    textOf(item.marketing_campaign_id) ??
    'sendgrid'
  );
}

/** One SendGrid event → one canonical e-mail event, or undefined when it maps to no action. */
export function mapSendgridEvent(
  item: Record<string, unknown>,
  now: number,
): Record<string, unknown> | undefined {
  const kind = typeof item.event === 'string' ? item.event : '';
  const action = Object.hasOwn(SENDGRID_ACTIONS, kind) ? SENDGRID_ACTIONS[kind] : undefined;
  if (!action) return undefined;
  const sgEventId = textOf(item.sg_event_id, 1024);
  // sg_event_id is always sent; without it the event's own content is the most stable key there is.
  const key = sgEventId ?? createHash('sha256').update(JSON.stringify(item)).digest('base64url');
  const properties: Record<string, unknown> = { provider: 'sendgrid', providerEvent: kind };
  const messageId = textOf(item.sg_message_id, 256);
  if (messageId) properties.messageId = messageId;
  if (kind === 'bounce' && textOf(item.type)) properties.bounceType = textOf(item.type, 32);
  if (kind === 'open' && item.sg_machine_open === true) properties.machineOpen = true;
  const url = action === 'click' ? webUrlOf(item.url) : undefined;
  const userId = customUserId(item);
  return {
    eventId: providerEventId('sendgrid', key),
    type: 'email',
    action,
    occurredAt: isoFromUnixSeconds(item.timestamp) ?? new Date(now).toISOString(),
    campaign: campaignOf(item),
    ...(typeof item.email === 'string' ? { email: item.email } : {}),
    ...(userId ? { userId } : {}),
    ...(url ? { url } : {}),
    properties,
  };
}

export function handleSendgrid(
  request: WebhookRequest,
  secrets: SendgridSecrets,
  now: number,
): WebhookOutcome {
  requirePost(request, 'SendGrid');
  verifySendgrid(request, secrets, now);
  const body = parseJsonBody(request.rawBody);
  if (!Array.isArray(body))
    throw new ValidationError('the SendGrid body must be a JSON array of events', {
      issues: [{ path: '(body)', message: 'must be a JSON array of events' }],
    });
  const events: Record<string, unknown>[] = [];
  for (const item of body) {
    if (!isRecord(item)) continue;
    const event = mapSendgridEvent(item, now);
    if (event) events.push(event);
  }
  return { events };
}

export const sendgridWebhook: WebhookProvider<SendgridSecrets> = {
  configKey: 'sendgrid',
  secretsSchema: sendgridSecretsSchema,
  handle: handleSendgrid,
};

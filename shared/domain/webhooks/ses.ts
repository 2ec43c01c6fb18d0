import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { isRealTimestamp } from '../dates.ts';
import {
  AppError,
  MethodNotAllowedError,
  ServiceUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '../errors.ts';
import type { EmailAction } from '../event-schema.ts';
import { parseOrThrow } from '../zod-issues.ts';
import { REPLAY_WINDOW_MS, type WebhookOutcome, type WebhookRequest } from './types.ts';

/** One answer for a bad signature and a topic that is not configured: neither says which it was. */
const SIGNATURE_MISMATCH = 'SNS signature does not match, or the topic is not configured';
/**
 * Amazon SES events delivered by Amazon SNS to an HTTP/S subscription (README: Connect your senders).
 *
 * Pure: no network and no AWS SDK. The signing certificate comes through the
 * {@link CertificateSource} port (the HTTPS fetch is an adapter, fronted by
 * {@link createCachingCertificateSource}); confirming a subscription goes through the
 * {@link SubscriptionConfirmer} port.
 *
 * Checks, in this order, all but the last two before anything is fetched:
 * 1. `POST` only (405); the `x-amz-sns-message-type` header is present (401).
 * 2. The body is an SNS JSON message (400 otherwise) whose `Type` equals that header (401);
 *    `x-amz-sns-message-id` and `x-amz-sns-topic-arn`, when sent, equal the body's (401).
 * 3. `TopicArn` is one of the configured `topicArns`: otherwise the same 401 as a bad signature
 *    (a distinct answer would tell anyone which topics are configured); nothing from it is
 *    confirmed or stored, and nothing is fetched.
 * 4. `SignatureVersion` is `1` (SHA1withRSA) or `2` (SHA256withRSA); `Signature` is base64;
 *    `Timestamp` is within {@link REPLAY_WINDOW_MS} of `now` (all 401).
 * 5. `SigningCertURL` is `https://sns.<region>.amazonaws.com[.cn]/….pem`, no user, port, query
 *    or fragment (401, and the certificate source is never called); a confirmation's
 *    `SubscribeURL` must be on the same kind of host (401).
 * 6. The certificate is fetched (fetch failure: 503 so SNS retries) and the signature is checked
 *    with its RSA public key over the canonical string AWS documents (401 on mismatch).
 *
 * SNS signs a canonical string built from the message's fields, not the raw bytes, so that string
 * is rebuilt from the parsed body; every value used afterwards comes from the same parse.
 *
 * SNS keeps the original `Timestamp` on retries, so a delivery policy whose retries go beyond
 * five minutes after publishing sees them refused (401); SNS's default HTTP policy retries
 * within seconds.
 */

/** Where signing certificates come from (PEM text). Adapters fetch over HTTPS; tests hand back a local one. */
export interface CertificateSource {
  get(url: string): Promise<string>;
}

/** Confirms an SNS subscription by visiting its `SubscribeURL` (an HTTPS GET in the adapter). */
export interface SubscriptionConfirmer {
  confirm(subscribeUrl: string): Promise<void>;
}

export interface SesWebhookSecrets {
  /** The SNS topics whose messages are accepted (exact ARNs). Empty: every message is refused. */
  readonly topicArns: readonly string[];
}

export interface SesWebhook {
  handle(request: WebhookRequest, secrets: SesWebhookSecrets, now: number): Promise<WebhookOutcome>;
}

/**
 * What each SES event (`eventType` from configuration-set event publishing, or
 * `notificationType` from identity notifications) becomes; `null`: acknowledged, nothing stored.
 * `Subscription` becomes `unsubscribe` only when the new preferences opt out (see
 * {@link isOptOut}); an opt-in yields nothing. Types not listed yield nothing either.
 */
export const SES_EVENT_ACTIONS: Readonly<Record<string, EmailAction | null>> = {
  Send: 'sent',
  Delivery: 'delivered',
  Open: 'open',
  Click: 'click',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Subscription: 'unsubscribe',
  Reject: null,
  DeliveryDelay: null,
  RenderingFailure: null,
  'Rendering Failure': null,
  Received: null,
  AmazonSnsSubscriptionSucceeded: null,
};

const MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
type MessageType = (typeof MESSAGE_TYPES)[number];

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = { '1': 'sha1', '2': 'sha256' };

/** `sns.<region>.amazonaws.com` or, in the China partition, `sns.<region>.amazonaws.com.cn`. */
const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com(?:\.cn)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_URL_LENGTH = 2048;
const MAX_TEXT = 256;

const envelopeSchema = z
  .looseObject({
    Type: z.enum(MESSAGE_TYPES, { message: `must be one of ${MESSAGE_TYPES.join(', ')}` }),
    MessageId: z.string().min(1).max(100),
    TopicArn: z.string().min(1).max(MAX_TEXT),
    Message: z.string(),
    Timestamp: z.string().max(64),
    // SNS omits Subject when there is none; a null is treated the same way.
    Subject: z.string().nullish(),
    SubscribeURL: z.string().max(MAX_URL_LENGTH).optional(),
    Token: z.string().max(MAX_URL_LENGTH).optional(),
    // Signature fields are checked one by one below so that a missing one is a 401, not a 400.
    SignatureVersion: z.unknown().optional(),
    Signature: z.unknown().optional(),
    SigningCertURL: z.unknown().optional(),
  })
  .superRefine((message, ctx) => {
    if (message.Type === 'Notification') return;
    for (const key of ['SubscribeURL', 'Token'] as const) {
      if (message[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required' });
    }
  });
type Envelope = z.output<typeof envelopeSchema>;

/** The canonical string SNS signs: `Key\nValue\n` for each signed key, in this order. */
export function snsStringToSign(message: {
  readonly Type: MessageType;
  readonly [key: string]: unknown;
}): string {
  const keys =
    message.Type === 'Notification'
      ? [
          'Message',
          'MessageId',
          ...(typeof message.Subject === 'string' ? ['Subject'] : []),
          'Timestamp',
          'TopicArn',
          'Type',
        ]
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return keys.map((key) => `${key}\n${String(message[key])}\n`).join('');
}

/** An `https://sns.<region>.amazonaws.com[.cn]/…` URL with no user, password or port, else undefined. */
function snsUrl(value: string): URL | undefined {
  if (value.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const plain = url.protocol === 'https:' && url.username === '' && url.password === '' && url.port === '';
  return plain && SNS_HOST.test(url.hostname) ? url : undefined;
}

/** Whether `value` may be fetched as an SNS signing certificate. */
export function isSnsSigningCertUrl(value: string): boolean {
  const url = snsUrl(value);
  return url?.pathname.endsWith('.pem') === true && url.search === '' && url.hash === '';
}

export function createSesWebhook(props: {
  readonly certificates: CertificateSource;
  readonly confirm: SubscriptionConfirmer;
}): SesWebhook {
  return {
    async handle(request, secrets, now) {
      if (request.method !== 'POST') throw new MethodNotAllowedError('SNS delivers with POST');
      const headerType = request.headers['x-amz-sns-message-type'];
      if (!headerType) throw new UnauthorizedError('x-amz-sns-message-type header is missing');

      const message = readEnvelope(request.rawBody);
      checkHeaders(request, message, headerType);
      if (!secrets.topicArns.includes(message.TopicArn)) throw new UnauthorizedError(SIGNATURE_MISMATCH);
      const { algorithm, signature, certUrl } = readSignature(message, now);

      verifySignature(message, algorithm, signature, await fetchCertificate(props.certificates, certUrl));

      switch (message.Type) {
        case 'SubscriptionConfirmation':
          await confirmSubscription(props.confirm, message.SubscribeURL as string);
          return {
            events: [],
            reply: { statusCode: 200, contentType: 'application/json', body: '{"confirmed":true}' },
          };
        case 'UnsubscribeConfirmation':
          return { events: [] };
        case 'Notification':
          return { events: mapSesMessage(message) };
      }
    },
  };
}

function readEnvelope(rawBody: Buffer): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new ValidationError('body is not JSON');
  }
  return parseOrThrow(envelopeSchema, parsed, 'SNS message');
}

function checkHeaders(request: WebhookRequest, message: Envelope, headerType: string): void {
  if (headerType !== message.Type) {
    throw new UnauthorizedError('x-amz-sns-message-type header does not match the message Type');
  }
  const headerId = request.headers['x-amz-sns-message-id'];
  const headerTopic = request.headers['x-amz-sns-topic-arn'];
  if (
    (headerId !== undefined && headerId !== message.MessageId) ||
    (headerTopic !== undefined && headerTopic !== message.TopicArn)
  ) {
    throw new UnauthorizedError('SNS headers do not match the message');
  }
}

function readSignature(
  message: Envelope,
  now: number,
): { algorithm: string; signature: Buffer; certUrl: string } {
  const { SignatureVersion: version, Signature: signature, SigningCertURL: certUrl } = message;
  if (typeof version !== 'string' || typeof signature !== 'string' || typeof certUrl !== 'string') {
    throw new UnauthorizedError('SNS signature is missing');
  }
  const algorithm = SIGNATURE_ALGORITHMS[version];
  if (!algorithm) throw new UnauthorizedError(`SNS SignatureVersion ${version} is not supported`);
  if (signature.length === 0 || signature.length > 4096 || !BASE64.test(signature)) {
    throw new UnauthorizedError('SNS signature is not base64');
  }
  const sentAt = ISO_INSTANT.test(message.Timestamp) ? Date.parse(message.Timestamp) : Number.NaN;
  if (!Number.isFinite(sentAt) || Math.abs(now - sentAt) > REPLAY_WINDOW_MS) {
    throw new UnauthorizedError('SNS message timestamp is outside the 5-minute window');
  }
  if (!isSnsSigningCertUrl(certUrl)) {
    throw new UnauthorizedError('SigningCertURL is not an Amazon SNS certificate URL');
  }
  if (message.Type === 'SubscriptionConfirmation' && !snsUrl(message.SubscribeURL as string)) {
    throw new UnauthorizedError('SubscribeURL is not an Amazon SNS URL');
  }
  return { algorithm, signature: Buffer.from(signature, 'base64'), certUrl };
}

async function fetchCertificate(certificates: CertificateSource, url: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await certificates.get(url);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ServiceUnavailableError('the SNS signing certificate could not be fetched, retry later', {
      cause: error,
    });
  }
  let key: KeyObject;
  try {
    key = new X509Certificate(pem).publicKey;
  } catch (error) {
    throw new ServiceUnavailableError('the SNS signing certificate could not be read, retry later', {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new UnauthorizedError('SNS signing certificate is not RSA');
  return key;
}

function verifySignature(message: Envelope, algorithm: string, signature: Buffer, key: KeyObject): void {
  let valid = false;
  try {
    valid = verify(algorithm, Buffer.from(snsStringToSign(message), 'utf8'), key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new UnauthorizedError(SIGNATURE_MISMATCH);
}

async function confirmSubscription(confirmer: SubscriptionConfirmer, subscribeUrl: string): Promise<void> {
  try {
    await confirmer.confirm(subscribeUrl);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ServiceUnavailableError('the SNS subscription could not be confirmed, retry later', {
      cause: error,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// SES event → canonical email events

type Json = Record<string, unknown>;

const emailAddress = z.email().max(320);

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, MAX_TEXT);
}

function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && ISO_INSTANT.test(value) && isRealTimestamp(value) ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A plain address from `a@b.example` or `"Name" <a@b.example>`, if it is a valid one. */
function address(value: string): string | undefined {
  const bracketed = /<([^<>]+)>\s*$/.exec(value);
  const candidate = (bracketed?.[1] ?? value).trim();
  return emailAddress.safeParse(candidate).success ? candidate : undefined;
}

function webUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The first value of an SES tag (`mail.tags` maps a name to a list of values). */
function tag(tags: unknown, name: string): string | undefined {
  return isRecord(tags) ? text(strings(tags[name])[0]) : undefined;
}

/** An opt-out: everything, or a topic the recipient was not already out of. */
function isOptOut(subscription: Json): boolean {
  const statuses = (preferences: unknown): Map<string, string> => {
    const list = isRecord(preferences) ? preferences.topicSubscriptionStatus : undefined;
    const entries = Array.isArray(list) ? list.filter(isRecord) : [];
    return new Map(entries.map((entry) => [String(entry.topicName), String(entry.subscriptionStatus)]));
  };
  const next = subscription.newTopicPreferences;
  if (isRecord(next) && next.unsubscribeAll === true) return true;
  const before = statuses(subscription.oldTopicPreferences);
  for (const [topic, status] of statuses(next)) {
    if (status.toLowerCase() === 'optout' && before.get(topic)?.toLowerCase() !== 'optout') return true;
  }
  return false;
}

/** The recipients one event is made for, each an address when it is a valid one. */
function recipientsOf(kind: string, event: Json, destination: string[]): (string | undefined)[] {
  const listed = (object: unknown, field: string) =>
    isRecord(object) && Array.isArray(object[field])
      ? object[field].map((entry) => (isRecord(entry) ? String(entry.emailAddress ?? '') : ''))
      : [];
  switch (kind) {
    case 'Send':
      return destination.map(address);
    case 'Delivery': {
      const recipients = isRecord(event.delivery) ? strings(event.delivery.recipients) : [];
      return (recipients.length > 0 ? recipients : destination).map(address);
    }
    case 'Bounce':
      return listed(event.bounce, 'bouncedRecipients').map(address);
    case 'Complaint':
      return listed(event.complaint, 'complainedRecipients').map(address);
    default: {
      // Opens, clicks and preference changes do not say which recipient acted: only a message
      // with one recipient names a person.
      const only = destination.length === 1 ? destination[0] : undefined;
      return [only === undefined ? undefined : address(only)];
    }
  }
}

/** The per-type object of an SES event (`bounce`, `open`, `deliveryDelay`, `failure`...). */
function detailOf(kind: string, event: Json): Json {
  const field = kind === 'Rendering Failure' || kind === 'RenderingFailure' ? 'failure' : kind;
  const value = event[field.charAt(0).toLowerCase() + field.slice(1)];
  return isRecord(value) ? value : {};
}

function mapSesMessage(message: Envelope): Record<string, unknown>[] {
  let event: unknown;
  try {
    event = JSON.parse(message.Message);
  } catch {
    throw new ValidationError('SNS Message is not JSON (not an SES event)');
  }
  if (!isRecord(event)) throw new ValidationError('SNS Message is not an SES event');
  const kind = text(event.eventType) ?? text(event.notificationType);
  if (!kind) throw new ValidationError('SNS Message is not an SES event (no eventType or notificationType)');
  const action = SES_EVENT_ACTIONS[kind];
  if (!action) return [];

  const mail = event.mail;
  const mailMessageId = isRecord(mail) ? text(mail.messageId) : undefined;
  if (!isRecord(mail) || !mailMessageId) throw new ValidationError('SES event has no mail.messageId');
  const detail = detailOf(kind, event);
  if (kind === 'Subscription' && !isOptOut(detail)) return [];

  const configurationSet = tag(mail.tags, 'ses:configuration-set');
  const campaign = tag(mail.tags, 'campaign') ?? configurationSet ?? 'ses';
  const occurredAt = timestamp(detail.timestamp) ?? timestamp(mail.timestamp) ?? message.Timestamp;
  const url = kind === 'Click' ? webUrl(detail.link) : undefined;
  const properties: Json = { provider: 'ses', sesEventType: kind, sesMessageId: mailMessageId };
  if (configurationSet) properties.configurationSet = configurationSet;
  for (const field of ['bounceType', 'bounceSubType', 'complaintFeedbackType', 'contactList']) {
    const value = text(detail[field]);
    if (value) properties[field] = value;
  }

  const recipients = recipientsOf(kind, event, strings(mail.destination));
  return recipients.map((email, index) => ({
    eventId: recipients.length === 1 ? `ses:${message.MessageId}` : `ses:${message.MessageId}:${index}`,
    type: 'email',
    action,
    occurredAt,
    campaign,
    // Without a usable address the event still counts, against the message rather than a person.
    ...(email === undefined ? { anonymousId: `ses:${mailMessageId}` } : { email }),
    ...(url === undefined ? {} : { url }),
    properties: { ...properties },
  }));
}

// ---------------------------------------------------------------------------------------------
// Certificate cache

/**
 * A small least-recently-used cache in front of any certificate fetcher. SNS publishes a new
 * certificate under a new URL, so entries never expire; a fetch that fails, or whose text is not
 * an X.509 certificate, is not kept, and concurrent requests for one URL share one fetch.
 */
export function createCachingCertificateSource(
  fetchPem: (url: string) => Promise<string>,
  maxEntries = 16,
): CertificateSource {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be ≥ 1');
  const cache = new Map<string, Promise<string>>();
  return {
    get(url) {
      const hit = cache.get(url);
      if (hit) {
        cache.delete(url);
        cache.set(url, hit);
        return hit;
      }
      const pending = Promise.resolve()
        .then(() => fetchPem(url))
        .then((pem) => {
          new X509Certificate(pem);
          return pem;
        });
      cache.set(url, pending);
      pending.catch(() => {
        if (cache.get(url) === pending) cache.delete(url);
      });
      for (const oldest of cache.keys()) {
        if (cache.size <= maxEntries) break;
        cache.delete(oldest);
      }
      return pending;
    },
  };
}

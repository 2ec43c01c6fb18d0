import { type KeyObject, verify, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { AppError, MethodNotAllowedError, ServiceUnavailableError, UnauthorizedError } from '../errors.ts';
import { parseOrThrow } from '../zod-issues.ts';
import { parseJsonBody } from './common.ts';
import { REPLAY_WINDOW_MS, type WebhookRequest } from './types.ts';

/**
 * Amazon SNS HTTP/S deliveries: the envelope, its signature and the subscription handshake.
 * Pure: the signing certificate comes through the {@link CertificateSource} port and confirming a
 * subscription through the {@link SubscriptionConfirmer} port (HTTPS in shared/adapters/sns-http.ts).
 */

/** One answer for a bad signature and a topic that is not configured: neither says which it was. */
const SIGNATURE_MISMATCH = 'SNS signature does not match, or the topic is not configured';

/** Where signing certificates come from (PEM text). Adapters fetch over HTTPS; tests hand back a local one. */
export interface CertificateSource {
  get(url: string): Promise<string>;
}

/** Confirms an SNS subscription by visiting its `SubscribeURL` (an HTTPS GET in the adapter). */
export interface SubscriptionConfirmer {
  confirm(subscribeUrl: string): Promise<void>;
}

const MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
type MessageType = (typeof MESSAGE_TYPES)[number];

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = { '1': 'sha1', '2': 'sha256' };

/** `sns.<region>.amazonaws.com` or, in the China partition, `sns.<region>.amazonaws.com.cn`. */
const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d{1,2}\.amazonaws\.com(?:\.cn)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
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
export type SnsEnvelope = z.output<typeof envelopeSchema>;

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

/**
 * The SNS message of a request, once it has passed every check below (README: Connect your
 * senders, Amazon SES), all but the last two before anything is fetched:
 * 1. `POST` only (405); the `x-amz-sns-message-type` header is present (401).
 * 2. The body is an SNS JSON message (400 otherwise) whose `Type` equals that header (401);
 *    `x-amz-sns-message-id` and `x-amz-sns-topic-arn`, when sent, equal the body's (401).
 * 3. `TopicArn` is one of `topicArns`: otherwise the same 401 as a bad signature (a distinct
 *    answer would tell anyone which topics are configured), and nothing is fetched.
 * 4. `SignatureVersion` is `1` (SHA1withRSA) or `2` (SHA256withRSA); `Signature` is base64;
 *    `Timestamp` is within {@link REPLAY_WINDOW_MS} of `now` (all 401).
 * 5. `SigningCertURL` is `https://sns.<region>.amazonaws.com[.cn]/….pem`, no user, port, query
 *    or fragment (401, and the certificate source is never called); a confirmation's
 *    `SubscribeURL` must be on the same kind of host (401).
 * 6. The certificate is fetched (fetch failure: 503 so SNS retries) and the signature is checked
 *    with its RSA public key over the canonical string AWS documents (401 on mismatch).
 *
 * SNS signs a canonical string built from the message's fields, not the raw bytes, so that string
 * is rebuilt from the parsed body; every value used afterwards comes from the same parse. SNS
 * keeps the original `Timestamp` on retries, so retries later than five minutes after publishing
 * are refused (401); SNS's default HTTP policy retries within seconds.
 */
export async function readVerifiedSnsMessage(
  request: WebhookRequest,
  topicArns: readonly string[],
  now: number,
  certificates: CertificateSource,
): Promise<SnsEnvelope> {
  if (request.method !== 'POST') throw new MethodNotAllowedError('SNS delivers with POST');
  const headerType = request.headers['x-amz-sns-message-type'];
  if (!headerType) throw new UnauthorizedError('x-amz-sns-message-type header is missing');
  const message = readEnvelope(request.rawBody);
  checkHeaders(request, message, headerType);
  if (!topicArns.includes(message.TopicArn)) throw new UnauthorizedError(SIGNATURE_MISMATCH);
  const { algorithm, signature, certUrl } = readSignature(message, now);
  verifySignature(message, algorithm, signature, await fetchCertificate(certificates, certUrl));
  return message;
}

function readEnvelope(rawBody: Buffer): SnsEnvelope {
  return parseOrThrow(envelopeSchema, parseJsonBody(rawBody), 'SNS message');
}

function checkHeaders(request: WebhookRequest, message: SnsEnvelope, headerType: string): void {
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
  message: SnsEnvelope,
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

function verifySignature(message: SnsEnvelope, algorithm: string, signature: Buffer, key: KeyObject): void {
  let valid = false;
  try {
    valid = verify(algorithm, Buffer.from(snsStringToSign(message), 'utf8'), key, signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new UnauthorizedError(SIGNATURE_MISMATCH);
}

export async function confirmSubscription(
  confirmer: SubscriptionConfirmer,
  subscribeUrl: string,
): Promise<void> {
  try {
    await confirmer.confirm(subscribeUrl);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ServiceUnavailableError('the SNS subscription could not be confirmed, retry later', {
      cause: error,
    });
  }
}

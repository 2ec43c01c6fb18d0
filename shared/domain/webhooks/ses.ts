import { z } from 'zod';
import { isRealTimestamp } from '../dates.ts';
import { ValidationError } from '../errors.ts';
import type { EmailAction } from '../event-schema.ts';
import { isRecord, textOf, webUrlOf } from './common.ts';
import {
  type CertificateSource,
  confirmSubscription,
  ISO_INSTANT,
  readVerifiedSnsMessage,
  type SnsEnvelope,
  type SubscriptionConfirmer,
} from './sns-envelope.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

export interface SesWebhookSecrets {
  /** The SNS topics whose messages are accepted (exact ARNs). Empty: every message is refused. */
  readonly topicArns: readonly string[];
}

export interface SesWebhook {
  handle(request: WebhookRequest, secrets: SesWebhookSecrets, now: number): Promise<WebhookOutcome>;
}

/**
 * Amazon SES events delivered by Amazon SNS to an HTTP/S subscription (README: Connect your
 * senders): a verified SNS message ({@link readVerifiedSnsMessage}) confirms its subscription or
 * becomes canonical e-mail events, one per recipient.
 */
export function createSesWebhook(props: {
  readonly certificates: CertificateSource;
  readonly confirm: SubscriptionConfirmer;
}): SesWebhook {
  return {
    async handle(request, secrets, now) {
      const message = await readVerifiedSnsMessage(request, secrets.topicArns, now, props.certificates);
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

/**
 * What each SES event (`eventType` from configuration-set event publishing, or
 * `notificationType` from identity notifications) becomes; `null`: acknowledged, nothing stored.
 * `Subscription` becomes `unsubscribe` when the new preferences opt out, `subscribe` when they
 * only opt in (see {@link preferenceChange}), else nothing. Types not listed yield nothing either.
 * `Reject` (SES accepted the send but refused to deliver it, e.g. a virus) counts as a bounce of
 * every recipient, like SendGrid's `dropped` and Mailgun's `rejected`: the mail did not arrive.
 */
export const SES_EVENT_ACTIONS: Readonly<Record<string, EmailAction | null>> = {
  Send: 'sent',
  Delivery: 'delivered',
  Open: 'open',
  Click: 'click',
  Bounce: 'bounce',
  Complaint: 'complaint',
  Subscription: 'unsubscribe',
  Reject: 'bounce',
  DeliveryDelay: null,
  RenderingFailure: null,
  'Rendering Failure': null,
  Received: null,
  AmazonSnsSubscriptionSucceeded: null,
};

type Json = Record<string, unknown>;

const emailAddress = z.email().max(320);

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

/** The first value of an SES tag (`mail.tags` maps a name to a list of values). */
function tag(tags: unknown, name: string): string | undefined {
  return isRecord(tags) ? textOf(strings(tags[name])[0]) : undefined;
}

/**
 * What a preference change is for the e-mail funnel: an opt-out (of everything, or of a topic the
 * recipient was not already out of) is an unsubscribe; otherwise an opt-in to a topic the
 * recipient was not already in is a subscribe; anything else is no change.
 */
function preferenceChange(subscription: Json): 'unsubscribe' | 'subscribe' | undefined {
  const statuses = (preferences: unknown): Map<string, string> => {
    const list = isRecord(preferences) ? preferences.topicSubscriptionStatus : undefined;
    const entries = Array.isArray(list) ? list.filter(isRecord) : [];
    return new Map(entries.map((entry) => [String(entry.topicName), String(entry.subscriptionStatus)]));
  };
  const next = subscription.newTopicPreferences;
  if (isRecord(next) && next.unsubscribeAll === true) return 'unsubscribe';
  const before = statuses(subscription.oldTopicPreferences);
  const changed = (wanted: string) =>
    [...statuses(next)].some(
      ([topic, status]) => status.toLowerCase() === wanted && before.get(topic)?.toLowerCase() !== wanted,
    );
  if (changed('optout')) return 'unsubscribe';
  return changed('optin') ? 'subscribe' : undefined;
}

/** The recipients one event is made for, each an address when it is a valid one. */
function recipientsOf(kind: string, event: Json, destination: string[]): (string | undefined)[] {
  const listed = (object: unknown, field: string) =>
    isRecord(object) && Array.isArray(object[field])
      ? object[field].map((entry) => (isRecord(entry) ? String(entry.emailAddress ?? '') : ''))
      : [];
  switch (kind) {
    case 'Send':
    case 'Reject':
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

function mapSesMessage(message: SnsEnvelope): Record<string, unknown>[] {
  let event: unknown;
  try {
    event = JSON.parse(message.Message);
  } catch {
    throw new ValidationError('SNS Message is not JSON (not an SES event)');
  }
  if (!isRecord(event)) throw new ValidationError('SNS Message is not an SES event');
  const kind = textOf(event.eventType) ?? textOf(event.notificationType);
  if (!kind) throw new ValidationError('SNS Message is not an SES event (no eventType or notificationType)');
  const listed = SES_EVENT_ACTIONS[kind];
  if (!listed) return [];

  const mail = event.mail;
  const mailMessageId = isRecord(mail) ? textOf(mail.messageId) : undefined;
  if (!isRecord(mail) || !mailMessageId) throw new ValidationError('SES event has no mail.messageId');
  const detail = detailOf(kind, event);
  const action = kind === 'Subscription' ? preferenceChange(detail) : listed;
  if (!action) return [];

  const configurationSet = tag(mail.tags, 'ses:configuration-set');
  const campaign = tag(mail.tags, 'campaign') ?? configurationSet ?? 'ses';
  const occurredAt = timestamp(detail.timestamp) ?? timestamp(mail.timestamp) ?? message.Timestamp;
  const url = kind === 'Click' ? webUrlOf(detail.link) : undefined;
  const properties: Json = { provider: 'ses', sesEventType: kind, sesMessageId: mailMessageId };
  if (configurationSet) properties.configurationSet = configurationSet;
  for (const field of ['bounceType', 'bounceSubType', 'complaintFeedbackType', 'contactList']) {
    const value = textOf(detail[field]);
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

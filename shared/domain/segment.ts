import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AttributionConfig } from './config.ts';
import { clipText, MAX_URL_LENGTH } from './event-schema.ts';
import { isUnsafeInteger, UNSAFE_INTEGER_MESSAGE } from './json-value.ts';

/**
 * The Segment HTTP Tracking API (also spoken by RudderStack): message shapes and their mapping to
 * canonical events. `track` with a configured conversion name becomes a conversion, the e-commerce
 * spec's cart, order and share events become cart changes, purchases and shares, `page` a page
 * view; `identify` links an anonymous id to a user and `alias` a user's earlier id to the new one
 * (both are archived too); `track` of other names, `screen` and `group` are archived only.
 */

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_SEGMENT_BATCH_BYTES = 500 * 1024;

export const SEGMENT_TYPES = ['track', 'page', 'identify', 'screen', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/**
 * The message type of each single-message path: the tracking API's (`/v1/track`) and the one-letter
 * paths of analytics.js (`/v1/t`); every other collect path takes a batch.
 */
export const SINGLE_MESSAGE_TYPES: Readonly<Record<string, SegmentType>> = Object.fromEntries(
  SEGMENT_TYPES.flatMap((type) => [
    [`/v1/${type}`, type],
    [`/v1/${type[0]}`, type],
  ]),
);

/**
 * Context text we read: an empty value is no value (analytics.js turns `?utm_source=` into `""`),
 * and no length limit here: one overlong context field must not cost the message (a purchase);
 * what we keep is clipped or checked where it becomes an event field.
 */
const contextText = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.string().trim().optional(),
);
/**
 * An id; `null` and blank text mean none (analytics.js sends `userId: null`, RudderStack
 * `userId: ""`). A number is taken as its digits only while JSON holds it exactly.
 */
const id = z.preprocess(
  (value) => (value === null || (typeof value === 'string' && value.trim() === '') ? undefined : value),
  z
    .union([z.string().trim().min(1).max(256), z.number()])
    .refine((value) => !isUnsafeInteger(value), UNSAFE_INTEGER_MESSAGE)
    .transform(String)
    .optional(),
);

/** One message; fields we do not use pass through to the archive untouched. */
export const segmentMessageSchema = z.looseObject({
  type: z.enum(SEGMENT_TYPES),
  messageId: z.string().min(1).max(100).optional(),
  timestamp: z.string().optional(),
  originalTimestamp: z.string().optional(),
  sentAt: z.string().optional(),
  userId: id,
  anonymousId: id,
  /** `alias`: the id the user had before `userId`. */
  previousId: id,
  event: z.string().trim().min(1).max(200).optional(),
  name: contextText,
  properties: z
    .record(z.string(), z.unknown())
    // The order id becomes the conversion's event id: a rounded one would merge two orders.
    .refine((p) => !isUnsafeInteger(p.order_id), { path: ['order_id'], message: UNSAFE_INTEGER_MESSAGE })
    .optional(),
  traits: z.record(z.string(), z.unknown()).optional(),
  context: z
    .looseObject({
      campaign: z
        .looseObject({
          name: contextText,
          source: contextText,
          medium: contextText,
          term: contextText,
          content: contextText,
        })
        .optional(),
      page: z.looseObject({ url: contextText, referrer: contextText }).optional(),
    })
    .optional(),
});
export type SegmentMessage = z.infer<typeof segmentMessageSchema>;

export const segmentBatchSchema = z.looseObject({
  batch: z
    .array(z.unknown())
    .min(1, 'must hold at least one message')
    .max(2500, 'must hold at most 2500 messages'),
  writeKey: z.string().optional(),
  /** When the client sent the batch, by its clock (corrects the events' times). */
  sentAt: z.string().optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

export interface SegmentSettingsProps {
  readonly writeKey: string;
  /** The host the browser reached this API at. */
  readonly host: string;
  readonly secure: boolean;
}

/**
 * What analytics.js reads from its CDN at load (`cdnURL` pointed at this API): one destination,
 * Segment.io, pointed back at this API, and no usage counters (it would post them to `/v1/m`).
 */
export function segmentSettingsFor(props: SegmentSettingsProps) {
  return {
    integrations: {
      'Segment.io': {
        apiKey: props.writeKey,
        apiHost: `${props.host}/v1`,
        protocol: props.secure ? 'https' : 'http',
      },
    },
    plan: {},
    metrics: { sampleRate: 0 },
  };
}

/**
 * Segment's e-commerce spec (v2) events we count: cart changes, the order as a `purchase`
 * conversion (unless the config names the spec event itself a conversion: that name wins; its
 * event id is `order:<order_id>` when it has one), its refund (`refundOf` that id) and shares.
 * Other spec events (`Product Viewed`, …) and a refund without an order id are archived.
 */
const ECOMMERCE_EVENTS: Readonly<
  Record<
    string,
    | { type: 'cart'; action: 'add' | 'remove' | 'checkout' }
    | { type: 'conversion'; name: string }
    | { type: 'refund' }
    | { type: 'share' }
  >
> = {
  'Product Added': { type: 'cart', action: 'add' },
  'Product Removed': { type: 'cart', action: 'remove' },
  'Checkout Started': { type: 'cart', action: 'checkout' },
  'Order Completed': { type: 'conversion', name: 'purchase' },
  'Order Refunded': { type: 'refund' },
  'Product Shared': { type: 'share' },
  'Cart Shared': { type: 'share' },
};

export type SegmentMapping =
  /** A canonical event, to validate and ingest like `POST /v1/events`. */
  | { readonly kind: 'event'; readonly event: Record<string, unknown> }
  /** Not counted; kept in the archive. */
  | { readonly kind: 'archive' };

export interface SegmentArrival {
  readonly receivedAt: string;
  /** The batch's `sentAt`, for messages that carry none of their own. */
  readonly batchSentAt?: string | undefined;
  /** The browser request's own user agent, for messages without `context.userAgent`. */
  readonly browserUserAgent?: string | undefined;
}

/**
 * Maps one message. The event id is the message id (a client retry resends the same id). The
 * time is the client's `timestamp` (else `originalTimestamp`) corrected for the client's clock as
 * Segment does: `receivedAt − (sentAt − timestamp)`, so a visitor whose clock is a year off still
 * lands on today; without `sentAt`, the timestamp as given; without either, `receivedAt`. The
 * session id is `context.sessionId` (RudderStack's, the tag's); the user agent `context.userAgent`,
 * else the browser request's own.
 */
export function mapSegmentMessage(
  message: SegmentMessage,
  config: AttributionConfig,
  arrival: SegmentArrival,
): SegmentMapping {
  const { browserUserAgent } = arrival;
  const conversions = new Set([
    ...config.stages.decision,
    ...config.stages.retention,
    ...config.stages.advocacy,
  ]);
  const common = {
    eventId: eventIdOf(message, arrival.receivedAt),
    occurredAt: occurredAtOf(message, arrival),
    ...(message.userId === undefined ? {} : { userId: message.userId }),
    ...(message.anonymousId === undefined ? {} : { anonymousId: message.anonymousId }),
    ...utmOf(message),
    ...optional('sessionId', clipText(idText(message.context?.sessionId), 256)),
    ...optional('userAgent', clipText(stringOf(message.context?.userAgent) ?? browserUserAgent, 1024)),
  };
  const properties = message.properties ?? {};
  const currency =
    typeof properties.currency === 'string' ? properties.currency.toUpperCase() : config.currency;
  const money = (amount: number | undefined) => (amount === undefined ? {} : { value: { amount, currency } });
  // An order is known by its order id, so a refund can name it and a re-sent order counts once.
  const order = idText(properties.order_id);
  const orderId = order === undefined ? undefined : clipText(`order:${order}`, 128);
  if (message.type === 'track' && message.event && conversions.has(message.event)) {
    const amount = numberOf(properties.revenue) ?? numberOf(properties.value);
    const eventId = orderId ?? common.eventId;
    return {
      kind: 'event',
      event: { ...common, eventId, type: 'conversion', name: message.event, ...money(amount) },
    };
  }
  const ecommerce = message.type === 'track' && message.event ? ECOMMERCE_EVENTS[message.event] : undefined;
  if (ecommerce?.type === 'cart') {
    // A product's value is its price times its quantity; a checkout's, the order's.
    const price = numberOf(properties.price);
    const amount =
      ecommerce.action === 'checkout'
        ? (numberOf(properties.revenue) ?? numberOf(properties.value) ?? numberOf(properties.total))
        : price === undefined
          ? numberOf(properties.value)
          : price * (numberOf(properties.quantity) ?? 1);
    return { kind: 'event', event: { ...common, type: 'cart', action: ecommerce.action, ...money(amount) } };
  }
  if (ecommerce?.type === 'conversion') {
    const amount = numberOf(properties.revenue) ?? numberOf(properties.total) ?? numberOf(properties.value);
    const eventId = orderId ?? common.eventId;
    return {
      kind: 'event',
      event: { ...common, eventId, type: 'conversion', name: ecommerce.name, ...money(amount) },
    };
  }
  if (ecommerce?.type === 'refund' && orderId !== undefined) {
    // A partial refund names what it refunds; without an amount the whole order is refunded.
    const amount = numberOf(properties.total) ?? numberOf(properties.revenue) ?? numberOf(properties.value);
    return {
      kind: 'event',
      event: { ...common, type: 'conversion', name: 'refund', refundOf: orderId, ...money(amount) },
    };
  }
  if (ecommerce?.type === 'share') {
    const url = stringOf(properties.url);
    const network = clipText(stringOf(properties.share_via), 64);
    return {
      kind: 'event',
      event: {
        ...common,
        type: 'share',
        ...(url && isWebUrl(url) ? { url } : {}),
        ...optional('network', network),
      },
    };
  }
  if (message.type === 'page') {
    // A page's address longer than an event holds is cut there (the page view still counts).
    const url = clipUrl(stringOf(properties.url) ?? message.context?.page?.url);
    // SDKs write placeholders for "no referrer" (RudderStack: `$direct`): only a web URL is one.
    const referrer = [stringOf(properties.referrer), message.context?.page?.referrer].find(isWebUrl);
    return {
      kind: 'event',
      event: { ...common, type: 'page_view', url, ...(referrer ? { referrer } : {}) },
    };
  }
  return { kind: 'archive' };
}

function occurredAtOf(message: SegmentMessage, arrival: SegmentArrival): string {
  const client = toMsOrUndefined(message.timestamp) ?? toMsOrUndefined(message.originalTimestamp);
  if (client === undefined) return arrival.receivedAt;
  const sentAt = toMsOrUndefined(message.sentAt) ?? toMsOrUndefined(arrival.batchSentAt);
  // A message cannot have been sent before it happened: a negative delay is the client's clock.
  const corrected =
    sentAt === undefined ? client : Date.parse(arrival.receivedAt) - Math.max(0, sentAt - client);
  // Clocks far off can correct past what a date holds: the client's time is then kept, and the
  // event schema refuses it by its years, naming the field.
  const when = new Date(corrected);
  return (Number.isNaN(when.getTime()) ? new Date(client) : when).toISOString();
}

/** UTM from `context.campaign`, each value clipped to the 256 characters an event's utm holds. */
function utmOf(message: SegmentMessage): { utm?: Record<string, string> } {
  const campaign = message.context?.campaign;
  if (!campaign) return {};
  const utm: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    const clipped = clipText(value, 256);
    if (clipped) utm[key] = clipped;
  };
  put('source', campaign.source);
  put('medium', campaign.medium);
  put('campaign', campaign.name);
  put('term', campaign.term);
  put('content', campaign.content);
  return Object.keys(utm).length > 0 ? { utm } : {};
}

function toMsOrUndefined(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function numberOf(value: unknown): number | undefined {
  // Blank text is no number (`Number("")` is 0): it must not hide `total` or `value` behind it.
  const n = typeof value === 'string' ? (value.trim() === '' ? undefined : Number(value)) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

/** A string or number id as text (RudderStack's session ids are epoch milliseconds). */
function idText(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : stringOf(value);
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** A referrer worth keeping: a web URL the event schema can hold. */
function isWebUrl(value: string | undefined): value is string {
  return (
    value !== undefined &&
    value.length <= MAX_URL_LENGTH &&
    /^https?:\/\//i.test(value) &&
    URL.canParse(value)
  );
}

/** A URL cut to the length an event holds, when what is left is still a URL. */
function clipUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= MAX_URL_LENGTH) return value;
  const cut = clipText(value, MAX_URL_LENGTH);
  return cut !== undefined && URL.canParse(cut) ? cut : value;
}

/**
 * The message id, or for a message without one a hash of its content, so a client's retry of
 * the same message is still recognised. A message without a time of its own also hashes the UTC
 * day it arrived: the same page view sent again tomorrow is another visit, not a retry.
 */
export function eventIdOf(message: SegmentMessage, receivedAt: string): string {
  if (message.messageId !== undefined) return message.messageId;
  // Timed as occurredAtOf reads it: an empty or unreadable timestamp is no time.
  const timed =
    toMsOrUndefined(message.timestamp) !== undefined ||
    toMsOrUndefined(message.originalTimestamp) !== undefined;
  const content = JSON.stringify(message) + (timed ? '' : `@${receivedAt.slice(0, 10)}`);
  return `segment:${createHash('sha256').update(content).digest('hex').slice(0, 40)}`;
}

/**
 * The identify event a message that is not itself an event implies: any message with both ids
 * links the anonymous id to the user, and an `alias` links the user's earlier id to the new one.
 */
export function identityLinkOf(
  message: SegmentMessage,
  receivedAt: string,
): Record<string, unknown> | undefined {
  const { anonymousId, userId, previousId } = message;
  const alias = message.type === 'alias' && previousId !== undefined;
  if (userId === undefined || (anonymousId === undefined && !alias)) return undefined;
  return {
    type: 'identify',
    eventId: eventIdOf(message, receivedAt),
    occurredAt: receivedAt,
    userId,
    ...(alias ? { previousId } : { anonymousId }),
  };
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AttributionConfig } from './config.ts';

/**
 * The Segment HTTP Tracking API (also spoken by RudderStack): message shapes and their mapping to
 * canonical events. `track` with a configured conversion name becomes a conversion, `page` a page
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

const optionalText = z.string().trim().min(1).max(4096).optional();
/** An id; `null` and `""` mean none (analytics.js sends `userId: null`, RudderStack `userId: ""`). */
const id = z.preprocess(
  (value) => (value === null || value === '' ? undefined : value),
  z.union([z.string().trim().min(1).max(256), z.number().transform(String)]).optional(),
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
  name: optionalText,
  properties: z.record(z.string(), z.unknown()).optional(),
  traits: z.record(z.string(), z.unknown()).optional(),
  context: z
    .looseObject({
      campaign: z
        .looseObject({
          name: optionalText,
          source: optionalText,
          medium: optionalText,
          term: optionalText,
          content: optionalText,
        })
        .optional(),
      page: z.looseObject({ url: optionalText, referrer: z.string().max(4096).optional() }).optional(),
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

export type SegmentMapping =
  /** A canonical event, to validate and ingest like `POST /v1/events`. */
  | { readonly kind: 'event'; readonly event: Record<string, unknown> }
  /** Not counted; kept in the archive. */
  | { readonly kind: 'archive' };

/**
 * Maps one message. The event id is the message id (a client retry resends the same id), the
 * time the message's own `timestamp` (when the client saw it), else `receivedAt`. The session id
 * is `context.sessionId` (RudderStack's, the tag's); the user agent `context.userAgent`, else the
 * browser request's own.
 */
export function mapSegmentMessage(
  message: SegmentMessage,
  config: AttributionConfig,
  receivedAt: string,
  browserUserAgent?: string,
): SegmentMapping {
  const conversions = new Set([
    ...config.stages.decision,
    ...config.stages.retention,
    ...config.stages.advocacy,
  ]);
  const common = {
    eventId: eventIdOf(message),
    occurredAt: toIsoOrUndefined(message.timestamp ?? message.originalTimestamp) ?? receivedAt,
    ...(message.userId === undefined ? {} : { userId: message.userId }),
    ...(message.anonymousId === undefined ? {} : { anonymousId: message.anonymousId }),
    ...utmOf(message),
    ...optional('sessionId', clip(idText(message.context?.sessionId), 256)),
    ...optional('userAgent', clip(stringOf(message.context?.userAgent) ?? browserUserAgent, 1024)),
  };
  const properties = message.properties ?? {};
  if (message.type === 'track' && message.event && conversions.has(message.event)) {
    const amount = numberOf(properties.revenue) ?? numberOf(properties.value);
    const currency =
      typeof properties.currency === 'string' ? properties.currency.toUpperCase() : config.currency;
    return {
      kind: 'event',
      event: {
        ...common,
        type: 'conversion',
        name: message.event,
        ...(amount === undefined ? {} : { value: { amount, currency } }),
      },
    };
  }
  if (message.type === 'page') {
    const url = stringOf(properties.url) ?? message.context?.page?.url;
    // SDKs write placeholders for "no referrer" (RudderStack: `$direct`): only a web URL is one.
    const referrer = [stringOf(properties.referrer), message.context?.page?.referrer].find(isWebUrl);
    return {
      kind: 'event',
      event: { ...common, type: 'page_view', url, ...(referrer ? { referrer } : {}) },
    };
  }
  return { kind: 'archive' };
}

function utmOf(message: SegmentMessage): { utm?: Record<string, string> } {
  const campaign = message.context?.campaign;
  if (!campaign) return {};
  const utm: Record<string, string> = {};
  if (campaign.source) utm.source = campaign.source;
  if (campaign.medium) utm.medium = campaign.medium;
  if (campaign.name) utm.campaign = campaign.name;
  if (campaign.term) utm.term = campaign.term;
  if (campaign.content) utm.content = campaign.content;
  return Object.keys(utm).length > 0 ? { utm } : {};
}

function toIsoOrUndefined(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

/** A string or number id as text (RudderStack's session ids are epoch milliseconds). */
function idText(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : stringOf(value);
}

/** At most `max` UTF-16 units, never half a surrogate pair (the event schema counts units). */
function clip(value: string | undefined, max: number): string | undefined {
  if (value === undefined || value.length <= max) return value;
  const cut = value.slice(0, max);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim() || undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function isWebUrl(value: string | undefined): value is string {
  return value !== undefined && /^https?:\/\//i.test(value) && URL.canParse(value);
}

/**
 * The message id, or for a message without one a hash of its content, so a client's retry of
 * the same message is still recognised.
 */
export function eventIdOf(message: SegmentMessage): string {
  return (
    message.messageId ??
    `segment:${createHash('sha256').update(JSON.stringify(message)).digest('hex').slice(0, 40)}`
  );
}

/** The anonymous → user link an identify (or any message with both ids) establishes. */
export function identityLinkOf(message: SegmentMessage): { anonymousId: string; userId: string } | undefined {
  return message.anonymousId !== undefined && message.userId !== undefined
    ? { anonymousId: message.anonymousId, userId: message.userId }
    : undefined;
}

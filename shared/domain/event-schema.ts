import { z } from 'zod';
import { channelIdSchema } from './channel-ids.ts';
import { isRealTimestamp } from './dates.ts';

/** Limits of `POST /v1/events` (DESIGN §4). */
export const MAX_EVENTS_PER_BATCH = 500;
export const MAX_BATCH_BYTES = 1_000_000;
const MAX_PROPERTIES_BYTES = 8_192;

export const EVENT_TYPES = [
  'ad_impression',
  'ad_click',
  'search',
  'page_view',
  'email',
  'conversion',
  'identify',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] as const;
export const stageSchema = z.enum(STAGES);
export type Stage = z.infer<typeof stageSchema>;

export const EMAIL_ACTIONS = [
  'sent',
  'delivered',
  'open',
  'click',
  'bounce',
  'unsubscribe',
  'complaint',
] as const;
export const NETWORKS = ['search', 'display', 'video', 'social', 'shopping'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);
const timestamp = z.iso
  .datetime({
    offset: true,
    abort: true,
    message: 'must be a real ISO-8601 timestamp with a time zone offset',
  })
  .refine(isRealTimestamp, 'is not a real date and time');
const webUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(4096);
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD');

/**
 * Largest amount accepted: a billion units, so amounts in micros (×10⁶) stay exact integers
 * (below 2⁵³ ≈ 9·10¹⁵).
 */
export const MAX_AMOUNT = 1e9;

export const moneySchema = z.object({
  amount: z.number().finite().min(0).max(MAX_AMOUNT),
  currency: currencySchema,
});
export type Money = z.infer<typeof moneySchema>;

export const utmSchema = z.object({
  source: text(256).optional(),
  medium: text(256).optional(),
  campaign: text(256).optional(),
  term: text(256).optional(),
  content: text(256).optional(),
  id: text(256).optional(),
});
export type Utm = z.infer<typeof utmSchema>;

const propertiesSchema = z.record(z.string(), z.unknown()).refine((value) => {
  try {
    return Buffer.byteLength(JSON.stringify(value), 'utf8') <= MAX_PROPERTIES_BYTES;
  } catch {
    // Nesting too deep to serialise (RangeError) is not acceptable either.
    return false;
  }
}, `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);

const common = {
  eventId: z.string().min(1).max(128),
  occurredAt: timestamp,
  userId: text(256).optional(),
  anonymousId: text(256).optional(),
  utm: utmSchema.optional(),
  channel: channelIdSchema.optional(),
  campaign: text(256).optional(),
  properties: propertiesSchema.optional(),
};

const count = z.int().min(1).max(1_000_000_000).default(1);

const adFields = {
  ...common,
  platform: text(64).toLowerCase(),
  campaign: text(256),
  adGroup: text(256).optional(),
  creative: text(256).optional(),
  network: z.enum(NETWORKS).optional(),
  brand: text(100).optional(),
  count,
  cost: moneySchema.optional(),
};

export const adImpressionSchema = z.object({ type: z.literal('ad_impression'), ...adFields });
export const adClickSchema = z.object({
  type: z.literal('ad_click'),
  ...adFields,
  clickId: text(512).optional(),
  url: webUrl.optional(),
});
export const searchSchema = z.object({
  type: z.literal('search'),
  ...common,
  query: text(512).optional(),
  brand: text(100).optional(),
  engine: text(64).toLowerCase().optional(),
  count,
  position: z.number().finite().min(0).max(1000).optional(),
});
export const pageViewSchema = z.object({
  type: z.literal('page_view'),
  ...common,
  url: webUrl,
  referrer: z.union([webUrl, z.literal('')]).optional(),
});
export const emailSchema = z.object({
  type: z.literal('email'),
  ...common,
  action: z.enum(EMAIL_ACTIONS),
  campaign: text(256),
  email: z.string().trim().pipe(z.email().max(320)).optional(),
  url: webUrl.optional(),
});
export const conversionSchema = z.object({
  type: z.literal('conversion'),
  ...common,
  name: text(100),
  value: moneySchema.optional(),
  stage: stageSchema.optional(),
});

/**
 * That an anonymous visitor is a known user: from now on, and for their earlier events too, both
 * ids are one journey (the loader re-keys the anonymous events; docs/decisions.md).
 */
export const identifySchema = z.object({
  type: z.literal('identify'),
  ...common,
  userId: text(256),
  anonymousId: text(256),
});

/** One incoming event, validated. Who the event is about is checked in {@link eventSchema}. */
export const eventSchema = z
  .discriminatedUnion('type', [
    adImpressionSchema,
    adClickSchema,
    searchSchema,
    pageViewSchema,
    emailSchema,
    conversionSchema,
    identifySchema,
  ])
  .superRefine((event, ctx) => {
    if (event.type === 'search' && !event.query && !event.brand) {
      ctx.addIssue({ code: 'custom', path: ['query'], message: 'a search needs a query or a brand' });
    }
    const aggregated = event.type === 'ad_impression' || event.type === 'search';
    const emailOnly = event.type === 'email' && event.email !== undefined;
    if (!event.userId && !event.anonymousId && !aggregated && !emailOnly) {
      ctx.addIssue({
        code: 'custom',
        path: ['userId'],
        message:
          event.type === 'email'
            ? 'userId, anonymousId or email is required'
            : 'userId or anonymousId is required',
      });
    }
  });
export type IncomingEvent = z.output<typeof eventSchema>;

/** The `POST /v1/events` envelope; events are validated one by one so good ones survive bad ones. */
export const eventBatchSchema = z.object({
  events: z
    .array(z.unknown())
    .min(1, 'must hold at least one event')
    .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events`),
});

import { z } from 'zod';
import { channelIdSchema } from './channel-ids.ts';
import { isRealTimestamp } from './dates.ts';
import { unfaithfulValue } from './json-value.ts';

/** Limits of `POST /v1/events` (README: Sending data, Configuration). */
export const MAX_EVENTS_PER_BATCH = 500;
const EARLIEST_EVENT_MS = Date.parse('2000-01-01T00:00:00Z');
const LATEST_EVENT_MS = Date.parse('2100-01-01T00:00:00Z');
export const MAX_BATCH_BYTES = 1_000_000;
const MAX_PROPERTIES_BYTES = 8_192;
/** Deepest nesting of objects and arrays in `properties`: every reader of it walks it recursively. */
const MAX_PROPERTIES_DEPTH = 32;
export const MAX_URL_LENGTH = 4096;

export const EVENT_TYPES = [
  'ad_impression',
  'ad_click',
  'search',
  'page_view',
  'email',
  'conversion',
  'identify',
  'survey',
  'cart',
  'share',
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
  'subscribe',
] as const;
/** What happened to an e-mail, as every provider's events are mapped to it. */
export type EmailAction = (typeof EMAIL_ACTIONS)[number];
export const NETWORKS = ['search', 'display', 'video', 'social', 'shopping'] as const;
/** Net Promoter Score (0–10), customer satisfaction (1–5), "how did you hear about us" (an answer). */
export const SURVEY_KINDS = ['nps', 'csat', 'source'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];
export const CART_ACTIONS = ['add', 'remove', 'checkout'] as const;
export type CartAction = (typeof CART_ACTIONS)[number];

/** A lone UTF-16 surrogate: no UTF-8 encoding exists for it, so no file could hold it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (value: string) => !LONE_SURROGATE.test(value);
/** Trimmed, non-empty text of at most `max` UTF-16 units that any file or table can hold. */
export const wellFormedText = (max: number) =>
  z.string().trim().min(1).max(max).refine(wellFormed, 'must be valid Unicode (it holds a lone surrogate)');

/** At most `max` UTF-16 units, never half a surrogate pair (the schema counts units). */
export function clipText(value: string | undefined, max: number): string | undefined {
  if (value === undefined || value.length <= max) return value;
  const cut = value.slice(0, max);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trim() || undefined;
}
/**
 * Text kept in lower case, limited after lowering: lower case can be longer (`İ` becomes two
 * units), and the stored line is checked again when the lake is built.
 */
const lowerText = (max: number) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(max)
    .refine(wellFormed, 'must be valid Unicode (it holds a lone surrogate)');
const timestamp = z.iso
  .datetime({
    offset: true,
    abort: true,
    message: 'must be a real ISO-8601 timestamp with a time zone offset',
  })
  .refine(isRealTimestamp, 'is not a real date and time')
  // Partitions are UTC days: a date outside these years could not be stored or replayed.
  .refine((value) => {
    const ts = Date.parse(value);
    return ts >= EARLIEST_EVENT_MS && ts < LATEST_EVENT_MS;
  }, 'must be between 2000-01-01 and 2099-12-31');
const webUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`);
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
  source: wellFormedText(256).optional(),
  medium: wellFormedText(256).optional(),
  campaign: wellFormedText(256).optional(),
  term: wellFormedText(256).optional(),
  content: wellFormedText(256).optional(),
  id: wellFormedText(256).optional(),
});
export type Utm = z.infer<typeof utmSchema>;

/**
 * Free-form properties, kept as received. A value that could not be stored faithfully is refused
 * here, naming its path: an integer beyond ±2⁵³ (JSON parsing has already rounded it, so what we
 * would store is not what was sent; send such ids as strings).
 */
const propertiesSchema = z
  // Not z.record: it rebuilds the object by assignment, which would drop an own key `__proto__`.
  .custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be an object',
  )
  .superRefine((value, ctx) => {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    } catch {
      // Nesting too deep to serialise (RangeError) is not acceptable either.
      bytes = Number.POSITIVE_INFINITY;
    }
    if (bytes > MAX_PROPERTIES_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON` });
      return;
    }
    const issue = unfaithfulValue(value, { maxDepth: MAX_PROPERTIES_DEPTH, safeIntegers: true });
    if (issue) ctx.addIssue({ code: 'custom', ...issue });
  });

const common = {
  eventId: z.string().min(1).max(128).refine(wellFormed, 'must be valid Unicode (it holds a lone surrogate)'),
  occurredAt: timestamp,
  userId: wellFormedText(256).optional(),
  anonymousId: wellFormedText(256).optional(),
  utm: utmSchema.optional(),
  channel: channelIdSchema.optional(),
  campaign: wellFormedText(256).optional(),
  properties: propertiesSchema.optional(),
  /** The visit this event belongs to, when the sender keeps sessions (else visits follow inactivity). */
  sessionId: wellFormedText(256).optional(),
  /** The browser's user agent, when a browser sent the event: the lake leaves out bots by it. */
  userAgent: wellFormedText(1024).optional(),
};

const count = z.int().min(1).max(1_000_000_000).default(1);

const adFields = {
  ...common,
  platform: lowerText(64),
  campaign: wellFormedText(256),
  adGroup: wellFormedText(256).optional(),
  creative: wellFormedText(256).optional(),
  network: z.enum(NETWORKS).optional(),
  brand: wellFormedText(100).optional(),
  count,
  cost: moneySchema.optional(),
};

export const adImpressionSchema = z.object({ type: z.literal('ad_impression'), ...adFields });
export const adClickSchema = z.object({
  type: z.literal('ad_click'),
  ...adFields,
  clickId: wellFormedText(512).optional(),
  url: webUrl.optional(),
});
export const searchSchema = z.object({
  type: z.literal('search'),
  ...common,
  query: wellFormedText(512).optional(),
  brand: wellFormedText(100).optional(),
  engine: lowerText(64).optional(),
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
  campaign: wellFormedText(256),
  email: z.string().trim().pipe(z.email().max(320)).optional(),
  url: webUrl.optional(),
});
export const conversionSchema = z.object({
  type: z.literal('conversion'),
  ...common,
  name: wellFormedText(100),
  value: moneySchema.optional(),
  stage: stageSchema.optional(),
  /**
   * The event id of the conversion this refunds: its value (all of the refunded conversion's when
   * absent) is taken off that conversion's value everywhere value is reported; not a conversion itself.
   */
  refundOf: z
    .string()
    .min(1)
    .max(128)
    .refine(wellFormed, 'must be valid Unicode (it holds a lone surrogate)')
    .optional(),
});

/**
 * A survey answer: `nps` needs a whole `score` 0–10, `csat` a whole `score` 1–5, `source` ("how
 * did you hear about us") an `answer`; checked in {@link checkSubject}, so the path is named.
 */
export const surveySchema = z.object({
  type: z.literal('survey'),
  ...common,
  survey: z.enum(SURVEY_KINDS),
  score: z.number().finite().optional(),
  answer: wellFormedText(256).optional(),
});
/** A cart change: `add` and `remove` of a product, `checkout` started; `value` of what changed. */
export const cartSchema = z.object({
  type: z.literal('cart'),
  ...common,
  action: z.enum(CART_ACTIONS),
  value: moneySchema.optional(),
});
/** Someone shared a page or product (advocacy): what, and on which network. */
export const shareSchema = z.object({
  type: z.literal('share'),
  ...common,
  url: webUrl.optional(),
  network: lowerText(64).optional(),
});

/**
 * That an anonymous visitor (or a user under an earlier id) is a known user: from now on, and for
 * their earlier events too, both ids are one journey (resolved at compute; docs/decisions.md).
 */
export const identifySchema = z.object({
  type: z.literal('identify'),
  ...common,
  userId: wellFormedText(256),
  anonymousId: wellFormedText(256).optional(),
  /** A user id this user was known by before (Segment `alias`): both ids are one journey. */
  previousId: wellFormedText(256).optional(),
});

const eventUnion = z.discriminatedUnion('type', [
  adImpressionSchema,
  adClickSchema,
  searchSchema,
  pageViewSchema,
  emailSchema,
  conversionSchema,
  identifySchema,
  surveySchema,
  cartSchema,
  shareSchema,
]);

/** Every field some event type has (files of events are checked against these). */
export const EVENT_FIELDS: readonly string[] = [
  ...new Set(eventUnion.options.flatMap((schema) => Object.keys(schema.shape))),
];

/** Checks who an event is about; `emailHashed`: an e-mail address was there and is now a hash. */
function checkSubject(
  event: z.output<typeof eventUnion>,
  ctx: z.RefinementCtx,
  emailHashed: boolean,
  at: readonly string[] = [],
): void {
  if (event.type === 'search' && !event.query && !event.brand) {
    ctx.addIssue({ code: 'custom', path: [...at, 'query'], message: 'a search needs a query or a brand' });
  }
  if (event.type === 'identify' && !event.anonymousId && !event.previousId) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'anonymousId'],
      message: 'an identify links userId to an anonymousId or a previousId',
    });
  }
  if (event.type === 'conversion' && event.refundOf === event.eventId) {
    ctx.addIssue({ code: 'custom', path: [...at, 'refundOf'], message: 'a refund cannot refund itself' });
  }
  if (event.type === 'survey') {
    const [lowest, highest] = event.survey === 'nps' ? [0, 10] : event.survey === 'csat' ? [1, 5] : [];
    const { score } = event;
    if (
      lowest !== undefined &&
      highest !== undefined &&
      (score === undefined || !Number.isInteger(score) || score < lowest || score > highest)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: [...at, 'score'],
        message: `a ${event.survey} answer needs a whole score from ${lowest} to ${highest}`,
      });
    }
    if (event.survey === 'source' && event.answer === undefined) {
      ctx.addIssue({ code: 'custom', path: [...at, 'answer'], message: 'a source answer needs an answer' });
    }
  }
  // Aggregated rows (a platform's daily impressions, clicks or search volume) have no user.
  const aggregated = event.type === 'ad_impression' || event.type === 'ad_click' || event.type === 'search';
  const emailOnly = event.type === 'email' && (event.email !== undefined || emailHashed);
  if (!event.userId && !event.anonymousId && !aggregated && !emailOnly) {
    ctx.addIssue({
      code: 'custom',
      path: [...at, 'userId'],
      message:
        event.type === 'email'
          ? 'userId, anonymousId or email is required'
          : 'userId or anonymousId is required',
    });
  }
}

/** One incoming event, validated. */
export const eventSchema = eventUnion.superRefine((event, ctx) => checkSubject(event, ctx, false));
export type IncomingEvent = z.output<typeof eventSchema>;

/** Where an event came in: the events API, the Segment-compatible API, or a provider's webhook. */
export const eventSourceSchema = z.string().regex(/^(events|segment|webhook:[a-z-]+)$/);

/**
 * One line of the raw zone (`raw/v2/`): an accepted event as it was received, validated, with the
 * e-mail address replaced by its keyed hash, when and through which route it came. Nothing derived
 * from the config (channel, stage, voices) is stored: the lake derives that with the current config.
 */
export const storedEventSchema = z
  .object({
    receivedAt: z.iso.datetime({ offset: false }),
    source: eventSourceSchema,
    emailHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    event: eventUnion,
  })
  .superRefine((stored, ctx) => checkSubject(stored.event, ctx, stored.emailHash !== undefined, ['event']));
export type StoredEvent = z.output<typeof storedEventSchema>;

/** The `POST /v1/events` envelope; events are validated one by one so good ones survive bad ones. */
export const eventBatchSchema = z.object({
  events: z
    .array(z.unknown())
    .min(1, 'must hold at least one event')
    .max(MAX_EVENTS_PER_BATCH, `must hold at most ${MAX_EVENTS_PER_BATCH} events`),
});

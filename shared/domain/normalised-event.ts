import { z } from 'zod';
import { channelIdSchema, sourceCategorySchema } from './channel-ids.ts';
import {
  CART_ACTIONS,
  EMAIL_ACTIONS,
  EVENT_TYPES,
  NETWORKS,
  SURVEY_KINDS,
  stageSchema,
  utmSchema,
} from './event-schema.ts';

/**
 * A row of the lake's events table: a stored event classified with the current config (channel,
 * stage, touch, voices, referral), money in integer micros of the configured currency. The lake
 * builder makes it from the raw zone; `lake-tables.ts` maps it to Parquet columns.
 */
export const normalisedEventSchema = z.object({
  eventId: z.string().min(1).max(128),
  type: z.enum(EVENT_TYPES),
  /** Occurrence instant, ISO-8601 in UTC. */
  occurredAt: z.string(),
  /** Occurrence instant in epoch milliseconds. */
  ts: z.int(),
  receivedAt: z.string(),
  /** The route it came in through: `events`, `segment`, `webhook:<provider>`. */
  source: z.string(),
  /** Whose journey this event is part of: `u:<userId>`, `a:<anonymousId>` or `e:<email hash>`. */
  userKey: z.string().optional(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  emailHash: z.string().optional(),
  channel: channelIdSchema,
  /** Funnel stage; absent for events in no stage (e-mail sent, delivered, bounce, ...). */
  stage: stageSchema.optional(),
  /** Whether the event is a touch (a non-conversion event in a stage other than a share, not internal navigation). */
  touch: z.boolean(),
  /** Sent by a crawler or other robot (by its user agent): kept in the lake, counted in no metric. */
  bot: z.boolean(),
  /**
   * The visit of a page view or conversion: the sender's session id (RudderStack's, the tag's),
   * else `<user key>@<first event's time>` after `sessionTimeoutMinutes` of inactivity.
   */
  visitId: z.string().optional(),
  /** Weight of aggregated rows (impressions, search volume); 1 otherwise. */
  count: z.int().min(1),
  campaign: z.string().optional(),
  platform: z.string().optional(),
  network: z.enum(NETWORKS).optional(),
  adGroup: z.string().optional(),
  creative: z.string().optional(),
  costMicros: z.int().min(0).optional(),
  valueMicros: z.int().min(0).optional(),
  /** Names (brand or competitor) this event gives a voice to, and from where. */
  voices: z.array(z.string()).optional(),
  voiceSource: z.enum(['ads', 'search']).optional(),
  /** Set on page views that count as referral traffic: external referrer, no UTM or click id. */
  referralDomain: z.string().optional(),
  referralCategory: z.enum(['search', 'social', 'referral']).optional(),
  referrerHost: z.string().optional(),
  referrerCategory: sourceCategorySchema.optional(),
  conversion: z.string().optional(),
  /** A refund's refunded conversion (a refund is a `conversion` row that is no conversion). */
  refundOf: z.string().optional(),
  emailAction: z.enum(EMAIL_ACTIONS).optional(),
  survey: z.enum(SURVEY_KINDS).optional(),
  /** A survey's score (NPS 0–10, CSAT 1–5). */
  score: z.number().optional(),
  /** A survey's free answer ("how did you hear about us"). */
  answer: z.string().optional(),
  cartAction: z.enum(CART_ACTIONS).optional(),
  /** Where something was shared (a share's `network`). */
  shareNetwork: z.string().optional(),
  utm: utmSchema.optional(),
  clickId: z.object({ name: z.string(), value: z.string() }).optional(),
  url: z.string().optional(),
  query: z.string().optional(),
  engine: z.string().optional(),
  position: z.number().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
export type NormalisedEvent = z.infer<typeof normalisedEventSchema>;

/** A spend row after validation: keyed by date + platform + campaign + channel, money in micros. */
export const spendRowSchema = z.object({
  date: z.string(),
  channel: channelIdSchema,
  platform: z.string(),
  campaign: z.string(),
  costMicros: z.int().min(0),
  currency: z.string(),
  impressions: z.int().min(0).optional(),
  clicks: z.int().min(0).optional(),
});
export type SpendRow = z.infer<typeof spendRowSchema>;

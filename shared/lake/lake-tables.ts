import type { NormalisedEvent } from '#domain/normalised-event.ts';

/** One column of a lake table: its name (snake_case, for SQL and Athena), DuckDB type and value. */
export interface LakeColumn<T> {
  readonly name: string;
  readonly type: string;
  /** Glue/Athena type of the same column. */
  readonly glueType: string;
  readonly value: (row: T) => unknown;
  /** Computed from the other columns when written, instead of `value`. */
  readonly sql?: string;
}

/** Prefix of the lake; `v1` is the column layout below. */
export const LAKE_PREFIX = 'lake/v1/';
/**
 * Which copy of an event id counts, wherever copies meet (across days, across a day's parts): the
 * one received last, then the later event time. An SQL `ORDER BY` over lake columns.
 */
export const LATEST_COPY_FIRST = 'received_at DESC, ts DESC';
export type LakeTable = 'events' | 'identities' | 'refunds' | 'conversions' | 'visitors';

const text = <T>(name: string, value: (row: T) => string | undefined): LakeColumn<T> => ({
  name,
  type: 'VARCHAR',
  glueType: 'string',
  value,
});
const bigint = <T>(name: string, value: (row: T) => number | undefined): LakeColumn<T> => ({
  name,
  type: 'BIGINT',
  glueType: 'bigint',
  value,
});

/**
 * The events table: one row per `eventId` of a UTC day, classified with the config current when
 * the day was built. Money is integer micros (BIGINT: one amount is at most 10⁹ units = 10¹⁵
 * micros; SQL sums widen to HUGEINT, so no realistic sum overflows). Files are sorted by
 * `user_key, ts, event_id`, so a journey reads contiguously.
 */
export const EVENT_COLUMNS: ReadonlyArray<LakeColumn<NormalisedEvent>> = [
  text('event_id', (e) => e.eventId),
  text('type', (e) => e.type),
  bigint('ts', (e) => e.ts),
  {
    name: 'occurred_at',
    type: 'TIMESTAMP',
    glueType: 'timestamp',
    value: () => undefined,
    sql: 'make_timestamp(ts * 1000)',
  },
  text('received_at', (e) => e.receivedAt),
  text('source', (e) => e.source),
  text('user_key', (e) => e.userKey),
  text('user_id', (e) => e.userId),
  text('anonymous_id', (e) => e.anonymousId),
  text('email_hash', (e) => e.emailHash),
  text('channel', (e) => e.channel),
  text('stage', (e) => e.stage),
  { name: 'touch', type: 'BOOLEAN', glueType: 'boolean', value: (e) => e.touch },
  { name: 'bot', type: 'BOOLEAN', glueType: 'boolean', value: (e) => e.bot },
  text('visit_id', (e) => e.visitId),
  bigint('count', (e) => e.count),
  text('campaign', (e) => e.campaign),
  text('platform', (e) => e.platform),
  text('network', (e) => e.network),
  text('ad_group', (e) => e.adGroup),
  text('creative', (e) => e.creative),
  bigint('cost_micros', (e) => e.costMicros),
  bigint('value_micros', (e) => e.valueMicros),
  { name: 'voices', type: 'VARCHAR[]', glueType: 'array<string>', value: (e) => e.voices },
  text('voice_source', (e) => e.voiceSource),
  text('referral_domain', (e) => e.referralDomain),
  text('referral_category', (e) => e.referralCategory),
  text('referrer_host', (e) => e.referrerHost),
  text('referrer_category', (e) => e.referrerCategory),
  text('conversion', (e) => e.conversion),
  text('refund_of', (e) => e.refundOf),
  text('email_action', (e) => e.emailAction),
  text('survey', (e) => e.survey),
  { name: 'score', type: 'DOUBLE', glueType: 'double', value: (e) => e.score },
  text('answer', (e) => e.answer),
  text('cart_action', (e) => e.cartAction),
  text('share_network', (e) => e.shareNetwork),
  text('utm_source', (e) => e.utm?.source),
  text('utm_medium', (e) => e.utm?.medium),
  text('utm_campaign', (e) => e.utm?.campaign),
  text('utm_term', (e) => e.utm?.term),
  text('utm_content', (e) => e.utm?.content),
  text('utm_id', (e) => e.utm?.id),
  text('click_id_name', (e) => e.clickId?.name),
  text('click_id', (e) => e.clickId?.value),
  text('url', (e) => e.url),
  text('query', (e) => e.query),
  text('engine', (e) => e.engine),
  { name: 'position', type: 'DOUBLE', glueType: 'double', value: (e) => e.position },
  // JSON text: free-form values are kept exactly as received, whatever their keys.
  text('properties', (e) => (e.properties === undefined ? undefined : JSON.stringify(e.properties))),
];

/** A link between two user keys: from now on, and for earlier events too, `from` is `to`. */
export interface IdentityLink {
  readonly fromKey: string;
  readonly toKey: string;
  readonly ts: number;
  readonly eventId: string;
}

/** The identities table: links seen on a UTC day (identify events, and any event with both ids). */
export const IDENTITY_COLUMNS: ReadonlyArray<LakeColumn<IdentityLink>> = [
  text('from_key', (l) => l.fromKey),
  text('to_key', (l) => l.toKey),
  bigint('ts', (l) => l.ts),
  text('event_id', (l) => l.eventId),
];

/** A refund, kept apart too: a refund can come long after its conversion, so compute reads them all. */
export interface RefundLink {
  readonly eventId: string;
  readonly refundOf: string;
  /** What was refunded, in micros; absent: the whole conversion. */
  readonly valueMicros: number | undefined;
  readonly ts: number;
  readonly receivedAt: string;
  /**
   * When the build that wrote it started (ISO): a compute planned before then may not have seen
   * it, so the day of its conversion is computed again (services/late-refunds.ts).
   */
  readonly builtAt: string;
}

/** The refunds table: the refunds received for a UTC day (by the refund's time). */
export const REFUND_COLUMNS: ReadonlyArray<LakeColumn<RefundLink>> = [
  text('event_id', (r) => r.eventId),
  text('refund_of', (r) => r.refundOf),
  bigint('value_micros', (r) => r.valueMicros),
  bigint('ts', (r) => r.ts),
  text('received_at', (r) => r.receivedAt),
  text('built_at', (r) => r.builtAt),
];

/** A conversion (not a refund, not a robot's), indexed so a late refund finds its day. */
export interface ConversionEntry {
  readonly eventId: string;
  readonly userKey: string | undefined;
  readonly ts: number;
  readonly receivedAt: string;
}

/**
 * The conversions table: the conversions of a UTC day, narrow. A refund names only the event id it
 * refunds, and this says on which day that conversion counts without reading the whole lake.
 * Written when a day is built whole (like the visitors table), not by its appended parts.
 */
export const CONVERSION_COLUMNS: ReadonlyArray<LakeColumn<ConversionEntry>> = [
  text('event_id', (c) => c.eventId),
  text('user_key', (c) => c.userKey),
  bigint('ts', (c) => c.ts),
  text('received_at', (c) => c.receivedAt),
];

/** A user key's first page view of a UTC day. */
export interface VisitorEntry {
  readonly userKey: string;
  readonly firstTs: number;
}

/**
 * The visitors table: each user key with a page view on a UTC day, and the first one's time, so a
 * compute tells a visitor's first page view ever from a return after a long gap without reading
 * the events of every day. Written when a day is built whole.
 */
export const VISITOR_COLUMNS: ReadonlyArray<LakeColumn<VisitorEntry>> = [
  text('user_key', (v) => v.userKey),
  bigint('first_ts', (v) => v.firstTs),
];

/**
 * The object key of one file of a lake table's partition for a UTC day. Part `0` is the day built
 * whole from the raw zone (replaced whole); the other parts hold what arrived since, named by when
 * they were written, until the next whole build replaces them.
 */
export function lakePartitionKey(table: LakeTable, date: string, part = '0'): string {
  return `${lakeDayPrefix(table, date)}part-${part}.parquet`;
}

/** The folder of a lake table's partition for a UTC day. */
export function lakeDayPrefix(table: LakeTable, date: string): string {
  return `${LAKE_PREFIX}${table}/dt=${date}/`;
}

import { z } from 'zod';
import type { ChannelId } from '../channel-ids.ts';
import { CHANNEL_IDS, channelIdSchema } from '../channel-ids.ts';
import type { Stage } from '../event-schema.ts';
import { STAGES, stageSchema } from '../event-schema.ts';
import { EMPTY_SKETCH, mergeSketches, type UserSketch, userSketchSchema } from './user-sketch.ts';

/**
 * Mergeable metric aggregates (docs/architecture.md, data flow: results per day, finalised at query time).
 *
 * A {@link MetricsPartial} holds, per calendar day in the configured time zone, counts, money
 * micros and mergeable distinct-user sketches. Merging is commutative and associative, and
 * splitting the same events over any number of compute buckets gives the same merged partial.
 *
 * Canonical form (so merged partials compare equal, even as JSON text): every field of a
 * {@link DayPartial} is present; zero counts, empty cells and empty days are never stored; keys are
 * ordered (channels in `CHANNEL_IDS` order, stages in funnel order, everything else by code unit).
 * Records keyed by data (voice names, domains) are built with `Object.fromEntries`, so a key such as
 * `__proto__` is an ordinary own property.
 */

/** Category of a referring domain (docs/channels.md). */
export type ReferralCategory = 'search' | 'social' | 'referral';
export const REFERRAL_CATEGORIES = ['search', 'social', 'referral'] as const;

/** Events and distinct users of one stage on one channel on one day. */
export interface StageCell {
  /** Events, weighted by `count`. */
  events: number;
  /** A sketch of the users behind the events (events without a user add none): see user-sketch.ts. */
  users: UserSketch;
}

/** Referral visits and last-touch conversions of one referring domain on one day. */
export interface ReferralCell {
  category: ReferralCategory;
  /** Page views with this referral domain, weighted by `count`. */
  visits: number;
  /** Conversions whose last touch came from this domain. */
  conversions: number;
}

/** Everything the four metric responses need for one calendar day; plain JSON. */
export interface DayPartial {
  /** Touches (`touch === true`) per channel, weighted by `count`. */
  touches: Partial<Record<ChannelId, number>>;
  /** Conversions per last-touch channel (`direct` when no touch in the lookback window). */
  conversions: Partial<Record<ChannelId, number>>;
  /** Conversion value in micros of the configured currency, per last-touch channel. */
  valueMicros: Partial<Record<ChannelId, number>>;
  /** Spend in micros per channel (added by `addSpend`, never by the map step). */
  spendMicros: Partial<Record<ChannelId, number>>;
  /**
   * Share-of-voice counts per name, weighted by `count`: per computed day the configured names
   * and the {@link MAX_VOICE_NAMES} largest others of each source (any sender may name any brand).
   */
  voices: { ads: Record<string, number>; search: Record<string, number> };
  /** What the names beyond those counted: still part of each source's total. */
  otherVoices?: { ads: number; search: number };
  /**
   * Per referring domain: per computed day the {@link MAX_REFERRAL_DOMAINS} largest (any sender
   * may send any referrer).
   */
  referrals: Record<string, ReferralCell>;
  /** What the domains beyond those counted: still part of the day's referral visits. */
  otherReferrals?: { visits: number; conversions: number };
  /** Per stage, per channel (a conversion's last-touch channel, a touch's own channel). */
  stages: Partial<Record<Stage, Partial<Record<ChannelId, StageCell>>>>;
  /**
   * Only in a stored block of days (see {@link mergeDayRun}): referral visits per day of the block
   * (days without any left out), which the daily series of referral traffic needs.
   */
  referralVisitsByDay?: Record<string, number>;
}

/** Day partials keyed by `YYYY-MM-DD`. */
export interface MetricsPartial {
  days: Record<string, DayPartial>;
}

/** Sums are doubles: exact below 2⁵³, and never a failure above it. */
const count = z.number().finite().min(0);
const channelCounts = z.partialRecord(channelIdSchema, count);

/**
 * A record keyed by data (voice names, domains). `z.record` rebuilds objects by assignment, which
 * would drop a key named `__proto__`; going through entries keeps every own key.
 */
export function dataRecord<T>(value: z.ZodType<T>) {
  return z
    .custom<object>(
      (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
      'expected an object',
    )
    .transform((input) => Object.entries(input))
    .pipe(z.array(z.tuple([z.string(), value])))
    .transform((entries): Record<string, T> => Object.fromEntries(entries));
}

/** Validates one day partial read back from storage (the shape {@link DayPartial} describes). */
export const dayPartialSchema: z.ZodType<DayPartial> = z.object({
  touches: channelCounts,
  conversions: channelCounts,
  valueMicros: channelCounts,
  spendMicros: channelCounts,
  voices: z.object({ ads: dataRecord(count), search: dataRecord(count) }),
  otherVoices: z.object({ ads: count, search: count }).optional(),
  referrals: dataRecord(
    z.object({ category: z.enum(REFERRAL_CATEGORIES), visits: count, conversions: count }),
  ),
  otherReferrals: z.object({ visits: count, conversions: count }).optional(),
  stages: z.partialRecord(
    stageSchema,
    z.partialRecord(
      channelIdSchema,
      z.object({
        events: count,
        users: userSketchSchema,
      }),
    ),
  ),
  referralVisitsByDay: z.record(z.iso.date(), count).optional(),
});

/** Validates a whole partial read back from storage. */
export const metricsPartialSchema: z.ZodType<MetricsPartial> = z.object({
  days: z.record(z.iso.date(), dayPartialSchema),
});

/** A partial with no days. */
export function emptyPartial(): MetricsPartial {
  return { days: {} };
}

/** A day partial with nothing in it (every field present, as the canonical form requires). */
export function emptyDay(): DayPartial {
  return {
    touches: {},
    conversions: {},
    valueMicros: {},
    spendMicros: {},
    voices: { ads: {}, search: {} },
    referrals: {},
    stages: {},
  };
}

/** Merges two partials into a new one; neither input is changed or shared with the result. */
export function mergePartials(a: MetricsPartial, b: MetricsPartial): MetricsPartial {
  return mergeAll([a, b]);
}

/**
 * Merges any number of partials into a new, canonical one in one pass (an n-way merge, so reducing
 * many bucket partials does not re-merge the user sketches once per bucket).
 *
 */
export function mergeAll(list: Iterable<MetricsPartial>): MetricsPartial {
  const byDay = new Map<string, DayPartial[]>();
  for (const partial of list) {
    for (const [date, day] of Object.entries(partial.days)) {
      const parts = byDay.get(date);
      if (parts) parts.push(day);
      else byDay.set(date, [day]);
    }
  }
  const days: Array<[string, DayPartial]> = [];
  for (const date of [...byDay.keys()].sort(byCodeUnit)) {
    const merged = mergeDays(byDay.get(date) ?? []);
    if (!isEmptyDay(merged)) days.push([date, merged]);
  }
  return { days: Object.fromEntries(days) };
}

/**
 * Consecutive days (or blocks of them), keyed by their first day, as one partial: a stored block
 * of days. Every figure is a sum or a mergeable sketch; the referral visits of each day are kept
 * apart for the daily series.
 */
export function mergeDayRun(parts: ReadonlyMap<string, DayPartial>): DayPartial {
  const merged = mergeDays([...parts.values()]);
  const byDay = new Map<string, number>();
  for (const [date, part] of parts) {
    for (const [day, visits] of Object.entries(referralVisitsOf(date, part))) {
      if (visits > 0) byDay.set(day, (byDay.get(day) ?? 0) + visits);
    }
  }
  return { ...merged, referralVisitsByDay: recordOf(byDay) };
}

/** Referral visits per day of a day's (or a block's, keyed by its first day) partial. */
export function referralVisitsOf(date: string, part: DayPartial): Record<string, number> {
  if (part.referralVisitsByDay) return part.referralVisitsByDay;
  let visits = part.otherReferrals?.visits ?? 0;
  for (const cell of Object.values(part.referrals)) visits += cell.visits;
  return { [date]: visits };
}

/** Whether a day partial holds nothing. */
export function isEmptyDay(day: DayPartial): boolean {
  return (
    isEmptyRecord(day.touches) &&
    isEmptyRecord(day.conversions) &&
    isEmptyRecord(day.valueMicros) &&
    isEmptyRecord(day.spendMicros) &&
    isEmptyRecord(day.voices.ads) &&
    isEmptyRecord(day.voices.search) &&
    !day.otherVoices &&
    isEmptyRecord(day.referrals) &&
    !day.otherReferrals &&
    isEmptyRecord(day.stages)
  );
}

function mergeDays(parts: readonly DayPartial[]): DayPartial {
  const referrals = new Map<string, ReferralCell>();
  for (const part of parts) {
    for (const [domain, cell] of Object.entries(part.referrals)) {
      const sum = referrals.get(domain);
      if (sum) {
        sum.visits = sum.visits + cell.visits;
        sum.conversions = sum.conversions + cell.conversions;
        sum.category = pickCategory(sum.category, cell.category);
      } else {
        referrals.set(domain, {
          category: cell.category,
          visits: cell.visits,
          conversions: cell.conversions,
        });
      }
    }
  }
  const stages: Array<[Stage, Partial<Record<ChannelId, StageCell>>]> = [];
  for (const stage of STAGES) {
    const cells = new Map<string, { events: number; users: UserSketch[] }>();
    for (const part of parts) {
      for (const [channel, cell] of Object.entries(part.stages[stage] ?? {})) {
        const sum = cells.get(channel);
        if (sum) {
          sum.events = sum.events + cell.events;
          sum.users.push(cell.users);
        } else {
          cells.set(channel, { events: cell.events, users: [cell.users] });
        }
      }
    }
    const merged: Array<[string, StageCell]> = [];
    for (const channel of orderedKeys(cells.keys(), CHANNEL_RANK)) {
      const cell = cells.get(channel);
      if (!cell) continue;
      const users = mergeSketches(cell.users);
      if (cell.events > 0 || users !== EMPTY_SKETCH) merged.push([channel, { events: cell.events, users }]);
    }
    if (merged.length > 0) stages.push([stage, Object.fromEntries(merged)]);
  }
  return {
    touches: sumCounts(
      parts.map((p) => p.touches),
      CHANNEL_RANK,
    ),
    conversions: sumCounts(
      parts.map((p) => p.conversions),
      CHANNEL_RANK,
    ),
    valueMicros: sumCounts(
      parts.map((p) => p.valueMicros),
      CHANNEL_RANK,
    ),
    spendMicros: sumCounts(
      parts.map((p) => p.spendMicros),
      CHANNEL_RANK,
    ),
    voices: {
      ads: sumCounts(parts.map((p) => p.voices.ads)),
      search: sumCounts(parts.map((p) => p.voices.search)),
    },
    ...sumOtherVoices(parts),
    referrals: referralRecord(referrals),
    ...sumOtherReferrals(parts),
    stages: Object.fromEntries(stages),
  };
}

function sumOtherReferrals(parts: readonly DayPartial[]): Pick<DayPartial, 'otherReferrals'> {
  const visits = parts.reduce((sum, p) => sum + (p.otherReferrals?.visits ?? 0), 0);
  const conversions = parts.reduce((sum, p) => sum + (p.otherReferrals?.conversions ?? 0), 0);
  return visits > 0 || conversions > 0 ? { otherReferrals: { visits, conversions } } : {};
}

/** Referring domains kept in a day's partial (the API lists at most 1,000). */
export const MAX_REFERRAL_DOMAINS = 1000;

/**
 * A day's referral cells as compute stores them: the {@link MAX_REFERRAL_DOMAINS} with the most
 * visits (then conversions, then by code unit); what the rest counted goes to `otherReferrals`,
 * present only when it holds something. As with voices, merges sum without cutting again.
 */
export function boundReferrals(
  cells: ReadonlyMap<string, ReferralCell>,
  limit = MAX_REFERRAL_DOMAINS,
): Pick<DayPartial, 'referrals' | 'otherReferrals'> {
  if (cells.size <= limit) return { referrals: referralRecord(cells) };
  const ranked = [...cells].sort(
    ([a, x], [b, y]) => y.visits - x.visits || y.conversions - x.conversions || byCodeUnit(a, b),
  );
  const cut = ranked.slice(limit);
  const visits = cut.reduce((sum, [, cell]) => sum + cell.visits, 0);
  const conversions = cut.reduce((sum, [, cell]) => sum + cell.conversions, 0);
  return {
    referrals: referralRecord(new Map(ranked.slice(0, limit))),
    ...(visits > 0 || conversions > 0 ? { otherReferrals: { visits, conversions } } : {}),
  };
}

/**
 * Every day of a merged partial in its stored form: the configured voices and the
 * {@link MAX_VOICE_NAMES} largest others, the {@link MAX_REFERRAL_DOMAINS} largest referring
 * domains, the rest summed apart. Taken after a compute's buckets are merged, so the cut sees each
 * name's whole day and does not depend on how persons were split.
 */
export function boundMetricsDays(partial: MetricsPartial, voicesKept: readonly string[]): MetricsPartial {
  const days: Record<string, DayPartial> = {};
  for (const [date, day] of Object.entries(partial.days)) {
    const { otherVoices: voicesBefore, otherReferrals: referralsBefore, ...rest } = day;
    const voices = boundVoices(day.voices, voicesKept);
    const referrals = boundReferrals(new Map(Object.entries(day.referrals)));
    // What an earlier cut summed apart stays summed apart.
    const otherVoices = {
      ads: (voicesBefore?.ads ?? 0) + (voices.otherVoices?.ads ?? 0),
      search: (voicesBefore?.search ?? 0) + (voices.otherVoices?.search ?? 0),
    };
    const otherReferrals = {
      visits: (referralsBefore?.visits ?? 0) + (referrals.otherReferrals?.visits ?? 0),
      conversions: (referralsBefore?.conversions ?? 0) + (referrals.otherReferrals?.conversions ?? 0),
    };
    putOwn(days, date, {
      ...rest,
      voices: voices.voices,
      referrals: referrals.referrals,
      ...(otherVoices.ads > 0 || otherVoices.search > 0 ? { otherVoices } : {}),
      ...(otherReferrals.visits > 0 || otherReferrals.conversions > 0 ? { otherReferrals } : {}),
    });
  }
  return { days };
}

/** A canonical record of the referral cells that hold something. */
export function referralRecord(cells: ReadonlyMap<string, ReferralCell>): Record<string, ReferralCell> {
  const entries: Array<[string, ReferralCell]> = [];
  for (const domain of orderedKeys(cells.keys())) {
    const cell = cells.get(domain);
    if (cell && (cell.visits > 0 || cell.conversions > 0)) entries.push([domain, { ...cell }]);
  }
  return Object.fromEntries(entries);
}

/**
 * One category per domain, chosen the same way whatever the merge order: the first in
 * {@link REFERRAL_CATEGORIES} order. Classification is per host so a conflict only appears when the
 * referrer catalogue changed between loads.
 */
export function pickCategory(a: ReferralCategory, b: ReferralCategory): ReferralCategory {
  return REFERRAL_CATEGORIES.indexOf(a) <= REFERRAL_CATEGORIES.indexOf(b) ? a : b;
}

function sumCounts(
  records: ReadonlyArray<Readonly<Record<string, number>>>,
  rank?: ReadonlyMap<string, number>,
) {
  const sums = new Map<string, number>();
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) sums.set(key, (sums.get(key) ?? 0) + value);
  }
  return recordOf(sums, rank);
}

/** Names kept per source in a day's partial besides the configured ones (the API lists at most 1,000). */
export const MAX_VOICE_NAMES = 1000;

/**
 * A day's voices as compute stores them: every configured name (`keep`, compared
 * case-insensitively, as the finaliser does) and the {@link MAX_VOICE_NAMES} largest others (ties
 * by code unit); what the rest counted goes to `otherVoices`, present only when it holds
 * something. Merges sum without cutting again, so they stay exact and associative.
 */
export function boundVoices(
  voices: DayPartial['voices'],
  keep: readonly string[],
  limit = MAX_VOICE_NAMES,
): Pick<DayPartial, 'voices' | 'otherVoices'> {
  const configured = new Set(keep.map((name) => name.toLowerCase()));
  const bound = (record: Record<string, number>): [Record<string, number>, number] => {
    const entries = Object.entries(record);
    if (entries.length <= limit) return [record, 0];
    const kept = new Set(
      entries
        .filter(([name]) => !configured.has(name.toLowerCase()))
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, limit)
        .map(([name]) => name),
    );
    const keeps = (name: string) => kept.has(name) || configured.has(name.toLowerCase());
    let cut = 0;
    for (const [name, value] of entries) if (!keeps(name)) cut += value;
    return [Object.fromEntries(entries.filter(([name]) => keeps(name))), cut];
  };
  const [ads, adsCut] = bound(voices.ads);
  const [search, searchCut] = bound(voices.search);
  return {
    voices: { ads, search },
    ...(adsCut > 0 || searchCut > 0 ? { otherVoices: { ads: adsCut, search: searchCut } } : {}),
  };
}

function sumOtherVoices(parts: readonly DayPartial[]): Pick<DayPartial, 'otherVoices'> {
  const ads = parts.reduce((sum, p) => sum + (p.otherVoices?.ads ?? 0), 0);
  const search = parts.reduce((sum, p) => sum + (p.otherVoices?.search ?? 0), 0);
  return ads > 0 || search > 0 ? { otherVoices: { ads, search } } : {};
}

/** A canonical record of the non-zero entries of `counts`. */
export function recordOf(counts: ReadonlyMap<string, number>, rank?: ReadonlyMap<string, number>) {
  const entries: Array<[string, number]> = [];
  for (const key of orderedKeys(counts.keys(), rank)) {
    const value = counts.get(key) ?? 0;
    if (value !== 0) entries.push([key, value]);
  }
  return Object.fromEntries(entries) as Record<string, number>;
}

/**
 * Sets `record[key]` as an own property in constant time, whatever the key: assignment (and
 * `Object.assign`) would set the prototype for `__proto__`, and re-spreading the record per key
 * makes a fold quadratic.
 */
export function putOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Appends `value` to the list `map` holds under `key` (a new list for a new key), in place. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Rank of each channel id, for ordering channel-keyed records. */
export const CHANNEL_RANK: ReadonlyMap<string, number> = new Map(CHANNEL_IDS.map((id, i) => [id, i]));

/** Keys ordered by `rank` (unranked keys last), then by code unit. */
export function orderedKeys(keys: Iterable<string>, rank?: ReadonlyMap<string, number>): string[] {
  const list = [...keys];
  if (!rank) return list.sort(byCodeUnit);
  return list.sort((a, b) => {
    const ra = rank.get(a) ?? Number.POSITIVE_INFINITY;
    const rb = rank.get(b) ?? Number.POSITIVE_INFINITY;
    return ra === rb ? byCodeUnit(a, b) : ra - rb;
  });
}

/** Plain code-unit order: locale-independent, so every runtime sorts the same way. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isEmptyRecord(record: object): boolean {
  return Object.keys(record).length === 0;
}

import type { ChannelId } from '../channel-ids.ts';
import { datesBetween, isCalendarDate } from '../dates.ts';
import type { Stage } from '../event-schema.ts';
import { STAGES } from '../event-schema.ts';
import { money, rate } from '../rates.ts';
import type { DayPartial, MetricsPartial, ReferralCategory } from './partial.ts';
import { byCodeUnit, CHANNEL_RANK, pickCategory, referralVisitsOf } from './partial.ts';
import { estimateUnion, type UserSketch } from './user-sketch.ts';

/**
 * The reduce-side finalisers: turn the merged day partials of a date range into the four metric
 * responses of the README (Reading metrics). Only days within [`from`, `to`] count, whatever else the partial holds.
 *
 * Rounding (outputs only; partials stay exact): money is reported in currency units rounded to 6
 * decimals (the micro), shares are rounded to 12 decimals, so shares sum to 1 within 1e-11.
 * Counts are exact integers.
 */

/** An inclusive range of calendar days (`YYYY-MM-DD`, in the configured time zone). */
export interface DateRangeProps {
  readonly from: string;
  readonly to: string;
}

export type ShareBasis = 'touches' | 'conversions' | 'spend';

export interface ChannelShareProps extends DateRangeProps {
  readonly basis: ShareBasis;
}

export interface ChannelShareRow {
  channel: ChannelId;
  /** Touches or conversions; for the `spend` basis, currency units. */
  count: number;
  share: number;
}

/** `GET /v1/metrics/channel-share`. */
export interface ChannelShareResult {
  from: string;
  to: string;
  basis: ShareBasis;
  total: number;
  channels: ChannelShareRow[];
}

/**
 * Each channel's share of touches, of last-touch conversions or of spend. Channels with nothing are
 * left out; rows are ordered by count (descending), then by channel id order.
 */
export function channelShare(partial: MetricsPartial, props: ChannelShareProps): ChannelShareResult {
  const sums = new Map<string, number>();
  for (const day of daysIn(partial, props)) {
    const record =
      props.basis === 'touches'
        ? day.touches
        : props.basis === 'conversions'
          ? day.conversions
          : day.spendMicros;
    for (const [channel, value] of Object.entries(record))
      sums.set(channel, (sums.get(channel) ?? 0) + value);
  }
  let total = 0;
  for (const value of sums.values()) total += value;
  // Spend is summed in micros and converted once, so shares come from exact integers.
  const units = props.basis === 'spend' ? money : (value: number) => value;
  const channels = [...sums]
    .filter(([, value]) => value > 0)
    .sort(([a, x], [b, y]) => y - x || (CHANNEL_RANK.get(a) ?? 0) - (CHANNEL_RANK.get(b) ?? 0))
    .map(([channel, value]) => ({
      channel: channel as ChannelId,
      count: units(value),
      share: ratio(value, total),
    }));
  return { from: props.from, to: props.to, basis: props.basis, total: units(total), channels };
}

export type VoiceSource = 'ads' | 'search' | 'all';

export interface ShareOfVoiceProps extends DateRangeProps {
  readonly source: VoiceSource;
  /** The configured brand name. */
  readonly brand: string;
  /** The configured competitor names. */
  readonly competitors: readonly string[];
  /** How many names not in the config to list at most (the total still covers all of them). */
  readonly limit: number;
}

export interface ShareOfVoiceEntry {
  name: string;
  isBrand: boolean;
  count: number;
  share: number;
}

/** `GET /v1/metrics/share-of-voice`. */
export interface ShareOfVoiceResult {
  from: string;
  to: string;
  source: VoiceSource;
  total: number;
  entries: ShareOfVoiceEntry[];
}

/**
 * Share of voice from ad impressions, searches or both. The brand and every competitor are always
 * listed (at 0 if unseen); of the other names found in the data, the `limit` largest (any sender
 * can name any brand on an impression: without a limit the answer grows with them). A day keeps
 * its 1,000 largest names per source; what the others counted stays in the total. Names matching a configured
 * one case-insensitively count for the configured spelling (config names are unique that way).
 * Ordered by count (descending), then name.
 */
export function shareOfVoice(partial: MetricsPartial, props: ShareOfVoiceProps): ShareOfVoiceResult {
  const configured = new Map<string, string>();
  const counts = new Map<string, number>();
  /** Names a day partial no longer lists (beyond its largest); they still count in the total. */
  let unlisted = 0;
  for (const name of [props.brand, ...props.competitors]) {
    if (configured.has(name.toLowerCase())) continue;
    configured.set(name.toLowerCase(), name);
    counts.set(name, 0);
  }
  for (const day of daysIn(partial, props)) {
    const sources = props.source === 'all' ? [day.voices.ads, day.voices.search] : [day.voices[props.source]];
    for (const record of sources) {
      for (const [seen, value] of Object.entries(record)) {
        const name = configured.get(seen.toLowerCase()) ?? seen;
        counts.set(name, (counts.get(name) ?? 0) + value);
      }
    }
    const other = day.otherVoices;
    if (other) unlisted += props.source === 'all' ? other.ads + other.search : other[props.source];
  }
  let total = unlisted;
  for (const value of counts.values()) total += value;
  const configuredNames = new Set(configured.values());
  let others = 0;
  const entries = [...counts]
    .sort(([a, x], [b, y]) => y - x || byCodeUnit(a, b))
    .filter(([name]) => configuredNames.has(name) || others++ < props.limit)
    .map(([name, count]) => ({ name, isBrand: name === props.brand, count, share: ratio(count, total) }));
  return { from: props.from, to: props.to, source: props.source, total, entries };
}

export interface ReferralTrafficProps extends DateRangeProps {
  /** How many domains to list (the total still covers all of them). */
  readonly limit: number;
}

export interface ReferralDomainRow {
  domain: string;
  category: ReferralCategory;
  visits: number;
  /** Share of all referral visits in the range. */
  share: number;
  /** Conversions whose last touch was a visit from this domain. */
  conversions: number;
}

/** `GET /v1/metrics/referral-traffic`. */
export interface ReferralTrafficResult {
  from: string;
  to: string;
  total: number;
  domains: ReferralDomainRow[];
  daily: Array<{ date: string; visits: number }>;
}

/**
 * Referral visits per referring domain (the top `limit` by visits, then by name) with their
 * last-touch conversions, and visits per day for every day of the range (zeros included).
 */
export function referralTraffic(partial: MetricsPartial, props: ReferralTrafficProps): ReferralTrafficResult {
  if (!Number.isInteger(props.limit) || props.limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${props.limit}`);
  }
  const domains = new Map<string, { category: ReferralCategory; visits: number; conversions: number }>();
  const visitsOn = new Map<string, number>();
  let total = 0;
  for (const date of rangeDates(props)) {
    const day = dayOf(partial, date);
    if (!day) continue;
    // Domains a day did not keep (beyond its 1,000 largest) still count in the total.
    total += day.otherReferrals?.visits ?? 0;
    for (const [domain, cell] of Object.entries(day.referrals)) {
      total += cell.visits;
      const sum = domains.get(domain);
      if (sum) {
        sum.visits += cell.visits;
        sum.conversions += cell.conversions;
        sum.category = pickCategory(sum.category, cell.category);
      } else {
        domains.set(domain, { category: cell.category, visits: cell.visits, conversions: cell.conversions });
      }
    }
    // A stored block of days, keyed by its first day, keeps each day's visits apart.
    for (const [on, visits] of Object.entries(referralVisitsOf(date, day))) {
      visitsOn.set(on, (visitsOn.get(on) ?? 0) + visits);
    }
  }
  const daily = rangeDates(props).map((date) => ({ date, visits: visitsOn.get(date) ?? 0 }));
  const rows = [...domains]
    .sort(([a, x], [b, y]) => y.visits - x.visits || byCodeUnit(a, b))
    .slice(0, props.limit)
    .map(([domain, cell]) => ({
      domain,
      category: cell.category,
      visits: cell.visits,
      share: ratio(cell.visits, total),
      conversions: cell.conversions,
    }));
  return { from: props.from, to: props.to, total, domains: rows, daily };
}

export interface CpaByStageProps extends DateRangeProps {
  /** Only this channel's events, users and spend; all channels when absent. */
  readonly channel?: ChannelId | undefined;
  /** The configured currency, echoed in the response. */
  readonly currency: string;
}

export interface StageCostRow {
  stage: Stage;
  events: number;
  /** Distinct users over the whole range (not a sum of daily counts); exact up to 256, then ≈1.6% standard error. */
  users: number;
  /** `null` when the stage has no events. */
  costPerEvent: number | null;
  /** `null` when the stage has no users. */
  costPerUser: number | null;
}

/** `GET /v1/metrics/cpa-by-stage`. */
export interface CpaByStageResult {
  from: string;
  to: string;
  currency: string;
  /** Spend in the range (of the channel, when filtered), in currency units. */
  spend: number;
  stages: StageCostRow[];
}

/**
 * Cost per event and per distinct user for each funnel stage, always all five stages in funnel
 * order. A conversion counts on its last-touch channel, so the channel filter matches spend and
 * conversions on the same channel.
 */
export function cpaByStage(partial: MetricsPartial, props: CpaByStageProps): CpaByStageResult {
  const days = daysIn(partial, props);
  let spendMicros = 0;
  for (const day of days) {
    if (props.channel !== undefined) spendMicros += day.spendMicros[props.channel] ?? 0;
    else for (const value of Object.values(day.spendMicros)) spendMicros += value;
  }
  const stages = STAGES.map((stage): StageCostRow => {
    let events = 0;
    const sketches: UserSketch[] = [];
    for (const day of days) {
      const cells = day.stages[stage];
      if (!cells) continue;
      for (const [channel, cell] of Object.entries(cells)) {
        if (props.channel !== undefined && channel !== props.channel) continue;
        events += cell.events;
        sketches.push(cell.users);
      }
    }
    // Exact up to a few hundred users, then HyperLogLog (≈1.6% standard error): see user-sketch.ts.
    const users = estimateUnion(sketches);
    return {
      stage,
      events,
      users,
      costPerEvent: events > 0 ? money(spendMicros / events) : null,
      costPerUser: users > 0 ? money(spendMicros / users) : null,
    };
  });
  return { from: props.from, to: props.to, currency: props.currency, spend: money(spendMicros), stages };
}

function rangeDates(props: DateRangeProps): string[] {
  if (!isCalendarDate(props.from) || !isCalendarDate(props.to) || props.from > props.to) {
    throw new RangeError(`invalid date range ${props.from}..${props.to}`);
  }
  return datesBetween(props.from, props.to);
}

function dayOf(partial: MetricsPartial, date: string): DayPartial | undefined {
  return Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
}

function daysIn(partial: MetricsPartial, props: DateRangeProps): DayPartial[] {
  const days: DayPartial[] = [];
  for (const date of rangeDates(props)) {
    const day = dayOf(partial, date);
    if (day) days.push(day);
  }
  return days;
}

/** `part / total` rounded to 12 decimals; 0 when the total is 0 (a share of nothing). */
function ratio(part: number, total: number): number {
  return rate(part, total) ?? 0;
}

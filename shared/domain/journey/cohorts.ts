import type { ChannelId } from '../channel-ids.ts';
import { addDays, datesBetween } from '../dates.ts';
import { byCodeUnit, CHANNEL_RANK, pushTo } from '../metrics/partial.ts';
import { money, rate } from '../rates.ts';
import type { JourneyDay } from './journey-day.ts';

export type CohortPeriod = 'week' | 'month';

export interface CohortRow {
  /** The period of the cohort's first conversions: a week's Monday (`YYYY-MM-DD`) or a month (`YYYY-MM`). */
  cohort: string;
  /** The first touch of the cohort's first conversions' journeys (direct without one). */
  channel: ChannelId;
  users: number;
  /** Value of every conversion of the cohort's people in the range (net of refunds). */
  revenue: number;
  revenuePerUser: number | null;
  /** retention[k]: share of the cohort converting again in the k-th period from its own (0: its own, after the first). */
  retention: number[];
}

/** `GET /v1/metrics/cohorts`. */
export interface CohortsResult {
  from: string;
  to: string;
  period: CohortPeriod;
  cohorts: CohortRow[];
}

/** A date's period: the Monday of its ISO week, or its month. */
export function periodOf(date: string, period: CohortPeriod): string {
  if (period === 'month') return date.slice(0, 7);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

/** The number of periods from `a` to `b` (both periods of the same kind). */
function periodsBetween(a: string, b: string, period: CohortPeriod): number {
  if (period === 'week')
    return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / (7 * 86_400_000));
  const [ya, ma] = a.split('-').map(Number) as [number, number];
  const [yb, mb] = b.split('-').map(Number) as [number, number];
  return (yb - ya) * 12 + (mb - ma);
}

/**
 * Cohorts by acquisition period and channel over a range, from the conversions kept in its single
 * days: a person's cohort is the period of their first conversion, when it is their first ever
 * (compute marks it against the lake's conversion index) and in the range, its
 * channel that conversion's journey's first touch. Revenue is every conversion of the cohort's
 * people in the range; retention[k] the share of them converting again k periods on.
 */
export function cohorts(
  partial: { days: Record<string, JourneyDay> },
  props: { readonly from: string; readonly to: string; readonly period: CohortPeriod },
): CohortsResult {
  const byPerson = new Map<
    string,
    Array<{ date: string; ts: number; first: boolean; value: number; channel: ChannelId }>
  >();
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    for (const [hash, ts, first, value, channel] of day?.cohortConversions ?? []) {
      pushTo(byPerson, hash, { date, ts, first, value, channel });
    }
  }
  const last = periodOf(props.to, props.period);
  const groups = new Map<
    string,
    { cohort: string; channel: ChannelId; users: number; revenue: number; again: number[] }
  >();
  for (const entries of byPerson.values()) {
    entries.sort((a, b) => a.ts - b.ts || Number(b.first) - Number(a.first));
    const [start, ...rest] = entries;
    if (!start?.first) continue;
    const cohort = periodOf(start.date, props.period);
    const key = `${cohort}\u001f${start.channel}`;
    const span = periodsBetween(cohort, last, props.period) + 1;
    const group = groups.get(key) ?? {
      cohort,
      channel: start.channel,
      users: 0,
      revenue: 0,
      again: new Array<number>(span).fill(0),
    };
    group.users += 1;
    group.revenue += entries.reduce((sum, e) => sum + e.value, 0);
    const periods = new Set(
      rest.map((e) => periodsBetween(cohort, periodOf(e.date, props.period), props.period)),
    );
    for (const k of periods) group.again[k] = (group.again[k] ?? 0) + 1;
    groups.set(key, group);
  }
  const rows = [...groups.values()]
    .sort(
      (a, b) =>
        byCodeUnit(a.cohort, b.cohort) ||
        (CHANNEL_RANK.get(a.channel) ?? 0) - (CHANNEL_RANK.get(b.channel) ?? 0),
    )
    .map((g) => ({
      cohort: g.cohort,
      channel: g.channel,
      users: g.users,
      revenue: money(g.revenue),
      revenuePerUser: g.users > 0 ? money(g.revenue / g.users) : null,
      retention: g.again.map((n) => rate(n, g.users) ?? 0),
    }));
  return { from: props.from, to: props.to, period: props.period, cohorts: rows };
}

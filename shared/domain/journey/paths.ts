import type { ChannelId } from '../channel-ids.ts';
import { datesBetween } from '../dates.ts';
import { byCodeUnit, CHANNEL_RANK, orderedKeys } from '../metrics/partial.ts';
import { money } from '../rates.ts';
import { type JourneyDay, mergeJourneyDays, type PathCell } from './journey-day.ts';

/** The stored days and blocks of a range, merged into one journey day. */
function mergedRange(
  partial: { days: Record<string, JourneyDay> },
  props: { from: string; to: string },
): JourneyDay {
  const parts: JourneyDay[] = [];
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(partial.days, date) ? partial.days[date] : undefined;
    if (day) parts.push(day);
  }
  return mergeJourneyDays(parts);
}

export interface PathRow {
  path: ChannelId[];
  journeys: number;
  conversions: number;
  value: number;
}

/** `GET /v1/journeys/paths`. */
export interface PathsResult {
  from: string;
  to: string;
  converting: 'true' | 'false' | 'all';
  paths: PathRow[];
  /** Journeys on paths a stored day or block did not keep (beyond its 1,000 largest). */
  otherJourneys: number;
}

/**
 * The top paths of a range: converting ones (a journey per conversion), non-converting ones (a
 * journey that ended without one: journeys.sql), or both (a path's two kinds added up); most
 * conversions first, then most journeys, then by path.
 */
export function journeyPaths(
  partial: { days: Record<string, JourneyDay> },
  props: {
    readonly from: string;
    readonly to: string;
    readonly converting: 'true' | 'false' | 'all';
    readonly limit: number;
  },
): PathsResult {
  const merged = mergedRange(partial, props);
  const rows = new Map<string, PathCell>();
  const add = (path: string, cell: PathCell) => {
    const row = rows.get(path) ?? { journeys: 0, conversions: 0, valueMicros: 0 };
    row.journeys += cell.journeys;
    row.conversions += cell.conversions;
    row.valueMicros += cell.valueMicros;
    rows.set(path, row);
  };
  if (props.converting !== 'false') {
    for (const [path, cell] of Object.entries(merged.convertingPaths)) add(path, cell);
  }
  if (props.converting !== 'true') {
    for (const [path, journeys] of Object.entries(merged.nonConvertingPaths))
      add(path, { journeys, conversions: 0, valueMicros: 0 });
  }
  const paths = [...rows]
    .sort(([a, x], [b, y]) => y.conversions - x.conversions || y.journeys - x.journeys || byCodeUnit(a, b))
    .slice(0, props.limit)
    .map(([path, cell]) => ({
      path: path.split('>') as ChannelId[],
      journeys: cell.journeys,
      conversions: cell.conversions,
      value: money(cell.valueMicros),
    }));
  const otherJourneys =
    (props.converting !== 'false' ? merged.otherPaths.journeys : 0) +
    (props.converting !== 'true' ? merged.otherNonConverting : 0);
  return { from: props.from, to: props.to, converting: props.converting, paths, otherJourneys };
}

/** `GET /v1/journeys/summary`. */
export interface JourneySummaryResult {
  from: string;
  to: string;
  conversions: number;
  touchesToConvert: Array<{ touches: number; conversions: number }>;
  daysToConvert: Array<{ days: number; conversions: number }>;
  assisted: Array<{ channel: ChannelId; assisted: number; lastTouch: number }>;
}

/**
 * How journeys convert over a range: conversions by touches (not collapsed) and by whole days from
 * the first touch, and per channel the conversions it assisted and closed (channels by how many
 * they assisted, then in their usual order).
 */
export function journeySummary(
  partial: { days: Record<string, JourneyDay> },
  props: { readonly from: string; readonly to: string },
): JourneySummaryResult {
  const { conversionJourneys } = mergedRange(partial, props);
  const touchesToConvert = Object.entries(conversionJourneys.byTouches).map(([touches, conversions]) => ({
    touches: Number(touches),
    conversions,
  }));
  const order = orderedKeys(Object.keys(conversionJourneys.assists), CHANNEL_RANK);
  return {
    from: props.from,
    to: props.to,
    conversions: touchesToConvert.reduce((sum, row) => sum + row.conversions, 0),
    touchesToConvert,
    daysToConvert: Object.entries(conversionJourneys.byDays).map(([days, conversions]) => ({
      days: Number(days),
      conversions,
    })),
    assisted: order
      .map((channel) => ({
        channel: channel as ChannelId,
        ...(conversionJourneys.assists[channel as ChannelId] ?? { assisted: 0, lastTouch: 0 }),
      }))
      .sort((a, b) => b.assisted - a.assisted || order.indexOf(a.channel) - order.indexOf(b.channel)),
  };
}

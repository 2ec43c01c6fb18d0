import { datesBetween, isCalendarDate } from '../dates.ts';
import { byCodeUnit, putOwn } from '../metrics/partial.ts';
import type { SpendRow } from '../normalised-event.ts';
import { money, rate } from '../rates.ts';
import {
  AD_GROUPINGS,
  type AdCell,
  type AdGrouping,
  emptyAdCell,
  emptyJourneyDay,
  type JourneyPartial,
  mergeJourneyPartials,
  sumAdCells,
} from './journey-day.ts';

/**
 * Sets each ad cell's spend in the reduce step, on the merged partial (not per bucket): the spend
 * rows (`POST /v1/spend`) of its day and key when there are any, else the `cost` its ad events
 * carried. Spend rows carry no creative, so a creative's spend is always its events' cost. Rows of
 * the same key sent twice have already been replaced by the spend store (an upsert).
 */
export function addAdSpend(
  partial: JourneyPartial,
  rows: Iterable<SpendRow>,
  range: { readonly from: string; readonly to: string },
): JourneyPartial {
  if (!isCalendarDate(range.from) || !isCalendarDate(range.to) || range.from > range.to) {
    throw new RangeError(`invalid date range ${range.from}..${range.to}`);
  }
  const out = mergeJourneyPartials([partial]);
  const rowSpend = new Map<string, Map<string, number>>(); // date → grouping + key → micros
  for (const row of rows) {
    if (row.date < range.from || row.date > range.to) continue;
    const day = rowSpend.get(row.date) ?? new Map<string, number>();
    for (const [grouping, key] of [
      ['platform', row.platform],
      ['campaign', row.campaign],
    ] as const) {
      day.set(`${grouping}:${key}`, (day.get(`${grouping}:${key}`) ?? 0) + row.costMicros);
    }
    rowSpend.set(row.date, day);
  }
  for (const date of datesBetween(range.from, range.to)) {
    const spent = rowSpend.get(date);
    const day = Object.hasOwn(out.days, date) ? out.days[date] : undefined;
    if (!day && !spent) continue;
    const target = day ?? emptyJourneyDay();
    for (const grouping of AD_GROUPINGS) {
      const cells = target.ads[grouping];
      for (const [key, cell] of Object.entries(cells)) {
        cell.spendMicros = spent?.get(`${grouping}:${key}`) ?? cell.costMicros;
      }
      if (grouping === 'creative' || !spent) continue;
      for (const [slot, micros] of spent) {
        const key = slot.slice(grouping.length + 1);
        if (!slot.startsWith(`${grouping}:`) || Object.hasOwn(cells, key)) continue;
        putOwn(cells, key, { ...emptyAdCell(), spendMicros: micros });
      }
    }
    if (!day) out.days = { ...out.days, [date]: target };
  }
  return mergeJourneyPartials([out]);
}

export interface AdsRatesProps {
  readonly from: string;
  readonly to: string;
  readonly groupBy: AdGrouping;
  readonly currency: string;
}

export interface AdsRow {
  key: string;
  impressions: number;
  clicks: number;
  /** clicks / impressions; `null` without impressions. */
  ctr: number | null;
  spend: number;
  /** spend / clicks. */
  cpc: number | null;
  /** 1000 × spend / impressions. */
  cpm: number | null;
  /** Conversions whose last touch was an ad event of this key. */
  conversions: number;
  /** spend / conversions. */
  cpa: number | null;
}

/** `GET /v1/metrics/ads`. */
export interface AdsRatesResult {
  from: string;
  to: string;
  currency: string;
  groupBy: AdGrouping;
  rows: AdsRow[];
}

/** CTR, CPC, CPM and CPA per platform, campaign or creative over a range; most spend first. */
export function adsRates(partial: JourneyPartial, props: AdsRatesProps): AdsRatesResult {
  const cells: Array<Readonly<Record<string, AdCell>>> = [];
  for (const date of datesBetween(props.from, props.to)) {
    if (Object.hasOwn(partial.days, date)) cells.push(partial.days[date]?.ads[props.groupBy] ?? {});
  }
  const totals = Object.entries(sumAdCells(cells));
  const rows = totals
    .map(([key, cell]): AdsRow => {
      const spend = money(cell.spendMicros);
      return {
        key,
        impressions: cell.impressions,
        clicks: cell.clicks,
        ctr: rate(cell.clicks, cell.impressions),
        spend,
        cpc: cell.clicks > 0 ? money(cell.spendMicros / cell.clicks) : null,
        cpm: cell.impressions > 0 ? money((1000 * cell.spendMicros) / cell.impressions) : null,
        conversions: cell.conversions,
        cpa: cell.conversions > 0 ? money(cell.spendMicros / cell.conversions) : null,
      };
    })
    .sort((a, b) => b.spend - a.spend || b.impressions - a.impressions || byCodeUnit(a.key, b.key));
  return { from: props.from, to: props.to, currency: props.currency, groupBy: props.groupBy, rows };
}

import type { SpendRow } from '../normalised-event.ts';
import {
  type AttributionDay,
  type AttributionPartial,
  creditKey,
  emptyAttributionDay,
  mergeAttribution,
} from './partial.ts';

/** Folds spend rows dated in [from, to] into the attribution partial, per channel and campaign. */
export function addAttributionSpend(
  partial: AttributionPartial,
  rows: Iterable<SpendRow>,
  range: { readonly from: string; readonly to: string },
): AttributionPartial {
  const spend: AttributionPartial = { days: {} };
  for (const row of rows) {
    if (row.date < range.from || row.date > range.to || row.costMicros === 0) continue;
    spend.days[row.date] ??= emptyAttributionDay();
    const day = spend.days[row.date] as AttributionDay;
    const key = creditKey(row.channel, row.campaign);
    day.spendMicros[key] = (day.spendMicros[key] ?? 0) + row.costMicros;
  }
  return mergeAttribution([partial, spend]);
}

import { isCalendarDate } from '../dates.ts';
import type { SpendRow } from '../normalised-event.ts';
import type { DayPartial, MetricsPartial } from './partial.ts';
import { CHANNEL_RANK, emptyDay, mergePartials, recordOf } from './partial.ts';

/** Which days of spend to fold in. */
export interface AddSpendProps {
  /** First calendar day (`YYYY-MM-DD`), inclusive. */
  readonly from: string;
  /** Last calendar day, inclusive. */
  readonly to: string;
}

/**
 * Folds spend rows whose `date` (already a calendar date in the configured zone) lies in
 * [`from`, `to`] into a new partial: `spendMicros` per day and channel. Call it once, in the
 * reduce step, on the merged partial — not per bucket, or spend would count once per bucket.
 *
 * Rows are an upsert keyed by date + platform + campaign + channel (README: Sending data, Configuration), so when the same
 * key appears twice the later row wins instead of both counting. Currency is not converted: rows
 * are expected in the configured currency.
 *
 * @throws RangeError on an invalid date range or a row date that is not `YYYY-MM-DD`.
 */
export function addSpend(
  partial: MetricsPartial,
  rows: Iterable<SpendRow>,
  props: AddSpendProps,
): MetricsPartial {
  if (!isCalendarDate(props.from) || !isCalendarDate(props.to) || props.from > props.to) {
    throw new RangeError(`invalid date range ${props.from}..${props.to}`);
  }
  const latest = new Map<string, SpendRow>();
  for (const row of rows) {
    if (!isCalendarDate(row.date)) throw new RangeError(`spend row date ${row.date} is not a calendar date`);
    if (row.date < props.from || row.date > props.to) continue;
    latest.set(JSON.stringify([row.date, row.platform, row.campaign, row.channel]), row);
  }
  const byDay = new Map<string, Map<string, number>>();
  for (const row of latest.values()) {
    let channels = byDay.get(row.date);
    if (!channels) {
      channels = new Map();
      byDay.set(row.date, channels);
    }
    channels.set(row.channel, (channels.get(row.channel) ?? 0) + row.costMicros);
  }
  const days: Record<string, DayPartial> = {};
  for (const [date, channels] of byDay) {
    const day = emptyDay();
    day.spendMicros = recordOf(channels, CHANNEL_RANK);
    days[date] = day;
  }
  // Merging normalises: drops zero rows, orders keys.
  return mergePartials(partial, { days });
}

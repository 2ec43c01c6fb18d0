import { addDays, DAY_MS, datesBetween, startOfDay } from './dates.ts';

/** What one compute reads of the events: the instants from `lo` to `hi` and the UTC days holding them. */
export interface ComputeWindow {
  readonly lo: number;
  readonly hi: number;
  readonly utcDates: readonly string[];
  /**
   * The end of the lookback after the range (`hi` + lookbackDays): whether a journey without a
   * conversion ended on a day of the range depends on the events up to it (journeys.sql).
   */
  readonly horizon: number;
  /**
   * The UTC days that hold the instants after `hi` up to `horizon`: from the last of `utcDates`
   * (its hours after `hi`, outside UTC) on.
   */
  readonly laterUtcDates: readonly string[];
}

/**
 * The events a compute of `from`…`to` reads: the range's local days widened by the lookback, as
 * instants and as the UTC days (lake partitions) that hold them.
 */
export function computeWindow(
  range: { readonly from: string; readonly to: string },
  config: { readonly timeZone: string; readonly lookbackDays: number },
): ComputeWindow {
  const { timeZone, lookbackDays } = config;
  // Journeys reach back lookbackDays × 24 h; across a daylight-saving change that can start
  // before local midnight lookbackDays earlier.
  const lo = Math.min(
    startOfDay(addDays(range.from, -lookbackDays), timeZone),
    startOfDay(range.from, timeZone) - lookbackDays * DAY_MS,
  );
  const hi = startOfDay(addDays(range.to, 1), timeZone) - 1;
  const utcDates = datesBetween(
    new Date(lo).toISOString().slice(0, 10),
    new Date(hi).toISOString().slice(0, 10),
  );
  const horizon = hi + lookbackDays * DAY_MS;
  const laterUtcDates = datesBetween(utcDates.at(-1) as string, new Date(horizon).toISOString().slice(0, 10));
  return { lo, hi, utcDates, horizon, laterUtcDates };
}

import { z } from 'zod';
import { addDays, DAY_MS, datesBetween, startOfDay } from './dates.ts';

/** What one compute reads of the events: the instants from `lo` to `hi` and the UTC days holding them. */
export interface ComputeWindow {
  readonly lo: number;
  readonly hi: number;
  readonly utcDates: readonly string[];
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
  return { lo, hi, utcDates };
}

/**
 * How many hash buckets of persons a compute is split into: `auto` (by the window's lake size:
 * {@link bucketsFor}) or a number; as a setting (`deploy.computeBuckets`, `COMPUTE_BUCKETS`).
 */
export const computeBucketsSchema = z.union([
  z.literal('auto'),
  z.coerce.number<string | number>().int().min(1).max(100),
]);
export type ComputeBuckets = z.output<typeof computeBucketsSchema>;

/**
 * Lake Parquet one bucket task takes under `auto`: about the 10M events of the largest bucket
 * measured (BENCHMARKS.md: 2.9 GB peak of the function's 3 GB), at the builder's 42.9 bytes per event.
 */
export const AUTO_BUCKET_BYTES = 430_000_000;
/**
 * The most buckets `auto` picks (the state machine runs 20 at once). Each bucket task still caches
 * the whole window in its /tmp (10 GiB on AWS), which bounds the window first, at about 23.
 */
export const MAX_AUTO_BUCKETS = 40;

/** The buckets of a compute whose window holds `windowBytes` of events Parquet. */
export function bucketsFor(setting: ComputeBuckets, windowBytes: number): number {
  if (setting !== 'auto') return setting;
  return Math.min(MAX_AUTO_BUCKETS, Math.max(1, Math.ceil(windowBytes / AUTO_BUCKET_BYTES)));
}

import { z } from 'zod';

/**
 * How many hash buckets of persons a compute is split into: `auto` (by the window's lake size:
 * {@link autoBuckets}) or a whole number; `deploy.computeBuckets` in the JSON config.
 */
export const computeBucketsSchema = z.union([z.literal('auto'), z.int().min(1).max(100)]);
export type ComputeBuckets = z.output<typeof computeBucketsSchema>;
/** The same setting as an environment variable's text (`COMPUTE_BUCKETS`). */
export const computeBucketsVariableSchema = z
  .string()
  .transform((text) => (text === 'auto' ? text : Number(text)))
  .pipe(computeBucketsSchema);

/** Events one bucket task takes under `auto`: the largest single bucket measured (BENCHMARKS.md: 9,971,840). */
export const AUTO_BUCKET_EVENTS = 10_000_000;
/**
 * Bytes of the lake's events files per event as the builder writes them: 40.3 on the bench's 1M
 * events (docs/decisions.md, compute buckets). A plan lists sizes, not rows.
 */
export const EVENTS_PARQUET_BYTES = 40;
/** Events Parquet one bucket task takes under `auto`. */
export const AUTO_BUCKET_BYTES = AUTO_BUCKET_EVENTS * EVENTS_PARQUET_BYTES;
/**
 * The most buckets `auto` picks (the state machine runs 20 at once). Each bucket task still caches
 * the whole window in its /tmp (10 GiB on AWS), which bounds the window first, at about 20.
 */
export const MAX_AUTO_BUCKETS = 40;

/** The buckets `auto` gives a compute whose window holds `windowBytes` of events Parquet. */
export function autoBuckets(windowBytes: number): number {
  return Math.min(MAX_AUTO_BUCKETS, Math.max(1, Math.ceil(windowBytes / AUTO_BUCKET_BYTES)));
}

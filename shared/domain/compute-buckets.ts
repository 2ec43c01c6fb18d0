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
 * the whole window in its /tmp (10 GiB on AWS), which bounds the window first ({@link windowFits}:
 * about 17 buckets' worth).
 */
export const MAX_AUTO_BUCKETS = 40;

/**
 * What DuckDB spilled per event of the window beside the lake cache, in the one large-window
 * bucket measured (BENCHMARKS.md: about 1.9 GB beside a 0.96 GB cache for 119,662,080 events):
 * the whole-window reads (dedupe, keys) spill by rows, not by bytes.
 */
export const SPILL_BYTES_PER_EVENT = 16;
/** The part of a task's work folder a window may fill; the rest is headroom for what was not measured. */
export const WORK_FOLDER_SHARE = 0.9;

/**
 * Bytes a compute task's work folder needs for a window of `windowBytes` events Parquet: the
 * cached window, and DuckDB's spill for its rows (at the builder's bytes per event).
 */
export function workBytesFor(windowBytes: number): number {
  return Math.ceil(windowBytes * (1 + SPILL_BYTES_PER_EVENT / EVENTS_PARQUET_BYTES));
}

/** Whether a window of `windowBytes` events Parquet fits a task whose work folder holds `workFolderBytes`. */
export function windowFits(windowBytes: number, workFolderBytes: number): boolean {
  return workBytesFor(windowBytes) <= workFolderBytes * WORK_FOLDER_SHARE;
}

/** The buckets `auto` gives a compute whose window holds `windowBytes` of events Parquet. */
export function autoBuckets(windowBytes: number): number {
  return Math.min(MAX_AUTO_BUCKETS, Math.max(1, Math.ceil(windowBytes / AUTO_BUCKET_BYTES)));
}

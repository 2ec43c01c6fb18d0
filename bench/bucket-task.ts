/**
 * Child process: one bucket of many over a large window, as a compute Map task runs it (DuckDB
 * memory limit 1.5GB, as deployed): the cold fetch of the window's partitions, then
 * `computeBucket(range, 0, buckets)` once. The work folder (lake cache and DuckDB's spill files,
 * what /tmp holds on Lambda) is measured every 2 s.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { computeWindow } from '#domain/compute-window.ts';
import { computeBucket } from '#services/compute.ts';
import { benchPipeline, childInput, type Endpoints, report } from './support.ts';

export interface BucketTaskInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  readonly from: string;
  readonly to: string;
  readonly buckets: number;
}

export interface BucketTaskResult {
  readonly fetchMs: number;
  readonly computeMs: number;
  /** Events of the bucket (its persons' and, in bucket 0, those without a person). */
  readonly bucketEvents: number;
  /** The largest the work folder grew to, in MiB (its files' sizes, every 2 s). */
  readonly peakWorkDirMb: number;
}

const input = childInput<BucketTaskInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: '1.5GB',
});
const range = { from: input.from, to: input.to };
const { utcDates } = computeWindow(range, pipeline.config);
let started = performance.now();
await pipeline.lakeStore.fetchPartitions('events', utcDates);
await pipeline.lakeStore.fetchPartitions('identities');
const fetchMs = performance.now() - started;
let peakWorkDirMb = 0;
/** Bytes under a folder, walked in this process (a forked `du` would make every page of this one copy-on-write). */
function folderBytes(folder: string): number {
  let bytes = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      bytes += statSync(join(entry.parentPath, entry.name)).size;
    } catch {
      // A spill file removed while the folder is walked.
    }
  }
  return bytes;
}
const sample = () => {
  peakWorkDirMb = Math.max(peakWorkDirMb, folderBytes(input.workDir) / 1024 ** 2);
};
const timer = setInterval(sample, 2000);
started = performance.now();
const bucket = await computeBucket(range, 0, input.buckets, pipeline);
const computeMs = performance.now() - started;
clearInterval(timer);
sample();
report({ fetchMs, computeMs, bucketEvents: bucket.events, peakWorkDirMb } satisfies BucketTaskResult);

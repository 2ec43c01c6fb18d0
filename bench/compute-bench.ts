/**
 * Child of run.ts, host of the embedded servers for the compute and lake-build figures:
 *
 * 1. 1M synthetic events over 60 UTC days into the raw zone, in objects of 500 (the first few
 *    batches through the ingest handler, timed for the cost model);
 * 2. the lake builder over all of it (bench/lake-build-task.ts), then its profile on a sample of days
 *    (bench/lake-profile.ts);
 * 3. compute over the last 30 days (30-day lookback: the whole lake) and the hand-written SQL, on 1M;
 * 4. the lake scaled to 10M (bench/replicate.ts), and compute and SQL again;
 * 5. that lake scaled again (to about 120M, the window of 100M events a month), and one bucket of
 *    the many `auto` would split it into (bench/bucket-task.ts).
 *
 * Every measured step runs in its own child process; this one only serves S3 and DynamoDB.
 */
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { autoBuckets, EVENTS_PARQUET_BYTES } from '#domain/compute-buckets.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import type { BaselineTaskInput, BaselineTaskResult } from './baseline-task.ts';
import type { BucketTaskInput, BucketTaskResult } from './bucket-task.ts';
import type { ComputeProfileInput, ComputeProfileResult } from './compute-profile.ts';
import type { ComputeTaskInput, ComputeTaskResult } from './compute-task.ts';
import type { LakeBuildInput, LakeBuildResult } from './lake-build-task.ts';
import type { ProfileInput, ProfileResult } from './lake-profile.ts';
import { replicateLake } from './replicate.ts';
import { median, percentile } from './stats.ts';
import {
  BATCH_EVENTS,
  benchContext,
  type ChildReport,
  childInput,
  httpEvent,
  runChild,
  spendRows,
  startBenchServers,
  writeRaw,
} from './support.ts';
import { chunks, SyntheticDataset } from './synthetic.ts';

export interface ComputeBenchInput {
  readonly events: number;
  readonly copies: number;
  readonly campaigns: number;
  readonly profileDays: number;
  /** Copies of the 10M lake for the scale step (0: no scale step). */
  readonly scaleCopies: number;
}

/** One bucket of many over the lake scaled again: what a large deployment's Map task does. */
export interface ComputeScale {
  readonly windowEvents: number;
  readonly buckets: number;
  readonly lakeBytes: number;
  readonly replicateMs: number;
  readonly task: ChildReport<BucketTaskResult>;
}

export interface ComputeRun {
  readonly events: number;
  readonly compute: ChildReport<ComputeTaskResult>;
  readonly baseline: ChildReport<BaselineTaskResult>;
}

export interface ComputeBenchResult {
  readonly dataset: {
    readonly lines: number;
    readonly users: number;
    readonly days: number;
    readonly campaigns: number;
    readonly from: string;
    readonly to: string;
    readonly window: { readonly from: string; readonly to: string };
  };
  readonly ingest: {
    readonly batches: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly bodyBytes: number;
  };
  readonly raw: { readonly objects: number; readonly bytes: number; readonly writeMs: number };
  readonly build: ChildReport<LakeBuildResult>;
  /** One day with a single raw object: what a load invocation costs at the least. */
  readonly smallBuild: ChildReport<LakeBuildResult>;
  readonly lakeBytes: number;
  readonly profile: ChildReport<ProfileResult>;
  readonly replicateMs: number;
  readonly lake10Bytes: number;
  readonly runs: readonly ComputeRun[];
  /** computeBucket's statements one by one, on the largest lake (warm cache). */
  readonly computeProfile: ChildReport<ComputeProfileResult>;
  readonly scale?: ComputeScale;
}

const FROM = '2026-06-01';
const DAYS = 60;
const input = childInput<ComputeBenchInput>();
const servers = await startBenchServers('compute');
const { pipeline, endpoints } = servers;
const work = (name: string) => join(servers.dir, name);

async function prefixBytes(prefix: string): Promise<number> {
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await pipeline.s3.send(
      new ListObjectsV2Command({ Bucket: pipeline.env.RAW_BUCKET, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) bytes += object.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return bytes;
}

try {
  const dataset = new SyntheticDataset({
    events: input.events,
    from: FROM,
    days: DAYS,
    campaigns: input.campaigns,
    seed: 11,
  });
  const dates = dataset.dates;
  const window = { from: dates[DAYS - 30] as string, to: dates[DAYS - 1] as string };

  // The ingest handler, one batch at a time, on a day outside the dataset (never built).
  process.stderr.write('compute: ingest handler...\n');
  const ingest = createIngestHandler(pipeline);
  const extra = new SyntheticDataset({
    events: 20_000,
    from: '2025-01-01',
    days: 1,
    campaigns: 100,
    seed: 5,
  });
  const batches = [...chunks(extra.eventsOfDay(0), BATCH_EVENTS)].slice(0, 40);
  const ingestMs: number[] = [];
  let bodyBytes = 0;
  for (const batch of batches) {
    const body = JSON.stringify({ events: batch.map((stored) => stored.event) });
    bodyBytes = Math.max(bodyBytes, Buffer.byteLength(body));
    const started = performance.now();
    const response = await ingest(
      httpEvent({ method: 'POST', path: '/v1/events', body }),
      benchContext('ingest'),
    );
    ingestMs.push(performance.now() - started);
    if (response.statusCode !== 202)
      throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
  }
  // The first batches warm the handler up; the figure is the rest.
  const steady = ingestMs.slice(5);

  process.stderr.write(`compute: writing ${dataset.lines.toLocaleString('en-US')} raw lines...\n`);
  const rawStarted = performance.now();
  const raw = await writeRaw(dataset, pipeline.rawStore);
  const writeMs = performance.now() - rawStarted;
  // Day by day: s3rver cannot page a LIST past 1,000 keys under Node 22 (see bench/freshness.ts).
  let rawBytes = 0;
  for (const date of dates) rawBytes += await prefixBytes(`raw/v2/dt=${date}/`);

  process.stderr.write('compute: lake build...\n');
  const build = await runChild<ChildReport<LakeBuildResult>>('lake-build-task.ts', {
    endpoints,
    workDir: work('build'),
    dates,
  } satisfies LakeBuildInput);
  const lakeBytes = await prefixBytes('lake/v1/');
  // A day with one raw object: the least a load invocation does.
  const single = new SyntheticDataset({ events: 400, from: '2025-02-01', days: 1, campaigns: 10, seed: 6 });
  await pipeline.rawStore.putEvents(single.eventsOfDay(0), 'bench-single');
  const smallBuild = await runChild<ChildReport<LakeBuildResult>>('lake-build-task.ts', {
    endpoints,
    workDir: work('build-small'),
    dates: ['2025-02-01'],
  } satisfies LakeBuildInput);

  process.stderr.write('compute: lake build profile...\n');
  const step = Math.max(1, Math.floor(DAYS / input.profileDays));
  const profile = await runChild<ChildReport<ProfileResult>>('lake-profile.ts', {
    endpoints,
    workDir: work('profile'),
    dates: dates.filter((_, i) => i % step === 0).slice(0, input.profileDays),
  } satisfies ProfileInput);

  await pipeline.spendStore.upsert(spendRows(dataset, 200));

  const runs: ComputeRun[] = [];
  const measure = async (label: string, warmRuns: number, bucketProbe = false) => {
    process.stderr.write(`compute: ${label}...\n`);
    const workDir = work(`compute-${label}`);
    const compute = await runChild<ChildReport<ComputeTaskResult>>('compute-task.ts', {
      endpoints,
      workDir,
      ...window,
      warmRuns,
      bucketProbe,
    } satisfies ComputeTaskInput);
    const baseline = await runChild<ChildReport<BaselineTaskResult>>('baseline-task.ts', {
      endpoints,
      workDir,
      ...window,
      runs: 3,
    } satisfies BaselineTaskInput);
    runs.push({ events: compute.events, compute, baseline });
    return workDir;
  };
  await measure('1x', 3);

  process.stderr.write(`compute: scaling the lake ×${input.copies}...\n`);
  const { ms: replicateMs } = await replicateLake(pipeline, dates, input.copies);
  const lake10Bytes = await prefixBytes('lake/v1/');
  const tenDir = await measure(`${input.copies}x`, 2, true);
  process.stderr.write('compute: statement profile...\n');
  const computeProfile = await runChild<ChildReport<ComputeProfileResult>>('compute-profile.ts', {
    endpoints,
    workDir: tenDir,
    ...window,
  } satisfies ComputeProfileInput);

  let scale: ComputeScale | undefined;
  if (input.scaleCopies > 0) {
    process.stderr.write(`compute: scaling the lake ×${input.scaleCopies} again...\n`);
    const { ms } = await replicateLake(pipeline, dates, input.scaleCopies);
    const events = runs.at(-1)?.events ?? 0;
    const windowEvents = events * input.scaleCopies;
    // The replicated files repeat their rows, so they compress far better than the builder's:
    // the buckets are those `auto` picks for the builder's bytes per event at this size.
    const buckets = autoBuckets(windowEvents * EVENTS_PARQUET_BYTES);
    process.stderr.write(`compute: bucket 0 of ${buckets} over ${windowEvents} events...\n`);
    const task = await runChild<ChildReport<BucketTaskResult>>('bucket-task.ts', {
      endpoints,
      workDir: work('compute-scale'),
      ...window,
      buckets,
    } satisfies BucketTaskInput);
    scale = { windowEvents, buckets, lakeBytes: await prefixBytes('lake/v1/events/'), replicateMs: ms, task };
  }

  const result: ComputeBenchResult = {
    dataset: {
      lines: dataset.lines,
      users: dataset.users,
      days: DAYS,
      campaigns: input.campaigns,
      from: dates[0] as string,
      to: dates[DAYS - 1] as string,
      window,
    },
    ingest: { batches: steady.length, p50Ms: median(steady), p99Ms: percentile(steady, 99), bodyBytes },
    raw: { objects: raw.objects, bytes: rawBytes, writeMs },
    build,
    smallBuild,
    lakeBytes,
    profile,
    replicateMs,
    lake10Bytes,
    runs,
    computeProfile,
    ...(scale ? { scale } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await servers.close();
}

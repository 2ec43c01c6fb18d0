/**
 * Child process: one compute over the lake in the embedded S3 of the parent, as the compute
 * function runs it (3,008 MB, DuckDB memory limit 1.5GB): `computeBucket` for one bucket (cold
 * lake cache first, then warm), `reduceBuckets` into the results table, the day results read back
 * as a query reads them, and every query-time finaliser, Markov and Shapley included.
 */
import { gzipSync } from 'node:zlib';
import { attribute, compareModels, MODELS } from '#domain/attribution/index.ts';
import { addDays, datesBetween } from '#domain/dates.ts';
import { toComputePartial } from '#domain/day-result.ts';
import { channelShare, cpaByStage, referralTraffic, shareOfVoice } from '#domain/metrics/index.ts';
import { type BucketResult, computeBucket, reduceBuckets } from '#services/compute.ts';
import { median } from './stats.ts';
import { benchPipeline, childInput, type Endpoints, report } from './support.ts';

export interface ComputeTaskInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  readonly from: string;
  readonly to: string;
  /** Warm runs of computeBucket after the cold one. */
  readonly warmRuns: number;
  readonly memoryLimit?: string;
  /**
   * Buckets to compute and reduce (default 1): the query bench's 10M-event window needs 2 or more
   * since journey analytics (README: Deploy, growing past one compute Lambda).
   */
  readonly buckets?: number;
  /** Also time bucket 0 of 2 (warm): how much of a bucket's work does not split over buckets. */
  readonly bucketProbe?: boolean;
}

export interface ComputeTaskResult {
  readonly fetchColdMs: number;
  /** The first computeBucket of the process (lake cache already filled by the fetch before it). */
  readonly computeFirstMs: number;
  readonly computeWarmMs: readonly number[];
  /** Bucket 0 of 2, warm, when asked. */
  readonly halfBucketMs?: number;
  readonly reduceMs: number;
  readonly readBackMs: number;
  /** Query-time finalisers over the whole range, by model (grouped by channel) and a few more. */
  readonly finaliseMs: Record<string, number>;
  readonly events: number;
  readonly conversions: number;
  readonly days: number;
  readonly dayResultGzipBytes: { readonly median: number; readonly max: number; readonly total: number };
  readonly duckdbThreads: string;
  readonly duckdbMemoryLimit: string;
  /** For the comparison with the hand-written SQL. */
  readonly touchesByChannel: Record<string, number>;
  readonly lastTouchByChannel: Record<string, number>;
  readonly channels: number;
  readonly campaignRows: number;
}

const input = childInput<ComputeTaskInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: input.memoryLimit ?? '1.5GB',
});
const range = { from: input.from, to: input.to };
const { lookbackDays } = pipeline.config;
const time = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
};

const probe = await pipeline.openEngine();
const [settings] = await probe.all<{ threads: bigint; memory: string }>(
  "SELECT current_setting('threads') AS threads, current_setting('memory_limit') AS memory",
);
await probe.close();

// The UTC days computeBucket reads (the config's zone is UTC here): the range and its lookback.
const dates = datesBetween(addDays(range.from, -lookbackDays), range.to);
const [, fetchColdMs] = await time(async () => {
  await pipeline.lakeStore.fetchPartitions('events', dates);
  await pipeline.lakeStore.fetchPartitions('identities');
});
const buckets = input.buckets ?? 1;
let last: BucketResult | undefined;
const others: BucketResult[] = [];
const [, computeFirstMs] = await time(async () => {
  for (let b = 1; b < buckets; b++) others.push(await computeBucket(range, b, buckets, pipeline));
  last = await computeBucket(range, 0, buckets, pipeline);
});
const computeWarmMs: number[] = [];
for (let run = 0; run < input.warmRuns; run++) {
  const [result, ms] = await time(() => computeBucket(range, 0, buckets, pipeline));
  last = result;
  computeWarmMs.push(ms);
}
const bucket = last as BucketResult;
let halfBucketMs: number | undefined;
if (input.bucketProbe) [, halfBucketMs] = await time(() => computeBucket(range, 0, 2, pipeline));
const [, reduceMs] = await time(() =>
  reduceBuckets([bucket.partial, ...others.map((o) => o.partial)], range, `bench-${Date.now()}`, {
    spendStore: pipeline.spendStore,
    dayStore: pipeline.results,
    config: pipeline.config,
  }),
);
const [days, readBackMs] = await time(() => pipeline.results.readRange(range.from, range.to, { largest: 1 }));
const data = toComputePartial(days);

const finaliseMs: Record<string, number> = {};
const timeSync = <T>(label: string, work: () => T): T => {
  const started = performance.now();
  const value = work();
  finaliseMs[label] = performance.now() - started;
  return value;
};
for (const model of MODELS) {
  timeSync(model, () => attribute(data.attribution, { ...range, model, groupBy: 'channel' }));
}
timeSync('markov by campaign', () =>
  attribute(data.attribution, { ...range, model: 'markov', groupBy: 'campaign' }),
);
const shapleyByCampaign = timeSync('shapley by campaign', () =>
  attribute(data.attribution, { ...range, model: 'shapley', groupBy: 'campaign' }),
);
timeSync('compare (all seven)', () => compareModels(data.attribution, range));
const touches = timeSync('channel share', () => channelShare(data.metrics, { ...range, basis: 'touches' }));
timeSync('cpa by stage', () =>
  cpaByStage(data.metrics, { ...range, channel: undefined, currency: pipeline.config.currency }),
);
timeSync('share of voice', () =>
  shareOfVoice(data.metrics, {
    ...range,
    source: 'all',
    brand: pipeline.config.brand.name,
    competitors: pipeline.config.competitors.map((c) => c.name),
    limit: 20,
  }),
);
timeSync('referral traffic', () => referralTraffic(data.metrics, { ...range, limit: 20 }));
const lastTouch = attribute(data.attribution, { ...range, model: 'last_touch', groupBy: 'channel' });

// A day's stored size: all its sections.
const sizes = [...days.metrics.keys()].map((date) =>
  Object.values(days).reduce((sum, parts) => sum + gzipSync(JSON.stringify(parts.get(date))).length, 0),
);
const result: ComputeTaskResult = {
  fetchColdMs,
  computeFirstMs,
  computeWarmMs,
  ...(halfBucketMs === undefined ? {} : { halfBucketMs }),
  reduceMs,
  readBackMs,
  finaliseMs,
  events: bucket.events + others.reduce((sum, o) => sum + o.events, 0),
  conversions: lastTouch.conversions,
  days: days.metrics.size,
  dayResultGzipBytes: {
    median: median(sizes),
    max: Math.max(...sizes),
    total: sizes.reduce((a, b) => a + b, 0),
  },
  duckdbThreads: String(settings?.threads ?? ''),
  duckdbMemoryLimit: String(settings?.memory ?? ''),
  touchesByChannel: Object.fromEntries(touches.channels.map((c) => [c.channel, c.count])),
  lastTouchByChannel: Object.fromEntries(lastTouch.rows.map((r) => [r.key, r.conversions])),
  channels: touches.channels.length,
  campaignRows: shapleyByCampaign.rows.length,
};
report(result);

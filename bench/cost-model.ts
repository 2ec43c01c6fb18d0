/**
 * $ per million events on AWS (us-east-1, on-demand everything, no free tier), from what
 * `npm run bench` measures and published list prices, for the version 2 design: raw zone in S3,
 * lake built by the load function (appended parts, a whole-day build per closed day), scheduled compute in Step Functions, results in
 * DynamoDB. Pure: run.ts passes the measurements in; this returns the table and the lines.
 */
import {
  AUTO_BUCKET_BYTES,
  autoBuckets,
  EVENTS_PARQUET_BYTES,
  windowFits,
  workBytesFor,
} from '#domain/compute-buckets.ts';
import { MERGE_PARTS_AFTER } from '#services/build-lake.ts';

/** /tmp of the compute function (its `ephemeralStorageSize`), which holds the lake cache. */
const COMPUTE_TMP_GIB = 10;
/** /tmp every function has without paying for it. */
const FREE_TMP_GIB = 0.5;

/** A published price and where it comes from. */
export interface Price {
  /** Per single unit (one request, one GB-second, ...). */
  readonly usd: number;
  readonly quoted: string;
  readonly unit: string;
  readonly source: string;
}

/** us-east-1 list prices, first tier, no free tier. */
export const PRICES = {
  lambdaArmGbSecond: {
    quoted: '$0.0000133334 per GB-s',
    usd: 0.0000133334,
    unit: 'Lambda duration, arm64 (ingest, query)',
    source: 'AWS Lambda pricing page (first 7.5 billion GB-s a month)',
  },
  lambdaX86GbSecond: {
    quoted: '$0.0000166667 per GB-s',
    usd: 0.0000166667,
    unit: 'Lambda duration, x86_64 (load and compute: the DuckDB binding is x86_64)',
    source: 'AWS Lambda pricing page (first 6 billion GB-s a month)',
  },
  lambdaEphemeralGbSecond: {
    quoted: '$0.0000000309 per GB-s',
    usd: 0.0000000309,
    unit: 'Lambda ephemeral storage beyond the free 512 MB (compute: 10 GiB)',
    source: 'AWS Lambda pricing page',
  },
  lambdaRequest: {
    quoted: '$0.20 per 1M requests',
    usd: 0.2 / 1e6,
    unit: 'Lambda requests',
    source: 'AWS Lambda pricing page',
  },
  httpApiRequest: {
    quoted: '$1.00 per 1M requests',
    usd: 1.0 / 1e6,
    unit: 'HTTP API requests (first 300 million a month), metered in 512 KB increments',
    source: 'Amazon API Gateway pricing page, HTTP APIs',
  },
  s3Put: {
    quoted: '$0.005 per 1,000',
    usd: 0.005 / 1000,
    unit: 'S3 Standard PUT, COPY, POST, LIST requests',
    source: 'Amazon S3 pricing page, requests',
  },
  s3Get: {
    quoted: '$0.0004 per 1,000',
    usd: 0.0004 / 1000,
    unit: 'S3 Standard GET, SELECT and all other requests',
    source: 'Amazon S3 pricing page, requests',
  },
  s3StorageGbMonth: {
    quoted: '$0.023 per GB-month',
    usd: 0.023,
    unit: 'S3 Standard storage, first 50 TB',
    source: 'Amazon S3 pricing page, storage',
  },
  sqsRequest: {
    quoted: '$0.40 per 1M requests',
    usd: 0.4 / 1e6,
    unit: 'SQS standard queue requests (a batch call of up to 10 messages is one request)',
    source: 'Amazon SQS pricing page',
  },
  dynamoWru: {
    quoted: '$0.625 per 1M WRU',
    usd: 0.625 / 1e6,
    unit: 'DynamoDB on-demand writes and deletes, 1 WRU per started KB',
    source: 'Amazon DynamoDB on-demand pricing page (after the November 2024 cut)',
  },
  dynamoRru: {
    quoted: '$0.125 per 1M RRU',
    usd: 0.125 / 1e6,
    unit: 'DynamoDB on-demand reads, 1 RRU per 4 KB strongly consistent, ½ eventually consistent',
    source: 'Amazon DynamoDB on-demand pricing page (after the November 2024 cut)',
  },
  sfnTransition: {
    quoted: '$0.025 per 1,000 state transitions',
    usd: 0.025 / 1000,
    unit: 'Step Functions Standard workflow state transitions',
    source: 'AWS Step Functions pricing page, US East (N. Virginia)',
  },
} as const satisfies Record<string, Price>;

/** Deployed memory sizes (cdk/lib/pipeline-stack.ts), GB. */
export const MEMORY_GB = { ingest: 1, query: 1, load: 1769 / 1024, compute: 3008 / 1024 } as const;

/**
 * A merge of appended parts, per row: the lake profile's DuckDB COPY step (JSON read, sort, zstd
 * write: 13.3 µs per event), an upper bound for a Parquet-to-Parquet merge, which was not measured.
 */
const MERGE_CPU_MS_PER_EVENT = 0.0133;

/** What the load function's event source does (cdk/lib/pipeline-stack.ts). */
const LOAD_BATCH_WINDOW_S = 30;
const LOAD_BATCH_SIZE = 1000;
/** buildLakeDay gives up after this many rebuilds of a day whose raw listing keeps changing. */
const MAX_ROUNDS = 5;
/** The load function's timeout (cdk/lib/pipeline-stack.ts), s. */
const LOAD_TIMEOUT_S = 300;
/** Tables of the lake: events, identities, refunds, conversions, visitors. */
const LAKE_TABLES = 5;
/** Files a whole-day build writes: events, identities, conversions and visitors (refunds rarely). */
const LAKE_PUTS = 4;
/** Tables an appended part writes and lists: events, identities, refunds (not the indexes). */
const APPENDED_TABLES = 3;
/** Files an appended part writes: events and identities (refunds rarely). */
const APPENDED_PUTS = 2;
/** Lake tables besides events, read whole by every compute task. */
const SMALL_TABLES = 4;
/** Days of each small table that changed since the previous run: today's, and a day compacted. */
const CHANGED_DAYS = 2;
/** The compute function's timeout, s. */
const COMPUTE_TIMEOUT_S = 900;
/** Lambda's SQS pollers: assumed 5 long polls of 20 s at all times. */
const IDLE_RECEIVES_PER_MONTH = 5 * 3 * 60 * 24 * 30;
const DAYS_PER_MONTH = 30;

export interface CostInputs {
  readonly batchEvents: number;
  /** Ingest handler p50 per 500-event batch with the S3 write, ms (bench: one at a time). */
  readonly ingestMsPerBatch: number;
  readonly batchBodyBytes: number;
  readonly rawBytesPerEvent: number;
  readonly lakeBytesPerEvent: number;
  /** Load: a day rebuild with one raw object (engine open, list, build, put), ms. */
  readonly loadFixedMs: number;
  /** Load: builder CPU per event (all threads), ms; one vCPU at 1,769 MB runs it at this speed. */
  readonly loadCpuMsPerEvent: number;
  /** Assumed wait per raw object GET on S3 (the builder reads them one after another), ms. */
  readonly s3GetLatencyMs: number;
  /** Compute: one bucket's map task (cold lake fetch + first compute in a fresh process), at two sizes. */
  readonly computeMap: ReadonlyArray<{ readonly events: number; readonly ms: number }>;
  /**
   * Share of a bucket's time that every bucket repeats whatever the bucket count (reading and
   * deduplicating the whole window before the bucket filter), from 1 bucket vs bucket 0 of 2.
   */
  readonly computeScanShare: number;
  /**
   * Compute: one bucket of many over a window far larger than one bucket (cold fetch + compute),
   * as measured; what a bucket of a window past the largest single bucket is scaled from.
   */
  readonly computeScale?: {
    readonly windowEvents: number;
    readonly buckets: number;
    readonly ms: number;
    readonly peakRssMb: number;
  };
  /** Compute: the reduce step over a 30-day range, ms. */
  readonly reduceMs30: number;
  /** Gzip bytes of one day's stored result (events/day of the measurement given). */
  readonly dayResultBytes: ReadonlyArray<{ readonly eventsPerDay: number; readonly bytes: number }>;
  /** Query function p50 over 30 days (attribution by campaign), ms. */
  readonly queryMs30: number;
  /** A 30-day query's read as measured: its cover's items, the RRU they took, the day result size then. */
  readonly queryRead30: { readonly items: number; readonly rru: number; readonly dayBytes: number };
  readonly lookbackDays: number;
  readonly scheduleWindowDays: number;
}

export interface Scenario {
  readonly eventsPerMonth: number;
  readonly computeRunsPerDay: number;
  /** Days of identity partitions the compute lists and reads on every run (all of them: a year here). */
  readonly lakeDays: number;
  readonly queriesPerMonth: number;
  /** Rebuild the whole day on every load invocation (the builder before appended parts). */
  readonly wholeDayBuilds?: boolean;
  /** Leave out the SQS pollers' empty long polls (a fixed charge whatever the volume). */
  readonly withoutIdlePolls?: boolean;
}

export interface CostLine {
  readonly service: string;
  readonly term: string;
  readonly formula: string;
  readonly quantity: string;
  /** $ a month. */
  readonly usd: number;
}

export interface LoadDay {
  readonly invocations: number;
  readonly rounds: number;
  /** Invocations that hit MAX_ROUNDS: their messages go back to the queue (and, in the end, the DLQ). */
  readonly failures: number;
  /** Invocations killed by the 5-minute timeout (billed in full, nothing written). */
  readonly timeouts: number;
  readonly seconds: number;
  readonly longestS: number;
  readonly gets: number;
  readonly lists: number;
  readonly puts: number;
  readonly messages: number;
  /** Raw objects of the day still not in the lake when the day is over. */
  readonly unbuilt: number;
}

export interface CostResult {
  readonly lines: readonly CostLine[];
  readonly monthly: number;
  readonly perMillion: number;
  readonly storagePerMillionMonth: number;
  readonly load: LoadDay;
  readonly compute: {
    readonly buckets: number;
    readonly bucketS: number;
    readonly windowEvents: number;
    readonly lakeCacheGb: number;
  };
  /** What would stop this deployment working at this volume. */
  readonly breaks: readonly string[];
}

const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * One UTC day of the load function: raw objects arrive evenly; an invocation starts when the
 * first waiting message is 30 s old (or 1,000 wait) and the previous one has ended (one at a time:
 * the deployed `maxConcurrency` of 2 would let two rebuild the same day at once, which costs more);
 * it rebuilds the day from every object listed at the start of a round, and starts another round
 * when the listing changed meanwhile, failing after 5.
 */
export function simulateLoadDay(inputs: CostInputs, eventsPerDay: number, incremental = false): LoadDay {
  const objects = Math.max(1, Math.round(eventsPerDay / inputs.batchEvents));
  const gap = 86_400 / objects;
  const arrivedBy = (t: number) => Math.min(objects, Math.floor(t / gap) + 1);
  const roundSeconds = (n: number) =>
    (inputs.loadFixedMs + n * inputs.batchEvents * inputs.loadCpuMsPerEvent + n * inputs.s3GetLatencyMs) /
    1000;
  const day: { -readonly [K in keyof LoadDay]: LoadDay[K] } = {
    invocations: 0,
    rounds: 0,
    failures: 0,
    timeouts: 0,
    seconds: 0,
    longestS: 0,
    gets: 0,
    lists: 0,
    puts: 0,
    messages: objects,
    unbuilt: 0,
  };
  let handled = 0;
  let free = 0;
  let parts = 0;
  while (handled < objects) {
    const firstWaiting = handled * gap;
    const start = Math.max(
      free,
      Math.min(firstWaiting + LOAD_BATCH_WINDOW_S, (handled + LOAD_BATCH_SIZE - 1) * gap),
    );
    const batchEnd = Math.min(arrivedBy(start), handled + LOAD_BATCH_SIZE);
    day.invocations++;
    let t = start;
    let listed = arrivedBy(t);
    let ok = false;
    let timedOut = false;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      // Incremental: only the objects of this batch are read and written, once.
      const reads = incremental ? batchEnd - handled : listed;
      const s = roundSeconds(reads);
      day.rounds++;
      if (t + s - start > LOAD_TIMEOUT_S) {
        day.gets += Math.round(reads * ((start + LOAD_TIMEOUT_S - t) / s));
        t = start + LOAD_TIMEOUT_S;
        timedOut = true;
        break;
      }
      day.gets += reads;
      // Each table's parts of the day are listed; a whole build also lists the raw zone, twice.
      day.lists += incremental ? APPENDED_TABLES : LAKE_TABLES + 2 * Math.ceil(listed / 1000);
      day.puts += incremental ? APPENDED_PUTS : LAKE_PUTS;
      t += s;
      if (incremental) {
        parts++;
        if (parts > MERGE_PARTS_AFTER) {
          // The day's parts merged into one by DuckDB: every row appended so far, read and written.
          const merge = (batchEnd * inputs.batchEvents * MERGE_CPU_MS_PER_EVENT) / 1000;
          t += merge;
          day.gets += 2 * parts;
          day.puts += APPENDED_PUTS;
          parts = 1;
        }
        ok = true;
        break;
      }
      const after = arrivedBy(t);
      if (after === listed) {
        ok = true;
        break;
      }
      listed = after;
    }
    const seconds = t - start;
    day.seconds += seconds;
    day.longestS = Math.max(day.longestS, seconds);
    free = t;
    if (ok) handled = batchEnd;
    else if (timedOut) day.timeouts++;
    else day.failures++;
    // A day of wall time: what is still unbuilt then stays so (its retries overlap the next day).
    if (free >= 86_400) break;
  }
  day.unbuilt = objects - handled;
  if (incremental) {
    // And once a day (the first load of the next day), the day built whole as part 0.
    const s = roundSeconds(objects);
    day.rounds++;
    day.seconds += s;
    day.gets += objects;
    day.lists += LAKE_TABLES + 2 * Math.ceil(objects / 1000);
    day.puts += LAKE_PUTS;
  }
  return day;
}

/** Linear fit through the compute map measurements: fixed ms + ms per event read. */
function computeFit(inputs: CostInputs): { fixedMs: number; msPerEvent: number } {
  const points = [...inputs.computeMap].sort((a, b) => a.events - b.events);
  const small = points[0];
  const large = points.at(-1);
  if (!small || !large || large.events === small.events)
    return { fixedMs: 0, msPerEvent: (large?.ms ?? 0) / Math.max(1, large?.events ?? 1) };
  const msPerEvent = (large.ms - small.ms) / (large.events - small.events);
  return { fixedMs: Math.max(0, small.ms - msPerEvent * small.events), msPerEvent };
}

function dayResultBytes(inputs: CostInputs, eventsPerDay: number): number {
  const points = [...inputs.dayResultBytes].sort((a, b) => a.eventsPerDay - b.eventsPerDay);
  // The nearest measurement at or below; the largest for anything beyond (day results grow with
  // distinct campaigns and sketches, far slower than with events).
  let chosen = points[0];
  for (const point of points) if (point.eventsPerDay <= eventsPerDay) chosen = point;
  return chosen?.bytes ?? 0;
}

export function costModel(inputs: CostInputs, scenario: Scenario): CostResult {
  const E = scenario.eventsPerMonth;
  const eventsPerDay = E / DAYS_PER_MONTH;
  const objects = E / inputs.batchEvents;
  const lines: CostLine[] = [];
  const line = (service: string, term: string, formula: string, quantity: string, usd: number) =>
    lines.push({ service, term, formula, quantity, usd });
  const httpUnits = Math.ceil(inputs.batchBodyBytes / (512 * 1024));

  // Ingest.
  line(
    'API Gateway',
    '`POST /v1/events`',
    `N/500 × ${httpUnits} (body ${fmt(inputs.batchBodyBytes / 1024)} KB)`,
    `${fmt(objects * httpUnits)} requests`,
    objects * httpUnits * PRICES.httpApiRequest.usd,
  );
  const ingestGbS = objects * (Math.ceil(inputs.ingestMsPerBatch) / 1000) * MEMORY_GB.ingest;
  line(
    'Lambda ingest (arm64, 1,024 MB)',
    'requests + duration',
    `N/500 × (1 request + ${Math.ceil(inputs.ingestMsPerBatch)} ms × 1 GB)`,
    `${fmt(objects)} req, ${fmt(ingestGbS, 1)} GB-s`,
    objects * PRICES.lambdaRequest.usd + ingestGbS * PRICES.lambdaArmGbSecond.usd,
  );
  line('S3', 'PUT raw object', 'N/500', `${fmt(objects)} PUT`, objects * PRICES.s3Put.usd);

  // Load: the simulated day, thirty times.
  const load = simulateLoadDay(inputs, eventsPerDay, !scenario.wholeDayBuilds);
  const loadMonth = (value: number) => value * DAYS_PER_MONTH;
  const loadGbS = loadMonth(load.seconds) * MEMORY_GB.load;
  const idle = scenario.withoutIdlePolls ? 0 : IDLE_RECEIVES_PER_MONTH;
  const receives =
    loadMonth(load.invocations) *
    Math.ceil(Math.min(LOAD_BATCH_SIZE, load.messages / Math.max(1, load.invocations)) / 10);
  line(
    'SQS',
    'S3 notification, receive + delete of each message, pollers',
    `N/500 sends + 2 × ⌈batch/10⌉ per invocation + ${fmt(idle)} idle long polls`,
    `${fmt(objects + 2 * receives + idle)} requests`,
    (objects + 2 * receives + idle) * PRICES.sqsRequest.usd,
  );
  line(
    'Lambda load (x86_64, 1,769 MB)',
    'requests + duration',
    `${fmt(load.invocations)} invocations/day, ${fmt(load.rounds)} builds/day (${fmt(inputs.loadFixedMs)} ms + ${fmt(inputs.loadCpuMsPerEvent * 1000, 1)} µs/event + ${inputs.s3GetLatencyMs} ms/object${scenario.wholeDayBuilds ? ', each of the whole day so far' : ` of what arrived; merges of more than ${MERGE_PARTS_AFTER} parts; the whole day once`})`,
    `${fmt(loadMonth(load.invocations))} req, ${fmt(loadGbS)} GB-s`,
    loadMonth(load.invocations) * PRICES.lambdaRequest.usd + loadGbS * PRICES.lambdaX86GbSecond.usd,
  );
  line(
    'S3',
    'load: GET raw objects, LIST, PUT lake',
    scenario.wholeDayBuilds
      ? 'every rebuild reads every object of the day so far'
      : 'each object read once, and once more by the whole-day build',
    `${fmt(loadMonth(load.gets))} GET, ${fmt(loadMonth(load.lists + load.puts))} LIST/PUT`,
    loadMonth(load.gets) * PRICES.s3Get.usd + loadMonth(load.lists + load.puts) * PRICES.s3Put.usd,
  );

  // Compute: runs of plan → map per bucket → reduce.
  const runs = scenario.computeRunsPerDay * DAYS_PER_MONTH;
  const windowEvents =
    eventsPerDay * (scenario.computeRunsPerDay > 0 ? inputs.scheduleWindowDays + inputs.lookbackDays : 0);
  // As the deployment's default (`computeBuckets: auto`) picks them, from the window's lake bytes.
  const buckets = autoBuckets(windowEvents * EVENTS_PARQUET_BYTES);
  const fit = computeFit(inputs);
  const perEvent = fit.msPerEvent;
  const modelMs =
    fit.fixedMs +
    windowEvents * perEvent * (inputs.computeScanShare + (1 - inputs.computeScanShare) / buckets);
  // Past the largest single bucket measured, the bucket measured over a large window, scaled in
  // proportion to the window, rather than the model above extrapolated from 10M events (it is
  // bucket 0, the largest: it also holds every event without a person).
  const scale = inputs.computeScale;
  const measuredMax = Math.max(...inputs.computeMap.map((p) => p.events));
  const scaledMs = scale && windowEvents > measuredMax ? (scale.ms * windowEvents) / scale.windowEvents : 0;
  const bucketMs = scaledMs > 0 ? scaledMs : modelMs;
  const reduceMs = inputs.reduceMs30 * (inputs.scheduleWindowDays / 30);
  const planMs = 300;
  const computeSeconds = runs * ((buckets * bucketMs + reduceMs + planMs) / 1000);
  const computeGbS = computeSeconds * MEMORY_GB.compute;
  const tmpGbS = computeSeconds * (COMPUTE_TMP_GIB - FREE_TMP_GIB);
  const invocations = runs * (buckets + 2);
  line(
    'Lambda compute (x86_64, 3,008 MB, 10 GiB /tmp)',
    'plan + map per bucket + reduce',
    `${runs} runs × (${buckets} × ${fmt(bucketMs / 1000, 1)} s + reduce ${fmt(reduceMs / 1000, 1)} s + plan ${planMs / 1000} s); window ${inputs.scheduleWindowDays} + ${inputs.lookbackDays} days = ${fmt(windowEvents)} events`,
    `${fmt(invocations)} req, ${fmt(computeGbS)} GB-s, ${fmt(tmpGbS)} GB-s of /tmp`,
    invocations * PRICES.lambdaRequest.usd +
      computeGbS * PRICES.lambdaX86GbSecond.usd +
      tmpGbS * PRICES.lambdaEphemeralGbSecond.usd,
  );
  const windowDays = inputs.scheduleWindowDays + inputs.lookbackDays;
  // The small tables (identities, refunds, conversions, visitors) of every lake day are listed on
  // each run, and only those that changed since (today's, and a day compacted) are fetched: the
  // listed ETag of the others is the cached one. The plan does the same for refunds and conversions,
  // and lists the window's events files once more to size the buckets (one page of 1,000 keys).
  const smallLists = Math.ceil(scenario.lakeDays / 1000);
  const computeGets = runs * (buckets * (windowDays + SMALL_TABLES * CHANGED_DAYS + 1) + 2 * CHANGED_DAYS);
  const computePuts = runs * (buckets * (windowDays + SMALL_TABLES * smallLists + 1) + 2 * smallLists + 1);
  line(
    'S3',
    'compute: LIST + GET lake partitions (the small tables of every day listed, changed ones fetched), partials',
    `per bucket: ${windowDays} event days (LIST + GET) + ${SMALL_TABLES} tables × (${smallLists} LIST of ${scenario.lakeDays} days + ${CHANGED_DAYS} changed GET) + partial PUT/GET; plan: 2 tables + the window's events`,
    `${fmt(computeGets)} GET, ${fmt(computePuts)} LIST/PUT`,
    computeGets * PRICES.s3Get.usd + computePuts * PRICES.s3Put.usd,
  );
  const transitions = runs * (5 + buckets);
  line(
    'Step Functions',
    'state transitions',
    `${runs} runs × (Plan, BuildDays, ComputeBuckets, ${buckets} × ComputeBucket, Reduce, Done)`,
    `${fmt(transitions)} transitions`,
    transitions * PRICES.sfnTransition.usd,
  );
  const dayBytes = dayResultBytes(inputs, eventsPerDay);
  const dayKb = Math.ceil(dayBytes / 1024);
  const wru = runs * (inputs.scheduleWindowDays * (2 * dayKb + 1) + 4 + buckets);
  const rru = runs * (inputs.scheduleWindowDays * 0.5 + 1);
  line(
    'DynamoDB',
    'results: write the window’s days, delete the old version; job items',
    `${runs} runs × (${inputs.scheduleWindowDays} days × (2 × ${dayKb} KB + head) + job items)`,
    `${fmt(wru)} WRU, ${fmt(rru)} RRU`,
    wru * PRICES.dynamoWru.usd + rru * PRICES.dynamoRru.usd,
  );

  // Queries.
  const q = scenario.queriesPerMonth;
  const queryGbS = q * (inputs.queryMs30 / 1000) * MEMORY_GB.query;
  // A query reads the heads and chunks of its range's cover (a few days and blocks, not 30 days);
  // the chunks grow with the day results, at least ½ RRU for each head and each chunk.
  const read = inputs.queryRead30;
  const queryRru = q * Math.max(read.items, read.rru * (dayBytes / read.dayBytes));
  line(
    'Queries',
    `${fmt(q)} a month over 30 days (API Gateway, Lambda arm64 1,024 MB, DynamoDB reads)`,
    `${fmt(inputs.queryMs30)} ms each; a cover of ${read.items} days and blocks, ${fmt(read.rru)} RRU measured with ${fmt(read.dayBytes / 1024)} KB days, scaled to ${fmt(dayBytes / 1024)} KB`,
    `${fmt(queryGbS, 1)} GB-s, ${fmt(queryRru)} RRU`,
    q * (PRICES.httpApiRequest.usd + PRICES.lambdaRequest.usd) +
      queryGbS * PRICES.lambdaArmGbSecond.usd +
      queryRru * PRICES.dynamoRru.usd,
  );

  const monthly = lines.reduce((sum, l) => sum + l.usd, 0);
  const breaks: string[] = [];
  if (load.timeouts > 0)
    breaks.push(
      `${fmt(load.timeouts)} load invocations a day run into the ${LOAD_TIMEOUT_S / 60}-minute timeout: a day rebuild of the whole day no longer fits, so the day stops being rebuilt`,
    );
  if (load.unbuilt > 0)
    breaks.push(
      `${fmt(load.unbuilt)} of the day's ${fmt(load.messages)} raw objects are still not in the lake when the day ends`,
    );
  if (load.failures > 0)
    breaks.push(
      `${fmt(load.failures)} load invocations a day give up after ${MAX_ROUNDS} rebuilds (the day kept changing); their messages are redelivered and in the end dead-lettered`,
    );
  if (bucketMs / 1000 > COMPUTE_TIMEOUT_S)
    breaks.push(
      `a compute bucket takes ${fmt(bucketMs / 1000)} s, beyond the ${COMPUTE_TIMEOUT_S / 60}-minute timeout`,
    );
  const cacheGb = (windowEvents * inputs.lakeBytesPerEvent) / 1024 ** 3;
  if (scaledMs > 0 && scale && scale.peakRssMb > MEMORY_GB.compute * 1024)
    breaks.push(
      `a bucket task over a window of ${fmt(scale.windowEvents)} events (bucket 0 of ${scale.buckets}) peaked at ${fmt(scale.peakRssMb)} MB here, beyond the compute function's ${fmt(MEMORY_GB.compute * 1024)} MB`,
    );
  // The plan's own rule: a window whose cache and spill would not fit the work folder is refused.
  const windowBytes = windowEvents * EVENTS_PARQUET_BYTES;
  if (!windowFits(windowBytes, COMPUTE_TMP_GIB * 1024 ** 3))
    breaks.push(
      `each compute bucket caches the whole window's events (${fmt(windowBytes / 1e9, 1)} GB) and spills beside it (${fmt(workBytesFor(windowBytes) / 1e9, 1)} GB in all), beyond what the ${COMPUTE_TMP_GIB} GiB of /tmp the compute function gets allow, so its plan refuses the window (shared/domain/compute-buckets.ts)`,
    );
  const storagePerMillionMonth =
    ((inputs.rawBytesPerEvent + inputs.lakeBytesPerEvent) * 1e6 * PRICES.s3StorageGbMonth.usd) / 1024 ** 3;
  return {
    lines,
    monthly,
    perMillion: monthly / (E / 1e6),
    storagePerMillionMonth,
    load,
    compute: {
      buckets,
      bucketS: bucketMs / 1000,
      windowEvents,
      lakeCacheGb: cacheGb,
    },
    breaks,
  };
}

const usd = (value: number) =>
  value >= 100
    ? `$${fmt(value)}`
    : value >= 1
      ? `$${value.toFixed(2)}`
      : value >= 0.01
        ? `$${value.toFixed(3)}`
        : `$${value.toFixed(5)}`;

export interface CostSection {
  readonly markdown: string[];
  readonly scenarios: ReadonlyArray<{ readonly scenario: Scenario; readonly result: CostResult }>;
}

/** The BENCHMARKS.md section: prices, assumptions, the itemised model at two volumes, sensitivity. */
export function costModelMarkdown(inputs: CostInputs): CostSection {
  const base = { computeRunsPerDay: 4, lakeDays: 365, queriesPerMonth: 3000 };
  const volumes = [1e6, 1e8];
  const scenarios = volumes.map((eventsPerMonth) => {
    const scenario = { ...base, eventsPerMonth };
    return { scenario, result: costModel(inputs, scenario) };
  });
  const out: string[] = [];
  out.push('## Cost ($ per million events, AWS us-east-1, on-demand, no free tier)');
  out.push('');
  out.push('| price | what | source |');
  out.push('|---|---|---|');
  for (const price of Object.values(PRICES) as Price[])
    out.push(`| ${price.quoted} | ${price.unit} | ${price.source} |`);
  out.push('');
  out.push(
    `Assumptions: events arrive evenly over the month in ${inputs.batchEvents}-event batches, one raw object each, each on the UTC day it happened; ${base.computeRunsPerDay} scheduled compute runs a day over the ${inputs.scheduleWindowDays}-day schedule window with the ${inputs.lookbackDays}-day lookback (the deploy default is hourly: see the sensitivity table); the compute buckets the deployment's default \`computeBuckets: auto\` picks (one per ${fmt(AUTO_BUCKET_BYTES / 1e6)} MB of the window's events Parquet: 10M events at the builder's ${EVENTS_PARQUET_BYTES} bytes each; the largest single bucket measured here holds ${fmt(Math.max(...inputs.computeMap.map((p) => p.events)))}), each reading the whole window; ${inputs.computeScale ? `a bucket of a window larger than one bucket measured takes what bucket 0 of ${inputs.computeScale.buckets} took over ${fmt(inputs.computeScale.windowEvents)} events (${fmt(inputs.computeScale.ms / 1000, 1)} s with its cold fetch; bucket 0 is the largest, as it also holds the events without a person), scaled in proportion to the window;` : ''} a year of lake partitions (each compute task lists the identities, refunds, conversions and visitors of every day and fetches the ones that changed since the last run); ${fmt(base.queriesPerMonth)} queries a month. Durations are this machine's (x86_64), billed as they are. The load function is simulated day by day from the measured builder cost: ${fmt(inputs.loadFixedMs)} ms per build + ${fmt(inputs.loadCpuMsPerEvent * 1000, 1)} µs of CPU per event built (one vCPU at 1,769 MB) + ${inputs.s3GetLatencyMs} ms per raw object read (assumed S3 first-byte latency), an invocation 30 s after the first waiting message, one at a time; each invocation appends the objects of its batch as a part, more than ${MERGE_PARTS_AFTER} parts are merged (${fmt(MERGE_CPU_MS_PER_EVENT * 1000, 1)} µs per row of the day so far, an assumption: see cost-model.ts), and each day is built whole once, after it ends. Left out: CloudWatch Logs and metrics, data transfer, KMS, Secrets Manager, the free tiers.`,
  );
  out.push('');
  for (const { scenario, result } of scenarios) {
    out.push(
      `### ${fmt(scenario.eventsPerMonth)} events a month: **${usd(result.perMillion)} per million events** (${usd(result.monthly)} a month), plus ${usd(result.storagePerMillionMonth)} per million events per month kept (raw gzip + lake Parquet in S3 Standard)`,
    );
    out.push('');
    out.push('| service | term | formula | quantity a month | $ a month | $ per million events |');
    out.push('|---|---|---|---:|---:|---:|');
    for (const l of result.lines)
      out.push(
        `| ${l.service} | ${l.term} | ${l.formula} | ${l.quantity} | ${usd(l.usd)} | ${usd(l.usd / (scenario.eventsPerMonth / 1e6))} |`,
      );
    out.push('');
    const load = result.load;
    out.push(
      `Load, simulated day: ${fmt(load.messages)} raw objects, ${fmt(load.invocations)} invocations, ${fmt(load.rounds)} day rebuilds, ${fmt(load.failures)} invocations giving up after ${MAX_ROUNDS} rebuilds, ${fmt(load.timeouts)} timed out, ${fmt(load.seconds)} s of load function a day (longest invocation ${fmt(load.longestS)} s). Compute: ${fmt(result.compute.windowEvents)} events per run in ${result.compute.buckets} bucket(s) of ${fmt(result.compute.bucketS, 1)} s; a bucket's lake cache needs ${fmt(result.compute.lakeCacheGb, 2)} GB of /tmp.`,
    );
    if (result.breaks.length > 0) {
      out.push('');
      out.push(
        `**At this volume the deployment as configured does not keep up:** ${result.breaks.join('; ')}.`,
      );
    }
    out.push('');
  }
  // The largest steady volume at which the load function still gets every object of a day into
  // the lake that day (bisection over the simulated day), as deployed and with whole-day builds.
  const capacity = (incremental: boolean) => {
    let low = 1e5;
    let high = 1e10;
    for (let i = 0; i < 40; i++) {
      const mid = Math.sqrt(low * high);
      const day = simulateLoadDay(inputs, mid / DAYS_PER_MONTH, incremental);
      if (day.unbuilt === 0 && day.failures === 0 && day.timeouts === 0) low = mid;
      else high = mid;
    }
    return low;
  };
  const appended = capacity(true);
  const whole = capacity(false);
  out.push(
    `The load function keeps up to about **${fmt(appended / 1e6, 0)}M events a month** in this simulation (appended parts; beyond it a merge of the day's parts or the next day's whole build of it no longer fits its ${LOAD_TIMEOUT_S / 60}-minute timeout). Rebuilding the whole day on every load (the builder before appended parts) stopped keeping up at about ${fmt(whole / 1e6, 1)}M events a month: a rebuild of the day took longer than the gap between two objects.`,
  );
  out.push('');
  out.push('Sensitivity ($ per million events):');
  out.push('');
  out.push('| variant | 1M events/month | 100M events/month |');
  out.push('|---|---:|---:|');
  const variant = (label: string, change: Partial<Scenario>) => {
    const cells = volumes.map((eventsPerMonth) =>
      usd(costModel(inputs, { ...base, eventsPerMonth, ...change }).perMillion),
    );
    out.push(`| ${label} | ${cells.join(' | ')} |`);
  };
  variant('as above (4 compute runs a day)', {});
  variant('1 compute run a day', { computeRunsPerDay: 1 });
  variant('24 compute runs a day (the deploy default, hourly)', { computeRunsPerDay: 24 });
  variant('96 compute runs a day', { computeRunsPerDay: 96 });
  variant('whole-day lake builds on every load (the builder before appended parts)', {
    wholeDayBuilds: true,
  });
  variant('without the SQS pollers’ idle long polls (assumed 648,000 a month)', { withoutIdlePolls: true });
  return { markdown: out, scenarios };
}

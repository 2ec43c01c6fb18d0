/**
 * Child of run.ts: freshness end to end. A local runtime (`startLocalRuntime`, port 0, compute on
 * load as by default) takes `events` synthetic events of the last 24 hours from 4 concurrent
 * senders (a worker thread, batches of 500 to `POST /v1/events`); this thread polls channel share
 * (touches) over HTTP until its total equals the touches the events hold, and reports the time
 * from the last 202 to then.
 *
 * Run it with `--openssl-legacy-provider` (run.ts does): s3rver makes ListObjectsV2 continuation
 * tokens with DES, which Node 22's OpenSSL 3 only has in its legacy provider, so without the flag
 * every LIST of a prefix with more than 1,000 objects fails with InternalError — a day of more
 * than 500,000 events can then never be rebuilt by the local runtime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { literalList } from '#adapters/duckdb.ts';
import { createClassifier } from '#adapters/pipeline.ts';
import { createEventClassifier } from '#domain/classify.ts';
import { startLocalRuntime } from '#local/runtime.ts';
import type { SenderInput, SenderReport } from './freshness-sender.ts';
import { BATCH_EVENTS, BENCH_KEY, benchConfig, CONFIG_PATH, childInput, report } from './support.ts';
import { type DatasetProps, SyntheticDataset } from './synthetic.ts';

export interface FreshnessInput {
  readonly events: number;
  readonly senders: number;
  /** Give up waiting this long after the last 202. */
  readonly timeoutMs: number;
}

export interface FreshnessResult {
  readonly events: number;
  readonly expectedTouches: number;
  readonly sender: SenderReport;
  readonly sendMs: number;
  /** Last 202 → channel share counts every touch; undefined when it never did within the timeout. */
  readonly freshnessMs: number | undefined;
  /** What channel share said at the last 202, and at the end. */
  readonly touchesAtLastAck: number;
  readonly touchesAtEnd: number;
  readonly polls: number;
  /** Unique events sent and rows in the lake, per UTC day, at the end. */
  readonly lakeDays: Record<string, { readonly raw: number; readonly lake: number }>;
  /** Load-queue messages given up on after their retries. */
  readonly deadLetters: number;
  /** What happened after the last 202 (seconds after it), polled every 250 ms. */
  readonly afterLastAck: ReadonlyArray<{ readonly s: number; readonly what: string }>;
  /** Whether Node ran with `--openssl-legacy-provider` (s3rver needs it past 1,000 objects a prefix). */
  readonly legacyOpenSsl: boolean;
  readonly from: string;
  readonly to: string;
}

const input = childInput<FreshnessInput>();
const now = Date.now();
const startMs = now - 24 * 3_600_000;
const endMs = now - 60_000;
const from = new Date(startMs).toISOString().slice(0, 10);
const to = new Date(endMs).toISOString().slice(0, 10);
const days = from === to ? 1 : 2;
const datasetProps: DatasetProps = {
  events: input.events,
  from,
  days,
  campaigns: 3000,
  seed: 31,
  startMs,
  endMs,
};

// What channel share must say once everything is counted: the touches of the events, one per eventId.
const config = benchConfig();
const classifier = createEventClassifier({ config, classifier: createClassifier(config) });
const dataset = new SyntheticDataset(datasetProps);
let expectedTouches = 0;
for (let d = 0; d < dataset.dates.length; d++) {
  const seen = new Set<string>();
  for (const stored of dataset.eventsOfDay(d)) {
    if (seen.has(stored.event.eventId)) continue;
    seen.add(stored.event.eventId);
    const row = classifier.classify(stored);
    if (row.touch) expectedTouches += row.count;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'attribution-bench-freshness-'));
const runtime = await startLocalRuntime({
  dataDir,
  configPath: CONFIG_PATH,
  port: 0,
  apiKey: BENCH_KEY,
  computeIntervalSeconds: 0,
});
await runtime.idle();

async function touches(): Promise<number> {
  const response = await fetch(
    `${runtime.url}/v1/metrics/channel-share?from=${from}&to=${to}&basis=touches`,
    {
      headers: { authorization: `Bearer ${BENCH_KEY}` },
    },
  );
  if (response.status !== 200) return -1;
  return ((await response.json()) as { total: number }).total;
}

const worker = new Worker(new URL('./freshness-sender.ts', import.meta.url), {
  workerData: {
    url: runtime.url,
    key: BENCH_KEY,
    dataset: datasetProps,
    senders: input.senders,
    batch: BATCH_EVENTS,
  } satisfies SenderInput,
});
let sender: SenderReport | undefined;
worker.on('message', (message: { progress?: number; done?: SenderReport }) => {
  if (message.done) sender = message.done;
  else if (message.progress)
    process.stderr.write(`freshness: ${message.progress.toLocaleString('en-US')} events sent\n`);
});
worker.on('error', (error) => {
  process.stderr.write(`sender failed: ${error.message}\n`);
  process.exit(1);
});

/** When each lake partition changed (a part appended or merged, a whole build), and when the counts moved. */
const timeline: Array<{ at: number; what: string }> = [];
const partitionParts = new Map<string, string>();
async function watchLake(): Promise<void> {
  for (const date of dataset.dates) {
    const parts = await runtime.pipeline.lakeStore.listParts('events', date).catch(() => []);
    const names = parts.map((p) => `${p.part}@${p.lastModified.getTime()}`).join(',');
    if (names && partitionParts.get(date) !== names) {
      partitionParts.set(date, names);
      timeline.push({ at: Date.now(), what: `lake ${date}: ${parts.length} part(s)` });
    }
  }
}

let polls = 0;
let touchesAtLastAck = -1;
let latest = -1;
let countedAt: number | undefined;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  const previous = latest;
  latest = await touches();
  polls++;
  await watchLake();
  if (latest !== previous)
    timeline.push({ at: Date.now(), what: `counts ${((latest / expectedTouches) * 100).toFixed(1)}%` });
  if (polls % 40 === 0)
    process.stderr.write(`freshness: ${((latest / expectedTouches) * 100).toFixed(1)}% of touches counted\n`);
  if (!sender) continue;
  if (touchesAtLastAck < 0) touchesAtLastAck = latest;
  if (latest === expectedTouches) {
    countedAt = Date.now();
    break;
  }
  if (Date.now() - sender.lastAckAt > input.timeoutMs) break;
}
const done = sender as SenderReport;
await worker.terminate();
// What the lake holds against what was sent, per day, and what the load queue gave up on.
const lakeDays: Record<string, { raw: number; lake: number }> = {};
try {
  const engine = await runtime.pipeline.openEngine();
  for (const [d, date] of dataset.dates.entries()) {
    const ids = new Set(dataset.eventsOfDay(d).map((stored) => stored.event.eventId));
    const files = await runtime.pipeline.lakeStore.fetchPartitions('events', [date]);
    // Parts may repeat an event (compute keeps one row per event id): count ids.
    const rows =
      files.length > 0
        ? await engine.all<{ n: bigint }>(
            `SELECT count(DISTINCT event_id) AS n FROM read_parquet(${literalList(files)}, union_by_name = true)`,
          )
        : [{ n: 0n }];
    lakeDays[date] = { raw: ids.size, lake: Number(rows[0]?.n ?? 0) };
  }
  await engine.close();
} catch (error) {
  process.stderr.write(`freshness: could not read the lake back: ${(error as Error).message}\n`);
}
const deadLetters = runtime.queue.deadLetters.length;
await runtime.close();
rmSync(dataDir, { recursive: true, force: true });
report({
  events: dataset.lines,
  expectedTouches,
  sender: done,
  sendMs: done.lastAckAt - done.firstSentAt,
  freshnessMs: countedAt === undefined ? undefined : countedAt - done.lastAckAt,
  touchesAtLastAck,
  touchesAtEnd: latest,
  polls,
  from,
  to,
  lakeDays,
  deadLetters,
  afterLastAck: timeline
    .filter((entry) => entry.at >= done.lastAckAt - 1000)
    .map((entry) => ({ s: (entry.at - done.lastAckAt) / 1000, what: entry.what })),
  legacyOpenSsl:
    process.execArgv.includes('--openssl-legacy-provider') ||
    /--openssl-legacy-provider/.test(process.env.NODE_OPTIONS ?? ''),
} satisfies FreshnessResult);

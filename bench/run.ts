/**
 * `npm run bench`: ingest and compute figures, printed and written to BENCHMARKS.md.
 * Figures are medians of repeated runs on this machine; compare ratios, not absolute numbers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '#adapters/config-loader.ts';
import { logger } from '#adapters/logger.ts';
import { benchBundles } from './bundles.ts';
import { costModelMarkdown } from './cost-model.ts';
import { benchIngest } from './ingest-bench.ts';
import { BATCH_EVENTS, benchLoad } from './load-bench.ts';
import { formatRate, median } from './stats.ts';

// The handlers log each request; a benchmark measures, it does not read logs.
logger.setLogLevel('SILENT');

const RUNS = 3;
const EVENTS = 1_000_000;
const LAMBDA_MB = 1769;

interface ComputeRun {
  readonly ms: number;
  readonly eventsPerSecond: number;
  readonly maxRssMb: number;
}

function computeRun(mode: 'in-memory' | 'stream'): ComputeRun {
  const script = fileURLToPath(new URL('./compute-task.ts', import.meta.url));
  const output = execFileSync(process.execPath, [script, mode, String(EVENTS), '4'], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as ComputeRun;
}

const lines: string[] = [];
const say = (line = '') => {
  console.log(line);
  lines.push(line);
};

say('# Benchmarks');
say();
say(
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}.`,
);
say(
  'Each figure is the median of repeated runs in one invocation; the machines are shared, so read ratios, not absolutes.',
);
say();

process.stdout.write('ingest: running...\n');
const ingest = await benchIngest({ runs: 5, batchesPerRun: 20 });
say('## Ingest (`POST /v1/events` handler, 500-event batches, one batch at a time on one core)');
say();
say('| variant | events/s (median of 5 runs) | p50 per batch | p99 per batch | batches |');
say('|---|---:|---:|---:|---:|');
for (const row of ingest) {
  say(
    `| ${row.label} | ${formatRate(row.eventsPerSecond)} | ${row.p50BatchMs.toFixed(1)} ms | ${row.p99BatchMs.toFixed(1)} ms | ${row.batches} |`,
  );
}
const [withS3, withoutS3] = ingest;
if (withS3 && withoutS3)
  say(
    `\nThe S3 write (to the embedded s3rver) costs ${(withoutS3.eventsPerSecond / withS3.eventsPerSecond).toFixed(2)}× in throughput.`,
  );
say();

process.stdout.write('compute: running...\n');
const inMemory = Array.from({ length: RUNS }, () => computeRun('in-memory'));
const stream = Array.from({ length: RUNS }, () => computeRun('stream'));
say(
  `## Compute (${EVENTS.toLocaleString('en-US')} events, ${EVENTS / 10} users, 30-day range, 30-day lookback)`,
);
say();
say('| measurement | median time | events/s | peak RSS (max of runs) |');
say('|---|---:|---:|---:|');
say(
  `| map 4 in-memory segments + merge + finalise the four metrics | ${median(inMemory.map((r) => r.ms)).toFixed(0)} ms | ${formatRate(median(inMemory.map((r) => r.eventsPerSecond)))} | ${Math.max(...inMemory.map((r) => r.maxRssMb)).toFixed(0)} MB |`,
);
say(
  `| one map task streaming all events (generation included) | ${median(stream.map((r) => r.ms)).toFixed(0)} ms | ${formatRate(median(stream.map((r) => r.eventsPerSecond)))} | ${Math.max(...stream.map((r) => r.maxRssMb)).toFixed(0)} MB |`,
);
const peak = Math.max(...stream.map((r) => r.maxRssMb));
say();
say(
  `A map task over 1 million streamed events peaks at ${peak.toFixed(0)} MB, ${((peak / LAMBDA_MB) * 100).toFixed(0)}% of a ${LAMBDA_MB} MB Lambda (one full vCPU).`,
);
say('The in-memory figure holds all events as objects at once, so its peak overstates what a task needs.');

process.stdout.write('attribution: running...\n');
interface AttributionRun {
  readonly ms: number;
  readonly loadMs?: number;
  readonly maxRssMb: number;
  readonly conversions?: number;
  readonly linear: Record<string, number>;
}
const attributionRun = (mode: 'ours' | 'duckdb'): AttributionRun => {
  const script = fileURLToPath(new URL('./attribution-task.ts', import.meta.url));
  const output = execFileSync(process.execPath, [script, mode], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as AttributionRun;
};
const ours = Array.from({ length: RUNS }, () => attributionRun('ours'));
const duck = Array.from({ length: RUNS }, () => attributionRun('duckdb'));
const oursMs = median(ours.map((r) => r.ms));
const duckMs = median(duck.map((r) => r.ms));
const duckLoadMs = median(duck.map((r) => r.loadMs ?? 0));
const agreement = Math.max(
  ...Object.entries(ours[0]?.linear ?? {}).map(([channel, value]) =>
    Math.abs(value - (duck[0]?.linear[channel] ?? 0)),
  ),
);
say('## Attribution (1,000,000 touches, 50,000 conversions, 100,000 users, 20 channels)');
say();
say('| measurement | median time | touches/s | peak RSS |');
say('|---|---:|---:|---:|');
say(
  `| ours: map step from events + all seven models | ${(oursMs / 1000).toFixed(2)} s | ${formatRate(1e6 / (oursMs / 1000))} | ${Math.max(...ours.map((r) => r.maxRssMb)).toFixed(0)} MB |`,
);
say(`| DuckDB: load the same journeys (appender) | ${(duckLoadMs / 1000).toFixed(2)} s | | |`);
say(
  `| DuckDB: the five heuristic models in one SQL query | ${(duckMs / 1000).toFixed(2)} s | ${formatRate(1e6 / (duckMs / 1000))} | ${Math.max(...duck.map((r) => r.maxRssMb)).toFixed(0)} MB |`,
);
say();
say(
  `Ours takes ${(oursMs / duckMs).toFixed(1)}× DuckDB's query time and ${(oursMs / (duckMs + duckLoadMs)).toFixed(1)}× its load + query time (below 1 would be faster).`,
);
say(`Linear credit per channel agrees with DuckDB within ${agreement.toExponential(1)} conversions.`);

process.stdout.write('bundles: running...\n');
const bundleDir = mkdtempSync(join(tmpdir(), 'attribution-bench-bundles-'));
const INIT_RUNS = 5;
const bundles = await benchBundles(bundleDir, INIT_RUNS).finally(() =>
  rmSync(bundleDir, { recursive: true, force: true }),
);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
say();
say(
  '## Bundles (esbuild as CDK `NodejsFunction` builds them: ESM, node22, minified, linked source map, AWS SDK bundled in)',
);
say();
say(
  `| function | minified | gzip | source map | module init (median of ${INIT_RUNS} fresh processes) | init with \`--enable-source-maps\` | largest parts |`,
);
say('|---|---:|---:|---:|---:|---:|---|');
for (const b of bundles) {
  const parts = b.packages
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${kb(bytes)}`)
    .join(', ');
  say(
    `| ${b.name} | ${kb(b.bytes)} | ${kb(b.gzipBytes)} | ${kb(b.mapBytes)} | ${b.initMs.toFixed(0)} ms | ${b.initMsSourceMaps.toFixed(0)} ms | ${parts} |`,
  );
}
const largest = bundles.reduce((a, b) => (b.bytes > a.bytes ? b : a));
const zodBytes = largest.packages.find(([name]) => name === 'zod')?.[1] ?? 0;
say();
say(
  "Module init is `await import(bundle)` in a fresh `node` with the handlers' environment set; handlers build their clients on the first invocation, so init touches no AWS. Lambda adds its own runtime start to this.",
);
say(
  `\`@aws-sdk/*\` is bundled, not left to the runtime's copy: the Node 22 runtime ships an SDK v3, but whichever version AWS last deployed; bundling pins the version the tests ran. zod is ${((zodBytes / largest.bytes) * 100).toFixed(0)}% of the ${largest.name} bundle (${kb(zodBytes)}).`,
);

process.stdout.write('load: running...\n');
const load = await benchLoad({ objects: 20 });
say();
say(
  `## Load (SQS message → \`load\` handler → events table, raw objects of ${BATCH_EVENTS} events, one at a time)`,
);
say();
say('| measurement | value |');
say('|---|---:|');
say(
  `| load handler per object, p50 / p99 (${load.objects} objects, embedded S3 and DynamoDB) | ${load.p50ObjectMs.toFixed(1)} ms / ${load.p99ObjectMs.toFixed(1)} ms |`,
);
say(`| events loaded per second | ${formatRate(load.eventsPerSecond)} |`);
say(`| \`POST /v1/events\` body of a ${BATCH_EVENTS}-event batch | ${kb(load.batchBodyBytes)} |`);
say(
  `| demo event as sent (JSON), median / p90 / max | ${load.eventJsonBytes.median} / ${load.eventJsonBytes.p90} / ${load.eventJsonBytes.max} B |`,
);
say(
  `| events-table item (DynamoDB size rules), median / p90 / max | ${load.itemBytes.median} / ${load.itemBytes.p90} / ${load.itemBytes.max} B (${load.itemsOver1Kb} of ${load.items} over 1 KB) |`,
);
say(`| raw zone, gzip NDJSON per event | ${load.gzipBytesPerEvent.toFixed(1)} B |`);
say(
  `| scan + unmarshal + validate per item (event store, embedded DynamoDB) | ${load.scanUsPerItem.toFixed(1)} µs |`,
);
say();
say(
  'The demo month repeats a few URLs, campaigns and referrers, so its gzip ratio flatters; real traffic compresses less. Both servers run in this process, so the load figure includes their work.',
);

const config = loadConfig({ path: fileURLToPath(new URL('../attribution.config.json', import.meta.url)) });
say();
for (const line of costModelMarkdown({
  batchEvents: BATCH_EVENTS,
  ingestMsPerBatch: withS3?.p50BatchMs ?? 0,
  loadMsPerObject: load.p50ObjectMs,
  mapUsPerEvent: (median(stream.map((r) => r.ms)) / EVENTS) * 1000,
  scanUsPerItem: load.scanUsPerItem,
  batchBodyBytes: load.batchBodyBytes,
  itemBytes: load.itemBytes.median,
  wruPerItem: load.wruPerItem,
  gzipBytesPerEvent: load.gzipBytesPerEvent,
  retentionDays: config.eventRetentionDays,
  lookbackDays: config.lookbackDays,
  scheduleWindowDays: config.scheduleWindowDays,
  computeRunsPerDay: 4, // the CDK default schedule, rate(6 hours)
}))
  say(line);

writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
console.log('\nwritten to BENCHMARKS.md');

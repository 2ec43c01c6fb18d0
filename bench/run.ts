/**
 * `npm run bench`: ingest and compute figures, printed and written to BENCHMARKS.md.
 * Figures are medians of repeated runs on this machine; compare ratios, not absolute numbers.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { logger } from '#adapters/logger.ts';
import { benchIngest } from './ingest-bench.ts';
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

writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
console.log('\nwritten to BENCHMARKS.md');

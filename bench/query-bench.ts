/**
 * Child of run.ts, host of the embedded servers for the query figures: a lake of 90 UTC days with
 * 5,000 campaigns (built by the real builder from generated events, then scaled to 10M events by
 * bench/replicate.ts), one compute of all 90 days (bench/compute-task.ts: its time is reported
 * too), then the query function over the stored results (bench/query-task.ts).
 */
import { join } from 'node:path';
import type { ComputeTaskInput, ComputeTaskResult } from './compute-task.ts';
import type { QueryTaskInput, QueryTaskResult } from './query-task.ts';
import { replicateLake } from './replicate.ts';
import {
  buildLakeDirect,
  type ChildReport,
  childInput,
  runChild,
  spendRows,
  startBenchServers,
} from './support.ts';
import { SyntheticDataset } from './synthetic.ts';

export interface QueryBenchInput {
  readonly events: number;
  readonly copies: number;
  readonly campaigns: number;
  readonly days: number;
  readonly repeats: number;
}

export interface QueryBenchResult {
  readonly dataset: { readonly lines: number; readonly days: number; readonly campaigns: number };
  readonly buildMs: number;
  readonly replicateMs: number;
  readonly compute: ChildReport<ComputeTaskResult>;
  readonly query: ChildReport<QueryTaskResult>;
}

const input = childInput<QueryBenchInput>();
const servers = await startBenchServers('query');
const { pipeline, endpoints } = servers;
try {
  const dataset = new SyntheticDataset({
    events: input.events,
    from: '2026-03-01',
    days: input.days,
    campaigns: input.campaigns,
    seed: 21,
  });
  process.stderr.write(`query: building ${dataset.lines.toLocaleString('en-US')} events into the lake...\n`);
  const built = await buildLakeDirect(dataset, pipeline);
  process.stderr.write(`query: scaling the lake ×${input.copies}...\n`);
  const { ms: replicateMs } = await replicateLake(pipeline, dataset.dates, input.copies);
  await pipeline.spendStore.upsert(spendRows(dataset, 200));
  const first = dataset.dates[0] as string;
  const last = dataset.dates.at(-1) as string;
  process.stderr.write('query: computing the 90 days...\n');
  const workDir = join(servers.dir, 'compute');
  const compute = await runChild<ChildReport<ComputeTaskResult>>('compute-task.ts', {
    endpoints,
    workDir,
    from: first,
    to: last,
    warmRuns: 0,
    buckets: 1,
  } satisfies ComputeTaskInput);
  process.stderr.write('query: querying...\n');
  const query = await runChild<ChildReport<QueryTaskResult>>('query-task.ts', {
    endpoints,
    workDir: join(servers.dir, 'query'),
    last,
    ranges: [7, 30, 90],
    repeats: input.repeats,
  } satisfies QueryTaskInput);
  const result: QueryBenchResult = {
    dataset: { lines: dataset.lines, days: input.days, campaigns: input.campaigns },
    buildMs: built.ms,
    replicateMs,
    compute,
    query,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await servers.close();
}

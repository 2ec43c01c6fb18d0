/**
 * Child process: the yardstick. Channel share (touches) and last-touch attribution by channel,
 * written as plainly as an analyst would write them in DuckDB, over the same lake Parquet files
 * the compute reads (through the same lake cache), with the same engine settings.
 */
import { DuckDbSession, literalList } from '#adapters/duckdb.ts';
import { addDays, DAY_MS, datesBetween } from '#domain/dates.ts';
import { BASELINE_SQL } from './baseline-sql.ts';
import { median } from './stats.ts';
import { benchPipeline, childInput, type Endpoints, report } from './support.ts';

export interface BaselineTaskInput {
  readonly endpoints: Endpoints;
  /** The compute task's folder: its lake cache holds the files already. */
  readonly workDir: string;
  readonly from: string;
  readonly to: string;
  readonly runs: number;
  readonly memoryLimit?: string;
}

export interface BaselineTaskResult {
  readonly runsMs: readonly number[];
  readonly medianMs: number;
  readonly touchesByChannel: Record<string, number>;
  readonly lastTouchByChannel: Record<string, number>;
}

const input = childInput<BaselineTaskInput>();
const pipeline = benchPipeline({ endpoints: input.endpoints, workDir: input.workDir });
const lookbackMs = pipeline.config.lookbackDays * DAY_MS;
const fromMs = Date.parse(`${input.from}T00:00:00Z`);
const lo = fromMs - lookbackMs;
const hi = Date.parse(`${addDays(input.to, 1)}T00:00:00Z`) - 1;
const dates = datesBetween(addDays(input.from, -pipeline.config.lookbackDays), input.to);

const runsMs: number[] = [];
let touches: Array<{ channel: string; touches: bigint }> = [];
let lastTouch: Array<{ channel: string; conversions: bigint }> = [];
for (let run = 0; run < input.runs; run++) {
  const started = performance.now();
  // As computeBucket does: the files through the lake cache (revalidated), a fresh engine.
  const events = await pipeline.lakeStore.fetchPartitions('events', dates);
  const identities = await pipeline.lakeStore.fetchPartitions('identities');
  const engine = await DuckDbSession.open({
    memoryLimit: input.memoryLimit ?? '1.5GB',
    tempDirectory: `${input.workDir}/duckdb`,
  });
  try {
    await engine.run(
      BASELINE_SQL.events
        .replace('$events', literalList(events))
        .replace('$identities', literalList(identities)),
      { lo, hi },
    );
    touches = await engine.all(BASELINE_SQL.channelShare, { from_ms: fromMs });
    lastTouch = await engine.all(BASELINE_SQL.lastTouch, { from_ms: fromMs, lookback_ms: lookbackMs });
  } finally {
    await engine.close();
  }
  runsMs.push(performance.now() - started);
}
const result: BaselineTaskResult = {
  runsMs,
  medianMs: median(runsMs),
  touchesByChannel: Object.fromEntries(touches.map((r) => [r.channel, Number(r.touches)])),
  lastTouchByChannel: Object.fromEntries(lastTouch.map((r) => [r.channel, Number(r.conversions)])),
};
report(result);

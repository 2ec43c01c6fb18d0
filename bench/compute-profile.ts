/**
 * Child process: where computeBucket's time goes. Replays its statements (the same SQL files, the
 * same parameters and fragments, the same engine settings) over the lake in the parent's embedded
 * S3 with a timer around each, and reports the rows each query returns.
 */
import { statementsOf } from '#metrics/sql.ts';
import { COMPUTE_PREPARE, COMPUTE_QUERIES, openComputeSession } from '#services/compute.ts';
import { benchPipeline, childInput, type Endpoints, report } from './support.ts';

export interface ComputeProfileInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  readonly from: string;
  readonly to: string;
  readonly memoryLimit?: string;
}

export interface ComputeProfileResult {
  readonly statements: ReadonlyArray<{ readonly name: string; readonly ms: number; readonly rows?: number }>;
  readonly totalMs: number;
}

const input = childInput<ComputeProfileInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: input.memoryLimit ?? '1.5GB',
});
const range = { from: input.from, to: input.to };
const statements: Array<{ name: string; ms: number; rows?: number }> = [];
const started = performance.now();
const timed = async <T>(name: string, work: () => Promise<T>, rows?: (value: T) => number) => {
  const t = performance.now();
  const value = await work();
  statements.push({ name, ms: performance.now() - t, ...(rows ? { rows: rows(value) } : {}) });
  return value;
};

// The task's own set-up (computeBucket's), one bucket of one.
const { engine, params, fragments } = await timed('fetch partitions (warm cache), open DuckDB', () =>
  openComputeSession(range, 0, 1, pipeline),
);
const count = async (table: string) =>
  Number((await engine.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n ?? 0);
for (const name of COMPUTE_PREPARE) {
  for (const [i, statement] of statementsOf(name, params, fragments).entries()) {
    const table = /CREATE OR REPLACE TEMP (?:TABLE|VIEW) (\w+)/.exec(statement.sql)?.[1] ?? `${name}#${i}`;
    await timed(`${name}.sql → ${table}`, () => engine.run(statement.sql, statement.params));
    const last = statements.at(-1);
    if (last) last.rows = await count(table);
  }
}
for (const name of Object.values(COMPUTE_QUERIES)) {
  const [statement] = statementsOf(name, params, fragments);
  if (!statement) continue;
  await timed(
    `${name}.sql`,
    () => engine.all(statement.sql, statement.params),
    (rows) => rows.length,
  );
}
// computeBucket's last query: ev is a view, so counting it runs the window's scan and joins again.
await timed('events of the window (count of ev)', () => engine.all('SELECT count(*) FROM ev'));
const totalMs = performance.now() - started;

await engine.close();
report({ statements, totalMs } satisfies ComputeProfileResult);

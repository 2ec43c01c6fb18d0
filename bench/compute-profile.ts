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
  /** window-events.sql as it is and with one part changed each (same output but for the dedupe). */
  readonly variants: ReadonlyArray<{ readonly name: string; readonly ms: number }>;
}

const input = childInput<ComputeProfileInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: input.memoryLimit ?? '2GB',
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
    const table = /CREATE OR REPLACE TEMP TABLE (\w+)/.exec(statement.sql)?.[1] ?? `${name}#${i}`;
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
const totalMs = performance.now() - started;

// window-events.sql, the heaviest statement, two ways cheaper: what each part costs.
const variants: Array<{ name: string; ms: number }> = [];
const [windowEvents] = statementsOf('window-events', params, fragments);
if (windowEvents) {
  for (const table of ['journey', 'tch', 'conv', 'ev']) await engine.run(`DROP TABLE IF EXISTS ${table}`);
  const variant = async (name: string, sql: string) => {
    const t = performance.now();
    await engine.run(sql, windowEvents.params);
    variants.push({ name, ms: performance.now() - t });
    await engine.run('DROP TABLE IF EXISTS ev');
  };
  await variant('as it is', windowEvents.sql);
  const withoutDedupe = windowEvents.sql.replace(/\n\s*QUALIFY row_number\(\)[^\n]*/, '');
  if (withoutDedupe !== windowEvents.sql)
    await variant('without the cross-day dedupe (QUALIFY row_number)', withoutDedupe);
  const hashOnce = windowEvents.sql.replace(
    /SELECT d\.\*, l\.day, ([\s\S]*?) AS user_hash\s+FROM deduplicated d JOIN local_days l ON l\.bucket = d\.ts \/\/ 900000\s+WHERE[\s\S]*$/,
    (_m, hash: string) =>
      `SELECT * FROM (SELECT d.*, l.day, ${hash} AS user_hash FROM deduplicated d JOIN local_days l ON l.bucket = d.ts // 900000) WHERE coalesce(user_hash % $buckets, 0) = $bucket`,
  );
  if (hashOnce !== windowEvents.sql)
    await variant('the user hash (md5) computed once instead of twice', hashOnce);
}
await engine.close();
report({ statements, totalMs, variants } satisfies ComputeProfileResult);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSession, literal } from '#adapters/duckdb.ts';
import { datesBetween } from '#domain/dates.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { EVENT_COLUMNS } from '#lake/lake-tables.ts';
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { RANGE, SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;
let engine: DuckDbSession;

/** Parquet (as DuckDB reads it) → the Athena type the Glue table must declare for it. */
const ATHENA_TYPE: Record<string, string> = {
  VARCHAR: 'string',
  BIGINT: 'bigint',
  BOOLEAN: 'boolean',
  DOUBLE: 'double',
  TIMESTAMP: 'timestamp',
  'VARCHAR[]': 'array<string>',
};

describe('the lake as analysts see it (the Glue table, the README example)', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    await refreshLakeDays(wholeDays(datesBetween(RANGE.from, RANGE.to)), stack.pipeline);
    // Fetching keeps the key layout (lake/v1/events/dt=…/part-0.parquet): a Hive-partitioned folder.
    await stack.pipeline.lakeStore.fetchPartitions('events');
    engine = await DuckDbSession.open({ threads: 1 });
    const root = join(stack.dataDir, 'lake-cache', 'lake', 'v1', 'events');
    await engine.run(
      `CREATE VIEW events AS SELECT * FROM read_parquet(${literal(`${root}/*/*.parquet`)}, hive_partitioning = true)`,
    );
  });
  afterAll(async () => {
    await engine?.close();
    await stack?.close();
  });

  it('declares exactly the columns the Parquet files hold, with the Athena type of each', async () => {
    const described = await engine.all<{ column_name: string; column_type: string }>('DESCRIBE events');
    const fileColumns = described.filter((c) => c.column_name !== 'dt');
    expect(fileColumns.map((c) => [c.column_name, ATHENA_TYPE[c.column_type] ?? c.column_type])).toEqual(
      EVENT_COLUMNS.map((c) => [c.name, c.glueType]),
    );
  });

  it("runs the README's Athena example on the lake", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const example = /```sql\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toMatch(/FROM events WHERE dt BETWEEN/);
    const rows = await engine.all<{ channel: string; events: bigint; value: number }>(example);
    // Every scenario event is in one channel row; the one valued purchase is worth 100 (scenario.ts).
    expect(rows.reduce((sum, row) => sum + Number(row.events), 0)).toBe(SCENARIO_EVENTS.length);
    expect(rows.reduce((sum, row) => sum + Number(row.value ?? 0), 0)).toBe(100);
    expect(rows.length).toBeGreaterThan(1);
  });
});

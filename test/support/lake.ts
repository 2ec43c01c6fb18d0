import { DuckDbSession, literalList } from '#adapters/duckdb.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import { LATEST_COPY_FIRST, type LakeTable } from '#lake/lake-tables.ts';

/**
 * Rows of a lake table as compute sees them, read back with DuckDB from its Parquet files: a
 * day's appended parts may repeat an event, compute keeps one row per event id (received last
 * wins), and one of each identity link.
 */
export async function readLake<T = Record<string, unknown>>(
  pipeline: Pick<Pipeline, 'lakeStore'>,
  table: LakeTable = 'events',
  select = '*',
): Promise<T[]> {
  const files = await pipeline.lakeStore.fetchPartitions(table);
  if (files.length === 0) return [];
  const engine = await DuckDbSession.open({ threads: 1 });
  const source = `read_parquet(${literalList(files)}, union_by_name = true)`;
  const kept =
    table === 'events'
      ? `SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ${LATEST_COPY_FIRST}) = 1`
      : `SELECT DISTINCT * FROM ${source}`;
  try {
    return await engine.all<T>(`SELECT ${select} FROM (${kept})`);
  } finally {
    await engine.close();
  }
}

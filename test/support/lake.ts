import { DuckDbSession, literalList } from '#adapters/duckdb.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import type { LakeTable } from '#lake/lake-tables.ts';

/** Rows of a lake table as the pipeline stored them, read back with DuckDB from its Parquet files. */
export async function readLake<T = Record<string, unknown>>(
  pipeline: Pick<Pipeline, 'lakeStore'>,
  table: LakeTable = 'events',
  select = '*',
): Promise<T[]> {
  const files = await pipeline.lakeStore.fetchPartitions(table);
  if (files.length === 0) return [];
  const engine = await DuckDbSession.open({ threads: 1 });
  try {
    return await engine.all<T>(
      `SELECT ${select} FROM read_parquet(${literalList(files)}, union_by_name = true)`,
    );
  } finally {
    await engine.close();
  }
}

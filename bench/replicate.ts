/**
 * Scales a lake up without going through the builder again: every partition is rewritten with
 * its rows repeated `copies` times under new ids (`~k` appended to the event id, user key, user id,
 * anonymous id, visit id and the refunded event id of a refund; the timestamp moved by k
 * milliseconds), and the identity links, the refunds and the conversion and visitor indexes repeated the same way, so copy k's
 * refund names copy k's conversion. Copies are other people with the same kinds of journeys (and, for the aggregated rows
 * without a user, more impressions and searches of the same campaigns and queries); the files
 * keep the builder's sort order. Used for the 10M-event lakes: the
 * builder itself runs at tens of thousands of events a second (see the lake build section), so
 * building 10M events through it twice would take most of the time a bench run has.
 */
import { rm } from 'node:fs/promises';
import { literal } from '#adapters/duckdb.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import type { LakeTable } from '#lake/lake-tables.ts';
import { LAKE_ORDER } from '#services/build-lake.ts';

/** The tables besides events: each with its id columns and its time column. */
const SMALL_TABLES: ReadonlyArray<readonly [LakeTable, readonly string[], string]> = [
  ['identities', ['from_key', 'to_key', 'event_id'], 'ts'],
  ['refunds', ['event_id', 'refund_of'], 'ts'],
  ['conversions', ['event_id', 'user_key'], 'ts'],
  ['visitors', ['user_key'], 'first_ts'],
];

const renamed = (column: string) => `CASE WHEN k = 0 THEN ${column} ELSE ${column} || '~' || k END`;

export async function replicateLake(
  pipeline: Pipeline,
  dates: readonly string[],
  copies: number,
): Promise<{ ms: number }> {
  const started = performance.now();
  const engine = await pipeline.openEngine();
  try {
    for (const date of dates) {
      const [events] = await pipeline.lakeStore.fetchPartitions('events', [date]);
      if (events) {
        const out = engine.scratchFile('parquet');
        await engine.run(
          `COPY (
             SELECT * EXCLUDE (k) REPLACE (${renamed('event_id')} AS event_id, ${renamed('user_key')} AS user_key,
                               ${renamed('user_id')} AS user_id, ${renamed('anonymous_id')} AS anonymous_id,
                               ${renamed('visit_id')} AS visit_id, ${renamed('refund_of')} AS refund_of,
                               ts + k AS ts, occurred_at + to_milliseconds(k) AS occurred_at)
             FROM (SELECT * FROM read_parquet(${literal(events)})), range(${copies}) c(k)
             ORDER BY ${LAKE_ORDER.events}
           ) TO ${literal(out)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await pipeline.lakeStore.putPartition('events', date, out);
        await rm(out, { force: true });
      }
      // The small tables: the ids renamed as in the events, times moved the same way.
      for (const [table, ids, time] of SMALL_TABLES) {
        const [file] = await pipeline.lakeStore.fetchPartitions(table, [date]);
        if (!file) continue;
        const out = engine.scratchFile('parquet');
        await engine.run(
          `COPY (
             SELECT * EXCLUDE (k) REPLACE (${ids.map((id) => `${renamed(id)} AS ${id}`).join(', ')}, ${time} + k AS ${time})
             FROM (SELECT * FROM read_parquet(${literal(file)})), range(${copies}) c(k)
             ORDER BY ${LAKE_ORDER[table]}
           ) TO ${literal(out)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        await pipeline.lakeStore.putPartition(table, date, out);
        await rm(out, { force: true });
      }
    }
  } finally {
    await engine.close();
  }
  return { ms: performance.now() - started };
}

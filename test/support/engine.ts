import { DuckDbSession } from '#adapters/duckdb.ts';
import type { LakeStore } from '#adapters/lake-store.ts';
import { mergeBucketPartials } from '#domain/compute-rows.ts';
import type { AttributionConfig } from '#domain/config.ts';
import type { ComputePartial } from '#domain/day-result.ts';
import { pushTo } from '#domain/metrics/partial.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import {
  CONVERSION_COLUMNS,
  EVENT_COLUMNS,
  IDENTITY_COLUMNS,
  type IdentityLink,
  REFUND_COLUMNS,
  VISITOR_COLUMNS,
} from '#lake/lake-tables.ts';
import { type ComputeDeps, type ComputeRange, computeBucket, reduceBuckets } from '#services/compute.ts';

export interface EngineProps {
  readonly from: string;
  readonly to: string;
  readonly timeZone?: string;
  readonly lookbackDays?: number;
  readonly halfLifeDays?: number;
  /** Identity links (anonymous → user, alias chains). */
  readonly links?: readonly IdentityLink[];
  /** Split into this many buckets and merge (the result must not depend on it). */
  readonly buckets?: number;
  /** The columns the partition is written with (default: all; fewer: a partition of an older layout). */
  readonly columns?: typeof EVENT_COLUMNS;
}

/**
 * Runs the real compute SQL (DuckDB over Parquet files) on hand-made lake rows: the rows are
 * written as one lake partition, and the lake store hands that file to the compute task as the
 * S3 lake store would hand fetched partitions. Returns the merged partial of every bucket.
 */
export async function computeLakeRows(
  events: readonly NormalisedEvent[],
  props: EngineProps,
): Promise<ComputePartial> {
  const writer = await DuckDbSession.open({ threads: 1 });
  try {
    // One events file per UTC day, as the lake holds them: a compute fetches only the days it asks for.
    const eventFiles = new Map<string, string>();
    const byDay = new Map<string, NormalisedEvent[]>();
    for (const e of events) pushTo(byDay, new Date(e.ts).toISOString().slice(0, 10), e);
    for (const [date, dayEvents] of byDay) {
      const file = writer.scratchFile('parquet');
      await writer.writeParquet(dayEvents, props.columns ?? EVENT_COLUMNS, file, 'user_key, ts, event_id');
      eventFiles.set(date, file);
    }
    const linksFile = writer.scratchFile('parquet');
    const links = props.links ?? [];
    if (links.length > 0) await writer.writeParquet(links, IDENTITY_COLUMNS, linksFile, 'from_key');
    // The refunds table, as the lake builder derives it from the refund rows.
    const refundsFile = writer.scratchFile('parquet');
    const refunds = events.flatMap((e) =>
      e.refundOf
        ? [
            {
              eventId: e.eventId,
              refundOf: e.refundOf,
              valueMicros: e.valueMicros,
              ts: e.ts,
              receivedAt: e.receivedAt,
              builtAt: e.receivedAt,
            },
          ]
        : [],
    );
    if (refunds.length > 0) await writer.writeParquet(refunds, REFUND_COLUMNS, refundsFile, 'refund_of');
    // The conversion index, likewise.
    const conversionsFile = writer.scratchFile('parquet');
    const conversions = events.flatMap((e) =>
      e.type === 'conversion' && !e.refundOf && !e.bot
        ? [{ eventId: e.eventId, userKey: e.userKey, ts: e.ts, receivedAt: e.receivedAt }]
        : [],
    );
    if (conversions.length > 0)
      await writer.writeParquet(conversions, CONVERSION_COLUMNS, conversionsFile, 'event_id');
    // The visitors index: each key's first page view (the builder keeps one per key and day).
    const visitorsFile = writer.scratchFile('parquet');
    const firstViews = new Map<string, number>();
    for (const e of events) {
      if (e.type === 'page_view' && !e.bot && e.userKey)
        firstViews.set(e.userKey, Math.min(firstViews.get(e.userKey) ?? e.ts, e.ts));
    }
    const visitors = [...firstViews].map(([userKey, firstTs]) => ({ userKey, firstTs }));
    if (visitors.length > 0) await writer.writeParquet(visitors, VISITOR_COLUMNS, visitorsFile, 'user_key');
    const lakeStore: LakeStore = {
      putPartition: async () => undefined,
      listParts: async () => [],
      deleteParts: async () => undefined,
      sizeOfDays: async () => 0,
      fetchPartitions: async (table, dates) => {
        if (table === 'events')
          return (Array.isArray(dates) ? (dates as string[]) : [...eventFiles.keys()]).flatMap((date) => {
            const file = eventFiles.get(date);
            return file ? [file] : [];
          });
        if (table === 'refunds') return refunds.length > 0 ? [refundsFile] : [];
        if (table === 'conversions') return conversions.length > 0 ? [conversionsFile] : [];
        if (table === 'visitors') return visitors.length > 0 ? [visitorsFile] : [];
        return links.length > 0 ? [linksFile] : [];
      },
    };
    const config = {
      timeZone: props.timeZone ?? 'UTC',
      lookbackDays: props.lookbackDays ?? 30,
      timeDecayHalfLifeDays: props.halfLifeDays ?? 7,
      // Only share of voice's cut reads these (never reached by these fixtures' few names).
      brand: { name: 'Acme', terms: [] },
      competitors: [],
    } as unknown as AttributionConfig;
    const buckets = props.buckets ?? 1;
    const partials: ComputePartial[] = [];
    for (let bucket = 0; bucket < buckets; bucket++) {
      const { partial } = await computeBucket(props, bucket, buckets, {
        lakeStore,
        config,
        openEngine: () => DuckDbSession.open({ threads: 1 }),
        // Every day of these fixtures has begun, whatever the clock says.
        today: '2099-12-31',
      });
      partials.push(partial);
    }
    // As the reduce step merges them (and only then cuts each day to its stored top entries).
    return mergeBucketPartials(partials, [config.brand.name]);
  } finally {
    await writer.close();
  }
}

/** Every bucket, then reduce, in this process: a whole compute of a range, stored under `version`. */
export async function computeRange(
  range: ComputeRange,
  version: string,
  buckets: number,
  deps: ComputeDeps,
): Promise<{ events: number; days: number; buckets: number }> {
  const results = [];
  for (let bucket = 0; bucket < buckets; bucket++)
    results.push(await computeBucket(range, bucket, buckets, deps));
  const days = await reduceBuckets(
    results.map((r) => r.partial),
    range,
    version,
    deps,
  );
  return { events: results.reduce((sum, r) => sum + r.events, 0), days, buckets };
}

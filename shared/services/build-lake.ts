import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { type DuckDbSession, literal, literalList } from '#adapters/duckdb.ts';
import type { LakePart, LakeStore } from '#adapters/lake-store.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import type { EventClassifier, LastVisit } from '#domain/classify.ts';
import { ServiceUnavailableError } from '#domain/errors.ts';
import type { StoredEvent } from '#domain/event-schema.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import {
  CONVERSION_COLUMNS,
  type ConversionEntry,
  EVENT_COLUMNS,
  IDENTITY_COLUMNS,
  type IdentityLink,
  LATEST_COPY_FIRST,
  type LakeColumn,
  type LakeTable,
  REFUND_COLUMNS,
  type RefundLink,
  VISITOR_COLUMNS,
} from '#lake/lake-tables.ts';
import { registerTable } from './compute.ts';

const LAKE_TABLES: readonly LakeTable[] = ['events', 'identities', 'refunds', 'conversions', 'visitors'];
/** The tables an appended part writes (the indexes wait for the day's whole build). */
const APPENDED_TABLES: readonly LakeTable[] = ['events', 'identities', 'refunds'];
/** How each table's files are sorted: journeys read contiguously; the others by what they are looked up by. */
export const LAKE_ORDER: Readonly<Record<LakeTable, string>> = {
  events: 'user_key NULLS LAST, ts, event_id',
  identities: 'from_key, ts, event_id',
  refunds: 'refund_of, ts, event_id',
  conversions: 'event_id, ts',
  visitors: 'user_key',
};

export interface LakeBuildDeps {
  readonly rawStore: RawStore;
  readonly lakeStore: LakeStore;
  readonly eventClassifier: EventClassifier;
  readonly engine: DuckDbSession;
}

/** Something in the raw zone that could not be used: a whole object, or one line of it. */
export interface SkippedRaw {
  readonly key: string;
  readonly line?: number;
  readonly reason: string;
}

export interface DayBuild {
  readonly date: string;
  readonly objects: number;
  /** Rows written: one per `eventId`. */
  readonly events: number;
  /** Copies of an `eventId` that lost to a later one (redeliveries, corrections). */
  readonly duplicates: number;
  readonly links: number;
  readonly skipped: readonly SkippedRaw[];
}

/** Rebuilds at most this often in a row when raw objects keep arriving during a build. */
const MAX_ROUNDS = 3;
/** Raw objects read at once. */
const READ_CONCURRENCY = 8;
/** Appended parts of a day merged into one (by DuckDB alone) once there are more than this. */
export const MERGE_PARTS_AFTER = 16;
/**
 * A part written this long before a whole-day build first listed the raw zone holds only objects
 * that listing saw (S3 lists strongly consistently), so the build may delete it. Covers clock skew.
 */
const PART_SETTLE_MS = 60_000;

/**
 * Rebuilds the lake partitions of one UTC day from every raw object of that day, with the
 * current config: one row per `eventId` (the copy received last wins, so a correction replaces
 * what it corrects; on equal `receivedAt` the later object, then the later line), classified,
 * plus the identity links the day's events carry, as part `0`; the parts appended before it are
 * deleted. A bad object or line is reported and skipped; the rest of the day still loads.
 *
 * Safe to run concurrently for the same day: after writing, the raw listing is read again and
 * the day rebuilt if it changed, so a builder that started from an older listing does not leave
 * its older partition behind. A day that keeps receiving objects is written after a few rounds
 * anyway: each newer object has its own notification, which appends it again.
 */
export async function buildLakeDay(date: string, deps: LakeBuildDeps): Promise<DayBuild> {
  const startedAt = Date.now();
  let keys = await listRaw(date, deps.rawStore);
  let build: DayBuild;
  for (let round = 1; ; round++) {
    build = await buildFrom(date, keys, deps, '0');
    if (round >= MAX_ROUNDS) break;
    const after = await listRaw(date, deps.rawStore);
    if (sameKeys(keys, after)) break;
    keys = after;
  }
  for (const table of LAKE_TABLES) {
    const parts = await deps.lakeStore.listParts(table, date);
    const settled = parts.filter(
      (p) => p.part !== '0' && p.lastModified.getTime() < startedAt - PART_SETTLE_MS,
    );
    await deps.lakeStore.deleteParts(
      table,
      date,
      settled.map((p) => p.part),
    );
  }
  return build;
}

/**
 * Adds the named raw objects of a day (new since it was built) as a part of their own: the work
 * grows with what arrived, not with the day. Compute reads every part and keeps one row per
 * `eventId` across them, with the same rule, so an object named twice changes nothing. Visits are
 * derived within the part until the day is built whole (a compute job does it once the day is
 * over and quiet: {@link settledDays}). More than {@link MERGE_PARTS_AFTER} parts are merged into one.
 */
export async function appendToLakeDay(
  date: string,
  keys: readonly string[],
  deps: LakeBuildDeps,
): Promise<DayBuild> {
  const build = await buildFrom(date, [...new Set(keys)].sort(), deps, newPartName());
  for (const table of APPENDED_TABLES) {
    const parts = (await deps.lakeStore.listParts(table, date)).filter((p) => p.part !== '0');
    if (parts.length > MERGE_PARTS_AFTER) await mergeParts(table, date, parts, deps);
  }
  return build;
}

/** Appended parts as one: one row per event id (the same rule as compute's), sorted as a day is. */
async function mergeParts(
  table: LakeTable,
  date: string,
  parts: readonly LakePart[],
  deps: LakeBuildDeps,
): Promise<void> {
  const names = new Set(parts.map((p) => `part-${p.part}.parquet`));
  const files = (await deps.lakeStore.fetchPartitions(table, [date])).filter((file) =>
    names.has(basename(file)),
  );
  const out = deps.engine.scratchFile('parquet');
  const source = `read_parquet(${literalList(files)}, union_by_name = true)`;
  try {
    await deps.engine.run(
      `COPY (${mergedRows(table, source)} ORDER BY ${LAKE_ORDER[table]}) TO ${literal(out)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await deps.lakeStore.putPartition(table, date, out, newPartName());
  } finally {
    await rm(out, { force: true });
  }
  await deps.lakeStore.deleteParts(
    table,
    date,
    parts.map((p) => p.part),
  );
}

/** The rows of a table's parts merged: one per event id (the same rule as compute's), one of each link. */
function mergedRows(table: LakeTable, source: string): string {
  if (table === 'identities') return `SELECT DISTINCT * FROM ${source}`;
  return `SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ${LATEST_COPY_FIRST}) = 1`;
}

/** A closed day is built whole once no part has been appended to it for this long. */
const SETTLED_AFTER_MS = 10 * 60_000;

/**
 * The UTC days among `dates` that a whole build should compact: closed (before today), holding
 * appended parts, and quiet for {@link SETTLED_AFTER_MS}, so a day still receiving late objects
 * (a backfill, the minutes after midnight) is not rebuilt whole again and again.
 */
export async function settledDays(
  dates: readonly string[],
  deps: Pick<LakeBuildDeps, 'lakeStore'>,
  now = Date.now(),
): Promise<string[]> {
  const today = new Date(now).toISOString().slice(0, 10);
  const settled: string[] = [];
  for (const date of dates) {
    if (date >= today) continue;
    const appended = (await deps.lakeStore.listParts('events', date)).filter((p) => p.part !== '0');
    if (appended.length > 0 && appended.every((p) => p.lastModified.getTime() < now - SETTLED_AFTER_MS)) {
      settled.push(date);
    }
  }
  return settled;
}

/** The latest visit of each user key among `rows` in the day's lake files so far. */
async function lastVisits(
  date: string,
  rows: readonly NormalisedEvent[],
  deps: LakeBuildDeps,
): Promise<Map<string, LastVisit>> {
  const keys = [...new Set(rows.flatMap((row) => (row.userKey && !row.visitId ? [row.userKey] : [])))];
  if (keys.length === 0) return new Map();
  const files = await deps.lakeStore.fetchPartitions('events', [date]);
  if (files.length === 0) return new Map();
  const found = await deps.engine.all<{ user_key: string; visit_id: string; ts: bigint }>(
    `SELECT user_key, arg_max(visit_id, ts) AS visit_id, max(ts) AS ts
     FROM read_parquet(${literalList(files)}, union_by_name = true)
     WHERE type IN ('page_view', 'conversion') AND visit_id IS NOT NULL
       AND user_key IN (SELECT unnest($keys))
     GROUP BY user_key`,
    { keys: deps.engine.textList(keys) },
  );
  return new Map(found.map((row) => [row.user_key, { visitId: row.visit_id, ts: Number(row.ts) }]));
}

/** Parts sort after part `0` and in the order they were written. */
function newPartName(): string {
  return `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
}

async function buildFrom(
  date: string,
  keys: readonly string[],
  deps: LakeBuildDeps,
  part: string,
): Promise<DayBuild> {
  const winners = new Map<string, StoredEvent>();
  const skipped: SkippedRaw[] = [];
  let copies = 0;
  const objects = await readAll(keys, deps.rawStore);
  for (const [index, key] of keys.entries()) {
    const object = objects[index];
    if (object instanceof Error) {
      // S3 not answering is not a bad object: fail the build so it is retried, losing nothing.
      if (object instanceof ServiceUnavailableError) throw object;
      if (object.name !== 'NoSuchKey') skipped.push({ key, reason: object.message });
      continue;
    }
    if (!object) continue;
    for (const bad of object.invalid) skipped.push({ key, line: bad.line, reason: bad.message });
    // Keys sort by arrival and lines keep their order, so a later copy replaces an earlier one on ties.
    for (const stored of object.events) {
      const current = winners.get(stored.event.eventId);
      if (current) copies++;
      if (!current || stored.receivedAt >= current.receivedAt) winners.set(stored.event.eventId, stored);
    }
  }
  const rows: NormalisedEvent[] = [];
  const links: IdentityLink[] = [];
  const refunds: Array<Omit<RefundLink, 'builtAt'>> = [];
  const conversions: ConversionEntry[] = [];
  const firstViews = new Map<string, number>();
  // The indexes are read for days before a job's range and window, which are built whole by then
  // (a job compacts its settled days first): an appended part, the freshness path, skips them.
  const whole = part === '0';
  for (const stored of winners.values()) {
    const row = deps.eventClassifier.classify(stored);
    rows.push(row);
    if (row.refundOf) {
      const { eventId, refundOf, valueMicros, ts, receivedAt } = row;
      refunds.push({ eventId, refundOf, valueMicros, ts, receivedAt });
    } else if (whole && row.type === 'conversion' && !row.bot) {
      const { eventId, userKey, ts, receivedAt } = row;
      conversions.push({ eventId, userKey, ts, receivedAt });
    } else if (whole && row.type === 'page_view' && !row.bot && row.userKey) {
      firstViews.set(row.userKey, Math.min(firstViews.get(row.userKey) ?? row.ts, row.ts));
    }
    const { userId, anonymousId } = stored.event;
    if (userId && anonymousId) {
      links.push({ fromKey: `a:${anonymousId}`, toKey: `u:${userId}`, ts: row.ts, eventId: row.eventId });
    }
    if (stored.event.type === 'identify' && stored.event.previousId) {
      links.push({
        fromKey: `u:${stored.event.previousId}`,
        toKey: `u:${stored.event.userId}`,
        ts: row.ts,
        eventId: row.eventId,
      });
    }
  }
  // An appended part continues the visits the day's earlier parts hold.
  deps.eventClassifier.assignVisits(rows, part === '0' ? undefined : await lastVisits(date, rows, deps));
  await writeTable(deps, 'events', date, part, rows, EVENT_COLUMNS);
  await writeTable(deps, 'identities', date, part, links, IDENTITY_COLUMNS);
  await writeTable(deps, 'refunds', date, part, await stampRefunds(date, refunds, deps), REFUND_COLUMNS);
  if (whole) {
    await writeTable(deps, 'conversions', date, part, conversions, CONVERSION_COLUMNS);
    const visitors = [...firstViews].map(([userKey, firstTs]) => ({ userKey, firstTs }));
    await writeTable(deps, 'visitors', date, part, visitors, VISITOR_COLUMNS);
  }
  return {
    date,
    objects: keys.length,
    events: rows.length,
    duplicates: copies,
    links: links.length,
    skipped,
  };
}

/**
 * The refunds with the time they were first built: a refund the day's files already hold (same
 * refunded id and value) keeps its stamp, so rebuilding a day (a compaction, a replay) does not
 * make its conversions' days look late again; a new one is stamped now, just before it is written.
 */
async function stampRefunds(
  date: string,
  refunds: ReadonlyArray<Omit<RefundLink, 'builtAt'>>,
  deps: LakeBuildDeps,
): Promise<RefundLink[]> {
  if (refunds.length === 0) return [];
  // A file written before refunds were stamped reads built_at as NULL.
  await registerTable(
    deps.engine,
    'day_refunds',
    REFUND_COLUMNS,
    await deps.lakeStore.fetchPartitions('refunds', [date]),
  );
  const rows = await deps.engine.all<{ key: string; built_at: string }>(
    `SELECT concat_ws(chr(31), event_id, refund_of, coalesce(value_micros::VARCHAR, '')) AS key,
            min(built_at) AS built_at
     FROM day_refunds WHERE built_at IS NOT NULL GROUP BY ALL`,
  );
  const held = new Map(rows.map((row) => [row.key, row.built_at]));
  const now = new Date().toISOString();
  return refunds.map((r) => ({
    ...r,
    builtAt: held.get([r.eventId, r.refundOf, r.valueMicros ?? ''].join('\u001f')) ?? now,
  }));
}

async function writeTable<T>(
  deps: LakeBuildDeps,
  table: LakeTable,
  date: string,
  part: string,
  rows: readonly T[],
  columns: ReadonlyArray<LakeColumn<T>>,
): Promise<void> {
  if (rows.length === 0) {
    // A whole-day build without rows leaves no partition; an empty append writes nothing.
    if (part === '0') await deps.lakeStore.deleteParts(table, date, ['0']);
    return;
  }
  const file = deps.engine.scratchFile('parquet');
  try {
    await deps.engine.writeParquet(rows, columns, file, LAKE_ORDER[table]);
    await deps.lakeStore.putPartition(table, date, file, part);
  } finally {
    await rm(file, { force: true });
  }
}

/** Every object's content (or the error reading it), in key order, a few reads at a time. */
async function readAll(
  keys: readonly string[],
  rawStore: RawStore,
): Promise<Array<Awaited<ReturnType<RawStore['readObject']>> | Error | undefined>> {
  const out: Array<Awaited<ReturnType<RawStore['readObject']>> | Error | undefined> = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      out[index] = await rawStore
        .readObject(keys[index] as string)
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  return out;
}

async function listRaw(date: string, rawStore: RawStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of rawStore.listKeys(date, date)) keys.push(key);
  return keys.sort();
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

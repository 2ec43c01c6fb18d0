import { rm } from 'node:fs/promises';
import type { DuckDbSession } from '#adapters/duckdb.ts';
import type { LakeStore } from '#adapters/lake-store.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import type { EventClassifier } from '#domain/classify.ts';
import { ServiceUnavailableError } from '#domain/errors.ts';
import type { StoredEvent } from '#domain/event-schema.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import {
  EVENT_COLUMNS,
  IDENTITY_COLUMNS,
  type IdentityLink,
  type LakeColumn,
  type LakeTable,
} from '#lake/lake-tables.ts';

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

/**
 * Rebuilds the lake partitions of one UTC day from every raw object of that day, with the
 * current config: one row per `eventId` (the copy received last wins, so a correction replaces
 * what it corrects; on equal `receivedAt` the later object, then the later line), classified,
 * plus the identity links the day's events carry. A bad object or line is reported and skipped;
 * the rest of the day still loads.
 *
 * Safe to run concurrently for the same day: after writing, the raw listing is read again and
 * the day rebuilt if it changed, so a builder that started from an older listing does not leave
 * its older partition behind. A day that keeps receiving objects is written after a few rounds
 * anyway: each newer object has its own notification, which rebuilds the day again.
 */
export async function buildLakeDay(date: string, deps: LakeBuildDeps): Promise<DayBuild> {
  let keys = await listRaw(date, deps.rawStore);
  for (let round = 1; ; round++) {
    const build = await buildFrom(date, keys, deps);
    if (round >= MAX_ROUNDS) return build;
    const after = await listRaw(date, deps.rawStore);
    if (sameKeys(keys, after)) return build;
    keys = after;
  }
}

async function buildFrom(date: string, keys: readonly string[], deps: LakeBuildDeps): Promise<DayBuild> {
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
  for (const stored of winners.values()) {
    const row = deps.eventClassifier.classify(stored);
    rows.push(row);
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
  deps.eventClassifier.assignVisits(rows);
  await writeTable(deps, 'events', date, rows, EVENT_COLUMNS, 'user_key NULLS LAST, ts, event_id');
  await writeTable(deps, 'identities', date, links, IDENTITY_COLUMNS, 'from_key, ts, event_id');
  return {
    date,
    objects: keys.length,
    events: rows.length,
    duplicates: copies,
    links: links.length,
    skipped,
  };
}

async function writeTable<T>(
  deps: LakeBuildDeps,
  table: LakeTable,
  date: string,
  rows: readonly T[],
  columns: ReadonlyArray<LakeColumn<T>>,
  orderBy: string,
): Promise<void> {
  if (rows.length === 0) {
    await deps.lakeStore.deletePartition(table, date);
    return;
  }
  const file = deps.engine.scratchFile('parquet');
  try {
    await deps.engine.writeParquet(rows, columns, file, orderBy);
    await deps.lakeStore.putPartition(table, date, file);
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

import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { addDays, datesBetween } from '#domain/dates.ts';
import {
  BLOCK_SIZES,
  type BlockSize,
  blockEnd,
  blockOf,
  blocksHolding,
  childrenOf,
  coverOf,
  type DayBlock,
  type ResultSection,
  type ResultSections,
  type SectionParts,
} from '#domain/day-blocks.ts';
import { ServiceUnavailableError } from '#domain/errors.ts';
import { type Job, jobSchema } from '#domain/jobs.ts';
import { pushTo } from '#domain/metrics/partial.ts';
import { batchGetAll, batchWriteAll } from './dynamo-batch.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/** Below DynamoDB's 400 KB item limit with room for the key attributes. */
const CHUNK_BYTES = 350_000;

export interface ReadRangeOptions<K> {
  /** The sections to read; all when absent. */
  readonly sections?: readonly K[];
  /** The largest block of days to read (1: every day apart). */
  readonly largest?: BlockSize;
}

/** Per-day results, in sections, as compute stores them and queries read them. */
export interface DayPartialStore<T> {
  /** Replaces the stored result of every day given; each day switches to the new version at once. */
  writeDays(days: ReadonlyMap<string, T>, version: string): Promise<void>;
  /**
   * The stored sections of `from`…`to`, each part keyed by its first day: a day's own, or the
   * merged part of a stored block of days inside the range, of at most `largest` days (a section
   * without `mergeDays`: days only). Days never computed are absent.
   */
  readRange<K extends keyof T>(
    from: string,
    to: string,
    options?: ReadRangeOptions<K>,
  ): Promise<SectionParts<T, K>>;
  /** {@link readRange} of several disjoint ranges in one read, one answer per range. */
  readRanges<K extends keyof T>(
    ranges: ReadonlyArray<{ readonly from: string; readonly to: string }>,
    options?: ReadRangeOptions<K>,
  ): Promise<Array<SectionParts<T, K>>>;
  /** The version each of `dates` is stored at (absent: never computed), from the versions items. */
  readVersions(dates: readonly string[]): Promise<Map<string, string>>;
}

/** Job records (compute, replay). */
export interface JobStore {
  put(job: Job): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** Adds `steps` to the job's progress; parallel tasks add atomically. */
  advance(jobId: string, steps: number): Promise<void>;
}

export interface DynamoResultsStoreProps<T> {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  readonly sections: ResultSections<T>;
}

const headSchema = z.object({
  pk: z.string().startsWith('day'),
  version: z.string(),
  /**
   * The chunks of each section the item holds. A number: a head written before sections, whose
   * item reads as absent (it is recomputed) and whose chunks are deleted when it is replaced.
   */
  chunks: z.union([z.record(z.string(), z.int().min(1)), z.int().min(1)]),
  /** A block's: the versions of the days it was merged from. */
  fingerprint: z.string().optional(),
});
type Head = z.infer<typeof headSchema>;
/** The current version of each day of an aligned block of 256 days, one attribute per date. */
const versionsSchema = z
  .object({ pk: z.string().startsWith('versions#') })
  .catchall(z.string())
  .transform(({ pk, sk: _sk, ...versions }) => ({ pk, versions: new Map(Object.entries(versions)) }));
/** Dates set by one UpdateItem of a versions item: 100 × `#dNN = :version, ` stays under 4 KB. */
const DATES_PER_UPDATE = 100;
/** Days per versions item: every block lies within one. */
const VERSIONS_SPAN: BlockSize = 256;
const chunkSchema = z.object({ pk: z.string(), sk: z.string(), data: z.instanceof(Uint8Array) });

/** An item to read: a day or block, the sections wanted from it, and the range it answers. */
interface Slot {
  readonly block: DayBlock;
  readonly sections: readonly string[];
  readonly range: number;
}
/** An item to store: its sections' bodies, and a block's fingerprint. */
interface Item {
  readonly sections: Readonly<Record<string, unknown>>;
  readonly fingerprint?: string;
}
/** What a read may use instead of the table: items this write has just stored, by key. */
type Written = Map<string, { readonly version: string; readonly item: Item }>;
type Range = { readonly from: string; readonly to: string };
/** Per section read, its parts of each range. */
type Read = Map<string, Array<Map<string, unknown>>>;

/**
 * The results table. A day's result is one item of sections, each gzip JSON split into chunks
 * under `pk = day#<date>`, `sk = v#<version>#<section>#<n>`, and a `head` that names the current
 * version and each section's chunk count. Chunks are written first and the head last, one head
 * per day, so a reader never sees half a version nor sections of two versions, and a compute
 * killed midway leaves the previous version in place. A reader fetches only the chunks of the
 * sections it asks for. The sections with `mergeDays` are also stored as merged blocks of
 * 4…256 days holding the days written (`pk = days<size>#<start>`, day-blocks.ts), each head
 * holding the fingerprint of the day versions it was merged from; a reader uses a block only
 * while those are still the days' current versions, else its four children, so a query reads a
 * few items whatever its range and never a stale sum (sections without `mergeDays` are read from
 * the days). The current versions are kept together, per 256 days (`pk = versions#<start>`), so a
 * reader checks its blocks with one item instead of every day's head: a write records its days'
 * new versions there before it stores them (a write that dies after that leaves the blocks
 * failing the check, never passing it). Jobs live under `job#<id>`.
 */
export class DynamoResultsStore<T extends object> implements DayPartialStore<T>, JobStore {
  readonly #props: DynamoResultsStoreProps<T>;
  readonly #names: ReadonlyArray<keyof T & string>;
  readonly #merged: readonly string[];

  constructor(props: DynamoResultsStoreProps<T>) {
    this.#props = props;
    this.#names = Object.keys(props.sections) as Array<keyof T & string>;
    this.#merged = this.#names.filter((name) => this.#section(name).mergeDays);
  }

  #section(name: string): ResultSection<unknown> {
    return (this.#props.sections as Record<string, ResultSection<unknown>>)[name] as ResultSection<unknown>;
  }

  async writeDays(days: ReadonlyMap<string, T>, version: string): Promise<void> {
    const items = new Map<string, Item>();
    for (const [date, day] of days) {
      const sections = Object.fromEntries(this.#names.map((section) => [section, day[section]]));
      items.set(pkOf({ size: 1, start: date }), { sections });
    }
    await this.#recordVersions([...days.keys()], version);
    await this.#writeItems(items, version);
    if (this.#merged.length === 0) return;
    const written: Written = new Map([...items].map(([pk, item]) => [pk, { version, item }]));
    // Smaller blocks first: each is merged from its children, which this write has just stored.
    for (const size of BLOCK_SIZES.slice(1)) {
      const blocks = new Map<string, Item>();
      for (const block of blocksHolding(days.keys()).filter((b) => b.size === size)) {
        const range = [{ from: block.start, to: blockEnd(block) }];
        const read = await this.#tryRead(range, this.#merged, (size / 4) as BlockSize, written);
        if (!read) throw new ServiceUnavailableError('results changed while merging a block; retry');
        const sections: Record<string, unknown> = {};
        for (const section of this.#merged) {
          const mergeDays = this.#section(section).mergeDays as (
            parts: ReadonlyMap<string, unknown>,
          ) => unknown;
          sections[section] = mergeDays(read.parts.get(section)?.[0] as Map<string, unknown>);
        }
        blocks.set(pkOf(block), { sections, fingerprint: read.fingerprint });
      }
      await this.#writeItems(blocks, version);
      for (const [pk, item] of blocks) written.set(pk, { version, item });
    }
  }

  async readRange<K extends keyof T>(
    from: string,
    to: string,
    options: ReadRangeOptions<K> = {},
  ): Promise<SectionParts<T, K>> {
    return (await this.readRanges([{ from, to }], options))[0] as SectionParts<T, K>;
  }

  async readRanges<K extends keyof T>(
    ranges: readonly Range[],
    options: ReadRangeOptions<K> = {},
  ): Promise<Array<SectionParts<T, K>>> {
    const sorted = [...ranges].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    sorted.forEach((range, n) => {
      const next = sorted[n + 1];
      if (range.from > range.to || (next && next.from <= range.to))
        throw new RangeError('ranges read together must be ordered within and apart from each other');
    });
    const sections = [...new Set<string>((options.sections ?? this.#names) as readonly string[])] as Array<
      K & string
    >;
    // A compute that switches a day's version between our head read and chunk read deletes the
    // chunks we were about to read: read the heads again, once; then ask the caller to retry.
    const read =
      (await this.#tryRead(ranges, sections, options.largest ?? 256)) ??
      (await this.#tryRead(ranges, sections, options.largest ?? 256));
    if (!read) throw new ServiceUnavailableError('results are being recomputed; retry in a moment');
    return ranges.map(
      (_, n) =>
        Object.fromEntries(
          sections.map((section) => [section, read.parts.get(section)?.[n]]),
        ) as SectionParts<T, K>,
    );
  }

  async readVersions(dates: readonly string[]): Promise<Map<string, string>> {
    const keys = [...new Set(dates.map(versionsKey))];
    const { versions } = await this.#readHeads([], true, keys);
    return new Map(
      dates.flatMap((date) => (versions.has(date) ? [[date, versions.get(date) as string]] : [])),
    );
  }

  /** Sets the days' current version in their versions items (one update per item). */
  async #recordVersions(dates: readonly string[], version: string): Promise<void> {
    const byItem = new Map<string, string[]>();
    for (const date of dates) pushTo(byItem, versionsKey(date), date);
    // DynamoDB allows 4 KB of update expression: 256 dates in one would need 4.5 KB.
    const updates = [...byItem].flatMap(([pk, list]) =>
      Array.from({ length: Math.ceil(list.length / DATES_PER_UPDATE) }, (_, n): [string, string[]] => [
        pk,
        list.slice(n * DATES_PER_UPDATE, (n + 1) * DATES_PER_UPDATE),
      ]),
    );
    await Promise.all(
      updates.map(([pk, list]) =>
        this.#props.client.send(
          new UpdateCommand({
            TableName: this.#props.table,
            Key: { pk, sk: 'versions' },
            UpdateExpression: `SET ${list.map((_, n) => `#d${n} = :version`).join(', ')}`,
            ExpressionAttributeNames: Object.fromEntries(list.map((date, n) => [`#d${n}`, date])),
            ExpressionAttributeValues: { ':version': version },
          }),
        ),
      ),
    );
  }

  /** Writes each item's chunks, then its head, then deletes the chunks of the versions replaced. */
  async #writeItems(items: ReadonlyMap<string, Item>, version: string): Promise<void> {
    const { heads: oldHeads } = await this.#readHeads([...items.keys()], true);
    const chunkWrites: Record<string, unknown>[] = [];
    const heads: Record<string, unknown>[] = [];
    for (const [pk, { sections, fingerprint }] of items) {
      const chunks: Record<string, number> = {};
      for (const [section, body] of Object.entries(sections)) {
        const zipped = await gzipAsync(JSON.stringify(body));
        const count = Math.max(1, Math.ceil(zipped.length / CHUNK_BYTES));
        for (let n = 0; n < count; n++) {
          chunkWrites.push({
            pk,
            sk: chunkKey(version, section, n),
            data: zipped.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES),
          });
        }
        chunks[section] = count;
      }
      heads.push({ pk, sk: 'head', version, chunks, computedAt: new Date().toISOString(), fingerprint });
    }
    const { client, table } = this.#props;
    await batchWriteAll(
      client,
      table,
      chunkWrites.map((Item) => ({ PutRequest: { Item } })),
    );
    await batchWriteAll(
      client,
      table,
      heads.map((Item) => ({ PutRequest: { Item } })),
    );
    const stale = [...oldHeads].filter(([, head]) => head.version !== version);
    await batchWriteAll(
      client,
      table,
      stale.flatMap(([pk, head]) => chunkKeysOf(pk, head).map((Key) => ({ DeleteRequest: { Key } }))),
    );
  }

  /**
   * Per section, the parts covering each range (blocks of at most `largest` days for a section
   * with `mergeDays`, days for the others), and the fingerprint of the day versions they hold;
   * undefined when a version changed under the read. `written` are items this process has just
   * stored, read from the table only when their version moved on. The heads are read in one
   * batch per level of blocks, then the chunks of the chosen sections in one batch.
   */
  async #tryRead(
    ranges: readonly Range[],
    sections: readonly string[],
    largest: BlockSize,
    written?: Written,
  ): Promise<{ parts: Read; fingerprint: string } | undefined> {
    // A write merges blocks from what it just wrote: it must see every newer write too.
    const consistent = written !== undefined;
    const merged = sections.filter((section) => this.#section(section).mergeDays);
    const daysOnly = sections.filter((section) => !this.#section(section).mergeDays);
    let pending: Slot[] = ranges.flatMap((range, n) => [
      ...(merged.length > 0
        ? coverOf(range.from, range.to, largest).map((block) => ({ block, sections: merged, range: n }))
        : []),
      ...(daysOnly.length > 0
        ? coverOf(range.from, range.to, 1).map((block) => ({ block, sections: daysOnly, range: n }))
        : []),
    ]);
    const versionKeys = pending.some((slot) => slot.block.size > 1)
      ? [...new Set(ranges.flatMap((range) => versionsKeys(range.from, range.to)))]
      : [];
    const asked = new Set(pending.map((slot) => pkOf(slot.block)));
    const { heads, versions } = await this.#readHeads([...asked], consistent, versionKeys);
    /** The version of each day that the chosen items hold. */
    const held = new Map<string, string>();
    const chosen: Array<[Slot, Head]> = [];
    while (pending.length > 0) {
      const children: Slot[] = [];
      for (const slot of pending) {
        const { block } = slot;
        const head = heads.get(pkOf(block));
        const holds = head !== undefined && slot.sections.every((section) => chunksOf(head, section) > 0);
        if (holds && block.size === 1) {
          chosen.push([slot, head]);
          held.set(block.start, head.version);
          continue;
        }
        const dates = datesBetween(block.start, blockEnd(block));
        if (holds && head.fingerprint === fingerprint(dates, (date) => versions.get(date))) {
          chosen.push([slot, head]);
          for (const date of dates) {
            const version = versions.get(date);
            if (version !== undefined) held.set(date, version);
          }
        } else if (block.size > 1)
          children.push(...childrenOf(block).map((child) => ({ ...slot, block: child })));
      }
      const unasked = [...new Set(children.map((slot) => pkOf(slot.block)))].filter((pk) => !asked.has(pk));
      for (const pk of unasked) asked.add(pk);
      for (const [pk, head] of (await this.#readHeads(unasked, consistent)).heads) heads.set(pk, head);
      pending = children;
    }
    chosen.sort(([a], [b]) => (a.block.start < b.block.start ? -1 : a.block.start > b.block.start ? 1 : 0));
    const wanted = chosen.flatMap(([slot, head]) =>
      written?.get(pkOf(slot.block))?.version === head.version
        ? []
        : slot.sections.map((section) => ({ pk: pkOf(slot.block), head, section })),
    );
    const bodies = await this.#readBodies(wanted);
    if (!bodies) return undefined;
    const parts: Read = new Map(sections.map((section) => [section, ranges.map(() => new Map())]));
    for (const [slot, head] of chosen) {
      const pk = pkOf(slot.block);
      const mine = written?.get(pk);
      for (const section of slot.sections) {
        const body =
          mine?.version === head.version ? mine.item.sections[section] : bodies.get(`${pk}|${section}`);
        parts.get(section)?.[slot.range]?.set(slot.block.start, body);
      }
    }
    const allDates = ranges.flatMap((range) => datesBetween(range.from, range.to));
    return { parts, fingerprint: fingerprint(allDates, (date) => held.get(date)) };
  }

  /** Each section's chunks, joined, gunzipped and validated by its schema; undefined when a chunk is gone. */
  async #readBodies(
    wanted: ReadonlyArray<{ readonly pk: string; readonly head: Head; readonly section: string }>,
  ): Promise<Map<string, unknown> | undefined> {
    const keyLists = wanted.map(({ pk, head, section }) =>
      Array.from({ length: chunksOf(head, section) }, (_, n) => ({
        pk,
        sk: chunkKey(head.version, section, n),
      })),
    );
    const chunks = new Map<string, Uint8Array>();
    for (const item of await batchGetAll(this.#props.client, this.#props.table, keyLists.flat())) {
      const chunk = chunkSchema.parse(item);
      chunks.set(`${chunk.pk}|${chunk.sk}`, chunk.data);
    }
    const zipped: Buffer[] = [];
    for (const keys of keyLists) {
      const parts = keys.map(({ pk, sk }) => chunks.get(`${pk}|${sk}`));
      if (parts.some((part) => part === undefined)) return undefined;
      zipped.push(Buffer.concat(parts as Uint8Array[]));
    }
    // All at once: zlib unzips on its thread pool, several bodies side by side.
    const unzipped = await Promise.all(zipped.map((body) => gunzipAsync(body)));
    const bodies = new Map<string, unknown>();
    wanted.forEach(({ pk, section }, n) => {
      const text = (unzipped[n] as Buffer).toString('utf8');
      bodies.set(`${pk}|${section}`, this.#section(section).schema.parse(JSON.parse(text)));
    });
    return bodies;
  }

  async put(job: Job): Promise<void> {
    await this.#props.client.send(
      new PutCommand({ TableName: this.#props.table, Item: { ...job, pk: `job#${job.jobId}`, sk: 'job' } }),
    );
  }

  async advance(jobId: string, steps: number): Promise<void> {
    await this.#props.client
      .send(
        new UpdateCommand({
          TableName: this.#props.table,
          Key: { pk: `job#${jobId}`, sk: 'job' },
          UpdateExpression: 'SET progress.done = progress.done + :n',
          // A retried step must not count twice past the end.
          ConditionExpression: 'attribute_exists(progress) AND progress.done < progress.#total',
          ExpressionAttributeNames: { '#total': 'total' },
          ExpressionAttributeValues: { ':n': steps },
        }),
      )
      .catch((error: unknown) => {
        // A step run outside a planned job (a lake refresh) has no progress to advance.
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  /**
   * Jobs still queued or running. A scan of the whole table: for the local runtime's start (a
   * process that stopped mid-job leaves them), not for a deployed table.
   */
  async listUnfinishedJobs(): Promise<Job[]> {
    const jobs: Job[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#props.client.send(
        new ScanCommand({
          TableName: this.#props.table,
          FilterExpression: 'sk = :job AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':job': 'job', ':queued': 'queued', ':running': 'running' },
          ExclusiveStartKey: start,
        }),
      );
      for (const { pk: _pk, sk: _sk, ...job } of page.Items ?? []) jobs.push(jobSchema.parse(job));
      start = page.LastEvaluatedKey;
    } while (start);
    return jobs;
  }

  async get(jobId: string): Promise<Job | undefined> {
    const result = await this.#props.client.send(
      // Strongly consistent: a client polls the job it has just started.
      new GetCommand({
        TableName: this.#props.table,
        Key: { pk: `job#${jobId}`, sk: 'job' },
        ConsistentRead: true,
      }),
    );
    if (!result.Item) return undefined;
    const { pk: _pk, sk: _sk, ...job } = result.Item;
    return jobSchema.parse(job);
  }

  /** Heads by key, and the day versions held by the versions items `versionKeys`. */
  async #readHeads(
    pks: readonly string[],
    consistent = false,
    versionKeys: readonly string[] = [],
  ): Promise<{ heads: Map<string, Head>; versions: Map<string, string> }> {
    const items = await batchGetAll(
      this.#props.client,
      this.#props.table,
      [...pks.map((pk) => ({ pk, sk: 'head' })), ...versionKeys.map((pk) => ({ pk, sk: 'versions' }))],
      consistent,
    );
    const heads = new Map<string, Head>();
    const versions = new Map<string, string>();
    for (const item of items) {
      if (item.sk === 'versions') {
        for (const [date, version] of versionsSchema.parse(item).versions) versions.set(date, version);
      } else {
        const head = headSchema.parse(item);
        heads.set(head.pk, head);
      }
    }
    return { heads, versions };
  }
}

function pkOf(block: DayBlock): string {
  return block.size === 1 ? `day#${block.start}` : `days${block.size}#${block.start}`;
}

/** A section's chunk count in a head; 0 when the item does not hold it (a head from before sections holds none). */
function chunksOf(head: Head, section: string): number {
  return typeof head.chunks === 'number' ? 0 : (head.chunks[section] ?? 0);
}

/** The keys of every chunk a head names, to delete when it is replaced. */
function chunkKeysOf(pk: string, head: Head): Array<{ pk: string; sk: string }> {
  if (typeof head.chunks === 'number') {
    // Written before sections: `v#<version>#<n>`.
    return Array.from({ length: head.chunks }, (_, n) => ({
      pk,
      sk: `v#${head.version}#${String(n).padStart(4, '0')}`,
    }));
  }
  return Object.entries(head.chunks).flatMap(([section, count]) =>
    Array.from({ length: count }, (_, n) => ({ pk, sk: chunkKey(head.version, section, n) })),
  );
}

/** Which version of each day a merge saw (absent days included, as absent). */
function fingerprint(dates: readonly string[], versionOf: (date: string) => string | undefined): string {
  const hash = createHash('sha256');
  for (const date of dates) hash.update(`${date}=${versionOf(date) ?? ''};`);
  return hash.digest('base64url');
}

/** The versions item holding a date's version. */
function versionsKey(date: string): string {
  return `versions#${blockOf(date, VERSIONS_SPAN).start}`;
}

/** The versions items of `from`…`to`. */
function versionsKeys(from: string, to: string): string[] {
  const keys: string[] = [];
  for (let start = blockOf(from, VERSIONS_SPAN).start; start <= to; start = addDays(start, VERSIONS_SPAN))
    keys.push(`versions#${start}`);
  return keys;
}

function chunkKey(version: string, section: string, n: number): string {
  return `v#${version}#${section}#${String(n).padStart(4, '0')}`;
}

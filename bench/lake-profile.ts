/**
 * Child process: where the lake builder's time goes, and what each idea to speed it up gains.
 *
 * The builder (`buildLakeDay` → `writeParquet`) is replayed step by step over raw objects in the
 * parent's embedded S3, with a timer around each step: LIST, GET (one at a time, as the builder
 * does), gunzip, split + JSON.parse, zod (`storedEventSchema`), dedupe, classification, JSON
 * staging, DuckDB COPY (read_json → sort → zstd Parquet), the identities table, the lake PUT.
 * Then the ideas, each measured on the same days: concurrent GETs, no zod re-validation, a
 * memoised channel classifier, staging the rows as they are (one JSON.stringify per row, columns
 * mapped in SQL), COPY variants, two days in flight, and all of them together in a prototype
 * builder whose output is checked against the real builder's, row for row.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type DuckDbSession, literal, literalList } from '#adapters/duckdb.ts';
import { createClassifier } from '#adapters/pipeline.ts';
import type { ChannelId } from '#domain/channel-ids.ts';
import type { ChannelClassifier, ReferrerInfo } from '#domain/channels.ts';
import { createEventClassifier, type EventClassifier } from '#domain/classify.ts';
import { type StoredEvent, storedEventSchema } from '#domain/event-schema.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { EVENT_COLUMNS, IDENTITY_COLUMNS, type IdentityLink, lakePartitionKey } from '#lake/lake-tables.ts';
import { buildLakeDay } from '#services/build-lake.ts';
import { benchPipeline, childInput, type Endpoints, pool, report } from './support.ts';

const gunzipAsync = promisify(gunzip);

export interface ProfileInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  /** Days whose raw objects are replayed. */
  readonly dates: readonly string[];
}

export interface ProfileResult {
  readonly events: number;
  readonly lines: number;
  readonly objects: number;
  /** The step-by-step replay: wall ms per step, summed over the days. */
  readonly steps: Record<string, number>;
  /** The real builder on the same days, in this process. */
  readonly builder: { readonly ms: number; readonly cpuMs: number };
  /** Each idea: the steps it replaces, measured before (`ms` of the replay) and after. */
  readonly ideas: ReadonlyArray<{
    readonly idea: string;
    readonly replaces: string;
    readonly beforeMs: number;
    readonly afterMs: number;
  }>;
  readonly parallel: { readonly ms: number; readonly cpuMs: number };
  readonly prototype: {
    readonly ms: number;
    readonly cpuMs: number;
    readonly parallelMs: number;
    readonly parallelCpuMs: number;
    readonly differingRows: number;
  };
  readonly classifierCache: { readonly channelKeys: number; readonly hosts: number };
  /** The SQL-first floor: wall and CPU over the days. */
  readonly sqlFirst: { readonly ms: number; readonly cpuMs: number; readonly tuples: number };
  readonly urlParseUs: number;
}

const input = childInput<ProfileInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: '1GB',
});
const { rawStore, lakeStore, s3 } = pipeline;
const bucket = pipeline.env.RAW_BUCKET;
const steps: Record<string, number> = {};
const add = (name: string, ms: number) => {
  steps[name] = (steps[name] ?? 0) + ms;
};
async function timed<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const value = await work();
  add(name, performance.now() - started);
  return value;
}
const cpuOf = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function listDay(date: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of rawStore.listKeys(date, date)) keys.push(key);
  return keys.sort();
}

async function getObject(key: string): Promise<Uint8Array> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
}

function splitLines(text: string): unknown[] {
  const out: unknown[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line));
  return out;
}

function dedupe(events: readonly StoredEvent[]): StoredEvent[] {
  const winners = new Map<string, StoredEvent>();
  for (const stored of events) {
    const current = winners.get(stored.event.eventId);
    if (!current || stored.receivedAt >= current.receivedAt) winners.set(stored.event.eventId, stored);
  }
  return [...winners.values()];
}

function classifyAll(
  winners: readonly StoredEvent[],
  classifier: EventClassifier,
): { rows: NormalisedEvent[]; links: IdentityLink[] } {
  const rows: NormalisedEvent[] = [];
  const links: IdentityLink[] = [];
  for (const stored of winners) {
    const row = classifier.classify(stored);
    rows.push(row);
    const { userId, anonymousId } = stored.event;
    if (userId && anonymousId)
      links.push({ fromKey: `a:${anonymousId}`, toKey: `u:${userId}`, ts: row.ts, eventId: row.eventId });
  }
  return { rows, links };
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  }
  out.end(buffer);
  await finished(out);
}

/** writeParquet's staging, as it is: a record per row built column by column. */
function* stagedRecords(rows: readonly NormalisedEvent[]): Generator<string> {
  const input = EVENT_COLUMNS.filter((c) => c.sql === undefined);
  for (const row of rows) {
    const record: Record<string, unknown> = {};
    for (const column of input) {
      const value = column.value(row);
      if (value !== undefined) record[column.name] = value;
    }
    yield `${JSON.stringify(record)}\n`;
  }
}

const declared = EVENT_COLUMNS.filter((c) => c.sql === undefined)
  .map((c) => `"${c.name}": '${c.type}'`)
  .join(', ');
const selected = EVENT_COLUMNS.map((c) => (c.sql ? `${c.sql} AS ${c.name}` : c.name)).join(', ');
const SORT = 'ORDER BY user_key NULLS LAST, ts, event_id';

function copySql(staged: string, out: string, order = SORT, compression = 'zstd'): string {
  return `COPY (SELECT ${selected} FROM read_json(${literal(staged)}, format = 'newline_delimited',
            columns = {${declared}}) ${order}) TO ${literal(out)} (FORMAT parquet, COMPRESSION ${compression})`;
}

/** Staging the idea way: the row object as it is, one JSON.stringify; SQL maps the fields to columns. */
const DIRECT_COLUMNS = `{eventId: 'VARCHAR', type: 'VARCHAR', ts: 'BIGINT', receivedAt: 'VARCHAR', source: 'VARCHAR',
  userKey: 'VARCHAR', userId: 'VARCHAR', anonymousId: 'VARCHAR', emailHash: 'VARCHAR', channel: 'VARCHAR',
  stage: 'VARCHAR', touch: 'BOOLEAN', bot: 'BOOLEAN', visitId: 'VARCHAR', count: 'BIGINT', campaign: 'VARCHAR', platform: 'VARCHAR',
  network: 'VARCHAR', adGroup: 'VARCHAR', creative: 'VARCHAR', costMicros: 'BIGINT', valueMicros: 'BIGINT',
  voices: 'VARCHAR[]', voiceSource: 'VARCHAR', referralDomain: 'VARCHAR', referralCategory: 'VARCHAR',
  referrerHost: 'VARCHAR', referrerCategory: 'VARCHAR', conversion: 'VARCHAR', emailAction: 'VARCHAR',
  utm: 'STRUCT(source VARCHAR, medium VARCHAR, campaign VARCHAR, term VARCHAR, content VARCHAR, id VARCHAR)',
  clickId: 'STRUCT(name VARCHAR, value VARCHAR)', url: 'VARCHAR', query: 'VARCHAR', engine: 'VARCHAR',
  position: 'DOUBLE', properties: 'JSON'}`;
const DIRECT_SELECT = `eventId AS event_id, type, ts, make_timestamp(ts * 1000) AS occurred_at,
  receivedAt AS received_at, source, userKey AS user_key, userId AS user_id, anonymousId AS anonymous_id,
  emailHash AS email_hash, channel, stage, touch, bot, visitId AS visit_id, count, campaign, platform, network, adGroup AS ad_group,
  creative, costMicros AS cost_micros, valueMicros AS value_micros, voices, voiceSource AS voice_source,
  referralDomain AS referral_domain, referralCategory AS referral_category, referrerHost AS referrer_host,
  referrerCategory AS referrer_category, conversion, emailAction AS email_action, utm.source AS utm_source,
  utm.medium AS utm_medium, utm.campaign AS utm_campaign, utm.term AS utm_term, utm.content AS utm_content,
  utm.id AS utm_id, clickId.name AS click_id_name, clickId.value AS click_id, url, query, engine, position,
  properties::VARCHAR AS properties`;

function directCopySql(staged: string, out: string): string {
  return `COPY (SELECT ${DIRECT_SELECT} FROM read_json(${literal(staged)}, format = 'newline_delimited',
            columns = ${DIRECT_COLUMNS}) ${SORT}) TO ${literal(out)} (FORMAT parquet, COMPRESSION zstd)`;
}

/** The channel classifier with its answers remembered: the same signals always give the same channel. */
function memoised(
  inner: ChannelClassifier,
): ChannelClassifier & { sizes(): { channelKeys: number; hosts: number } } {
  const channels = new Map<string, ChannelId>();
  const referrers = new Map<string, ReferrerInfo>();
  return {
    signalsOf: (facts) => inner.signalsOf(facts),
    describeReferrer(host) {
      if (!host) return inner.describeReferrer(host);
      let info = referrers.get(host);
      if (!info) {
        info = inner.describeReferrer(host);
        if (referrers.size > 100_000) referrers.clear();
        referrers.set(host, info);
      }
      return info;
    },
    classify(facts, explicit) {
      if (explicit) return explicit;
      const utm = facts.utm;
      const key = `${facts.eventType}\u001f${utm?.source ?? ''}\u001f${utm?.medium ?? ''}\u001f${utm?.campaign ?? ''}\u001f${facts.clickIdName ?? ''}\u001f${facts.platform ?? ''}\u001f${facts.network ?? ''}\u001f${facts.referrerHost ?? ''}`;
      let channel = channels.get(key);
      if (!channel) {
        channel = inner.classify(facts);
        if (channels.size > 100_000) channels.clear();
        channels.set(key, channel);
      }
      return channel;
    },
    sizes: () => ({ channelKeys: channels.size, hosts: referrers.size }),
  };
}

const plainClassifier = pipeline.eventClassifier;
const memo = memoised(createClassifier(pipeline.config));
const memoClassifier = createEventClassifier({ config: pipeline.config, classifier: memo });

/** The cheap check that could replace zod on the way out of the raw zone (intake validated every line). */
function looksStored(value: unknown): value is StoredEvent {
  const stored = value as StoredEvent;
  return (
    typeof stored === 'object' &&
    stored !== null &&
    typeof stored.receivedAt === 'string' &&
    typeof stored.event === 'object' &&
    stored.event !== null &&
    typeof stored.event.eventId === 'string' &&
    typeof stored.event.type === 'string' &&
    typeof stored.event.occurredAt === 'string'
  );
}

const ideas: Array<{ idea: string; replaces: string; beforeMs: number; afterMs: number }> = [];
const ideaTimes = new Map<string, number>();
const addIdea = (idea: string, ms: number) => ideaTimes.set(idea, (ideaTimes.get(idea) ?? 0) + ms);
async function ideaTimed<T>(idea: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const value = await work();
  addIdea(idea, performance.now() - started);
  return value;
}

/**
 * The floor of a SQL-first builder: DuckDB reads the day's gzip NDJSON objects itself (from local
 * files, as a function would after fetching them), dedupes, extracts the fields, parses UTM tags and
 * the referrer host with regexps, sorts and writes zstd Parquet; the real channel classifier runs
 * only on the distinct signal tuples. Not the lake's exact columns: an estimate of the cost.
 */
const sqlEngine = await pipeline.openEngine();
let sqlTuples = 0;
let sqlCpuMs = 0;
async function sqlFirst(bodies: readonly Uint8Array[]): Promise<void> {
  const files = bodies.map((body) => {
    const file = sqlEngine.scratchFile('ndjson.gz');
    writeFileSync(file, body);
    return file;
  });
  const utm = (name: string) => `nullif(regexp_extract(e.url, '[?&]utm_${name}=([^&#]*)', 1), '')`;
  const cpu = process.cpuUsage();
  await ideaTimed('SQL-first: DuckDB reads, dedupes, extracts, sorts, writes', async () => {
    // The event as a STRUCT: each line is parsed once (fields it does not name are skipped).
    await sqlEngine.run(`CREATE OR REPLACE TEMP TABLE day AS
      SELECT e.eventId AS event_id, e.type, epoch_ms(e.occurredAt::TIMESTAMPTZ) AS ts, receivedAt AS received_at,
             source,
             CASE WHEN e.userId IS NOT NULL THEN 'u:' || e.userId WHEN e.anonymousId IS NOT NULL THEN 'a:' || e.anonymousId
                  WHEN emailHash IS NOT NULL THEN 'e:' || emailHash END AS user_key,
             e.userId AS user_id, e.anonymousId AS anonymous_id, emailHash AS email_hash, e.channel AS explicit_channel,
             coalesce(e.campaign, ${utm('campaign')}) AS campaign, e.platform, e.network, coalesce(e.count, 1) AS count,
             round(e.cost.amount * 1e6)::BIGINT AS cost_micros, round(e.value.amount * 1e6)::BIGINT AS value_micros,
             ${utm('source')} AS utm_source, ${utm('medium')} AS utm_medium, ${utm('campaign')} AS utm_campaign,
             nullif(regexp_extract(e.url, '[?&](gclid|gbraid|wbraid|dclid|msclkid|fbclid|ttclid|twclid|li_fat_id)=', 1), '') AS click_id_name,
             nullif(lower(regexp_extract(e.referrer, '^https?://([^/:?#]+)', 1)), '') AS referrer_host,
             e.url, e.query, e.action AS email_action, e.name AS conversion, e.properties::VARCHAR AS properties
      FROM (SELECT receivedAt, source, emailHash, event AS e
            FROM read_json(${literalList(files)}, format = 'newline_delimited', compression = 'gzip',
                   columns = {receivedAt: 'VARCHAR', source: 'VARCHAR', emailHash: 'VARCHAR',
                              event: 'STRUCT(eventId VARCHAR, type VARCHAR, occurredAt VARCHAR, userId VARCHAR,
                                anonymousId VARCHAR, channel VARCHAR, campaign VARCHAR, platform VARCHAR, network VARCHAR,
                                count BIGINT, cost STRUCT(amount DOUBLE, currency VARCHAR),
                                value STRUCT(amount DOUBLE, currency VARCHAR), url VARCHAR, referrer VARCHAR,
                                query VARCHAR, action VARCHAR, name VARCHAR, properties JSON)'}))
      QUALIFY row_number() OVER (PARTITION BY e.eventId ORDER BY receivedAt DESC) = 1`);
    await sqlEngine.run(
      `COPY (SELECT * FROM day ORDER BY user_key NULLS LAST, ts, event_id) TO ${literal(sqlEngine.scratchFile('parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
    );
  });
  await ideaTimed('SQL-first: classify the distinct signal tuples', async () => {
    const tuples = await sqlEngine.all<Record<string, string | null>>(
      `SELECT DISTINCT type, explicit_channel, utm_source, utm_medium, utm_campaign, click_id_name, platform, network, referrer_host FROM day`,
    );
    sqlTuples += tuples.length;
    const channels = createClassifier(pipeline.config);
    for (const t of tuples) {
      channels.classify({
        eventType: t.type ?? '',
        utm: {
          source: t.utm_source ?? undefined,
          medium: t.utm_medium ?? undefined,
          campaign: t.utm_campaign ?? undefined,
        },
        clickIdName: t.click_id_name || undefined,
        platform: t.platform ?? undefined,
        network: t.network ?? undefined,
        referrerHost: t.referrer_host || undefined,
      });
    }
  });
  sqlCpuMs += cpuOf(cpu);
  for (const file of files) await rm(file, { force: true });
}

let events = 0;
let lines = 0;
let objects = 0;
let urlParseMs = 0;
let urls = 0;
const engine = await pipeline.openEngine();

// 1. The step-by-step replay, and the ideas on the same inputs.
for (const date of input.dates) {
  const keys = await timed('S3 LIST', () => listDay(date));
  objects += keys.length;
  const bodies: Uint8Array[] = [];
  await timed('S3 GET, one at a time', async () => {
    for (const key of keys) bodies.push(await getObject(key));
  });
  await ideaTimed('S3 GET, 16 at a time', () => pool(keys, 16, async (key) => void (await getObject(key))));
  const texts: string[] = [];
  await timed('gunzip', async () => {
    for (const body of bodies) texts.push((await gunzipAsync(body)).toString('utf8'));
  });
  await ideaTimed('gunzip, all objects at once (libuv pool)', () =>
    Promise.all(bodies.map((body) => gunzipAsync(body))),
  );
  await sqlFirst(bodies);
  const raws = await timed('split + JSON.parse', () => texts.flatMap(splitLines));
  lines += raws.length;
  const parsed = await timed('zod storedEventSchema', () =>
    raws.flatMap((raw) => {
      const result = storedEventSchema.safeParse(raw);
      return result.success ? [result.data] : [];
    }),
  );
  await ideaTimed('envelope check instead of zod', () => raws.filter(looksStored).length);
  const winners = await timed('dedupe by eventId', () => dedupe(parsed));
  events += winners.length;
  const { rows, links } = await timed('classify', () => classifyAll(winners, plainClassifier));
  await ideaTimed('classify, channel classifier memoised', () => classifyAll(winners, memoClassifier));
  {
    // What the URL parsing inside classify costs (the builder parses every url and referrer).
    const started = performance.now();
    for (const stored of winners) {
      const event = stored.event as { url?: string; referrer?: string };
      for (const url of [event.url, event.referrer]) {
        if (!url) continue;
        urls++;
        try {
          for (const _ of new URL(url).searchParams);
        } catch {}
      }
    }
    urlParseMs += performance.now() - started;
  }
  const staged = engine.scratchFile('ndjson');
  await timed('stage rows as NDJSON (record per row)', () => writeLines(staged, stagedRecords(rows)));
  const out = engine.scratchFile('parquet');
  await timed('DuckDB COPY (read_json, sort, zstd)', () => engine.run(copySql(staged, out)));
  await ideaTimed('COPY without the sort', () =>
    engine.run(copySql(staged, engine.scratchFile('parquet'), '')),
  );
  await ideaTimed('COPY with snappy', () =>
    engine.run(copySql(staged, engine.scratchFile('parquet'), SORT, 'snappy')),
  );
  await ideaTimed('COPY read_json only (no sort, no Parquet)', () =>
    engine.run(`CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM read_json(${literal(staged)},
      format = 'newline_delimited', columns = {${declared}})`),
  );
  const direct = engine.scratchFile('ndjson');
  await ideaTimed('stage the row objects as they are (one stringify per row)', () =>
    writeLines(
      direct,
      rows.map((row) => `${JSON.stringify(row)}\n`),
    ),
  );
  await ideaTimed('COPY of those (columns mapped in SQL)', () =>
    engine.run(directCopySql(direct, engine.scratchFile('parquet'))),
  );
  await timed('identities table (stage + COPY)', async () => {
    if (links.length > 0)
      await engine.writeParquet(
        links,
        IDENTITY_COLUMNS,
        engine.scratchFile('parquet'),
        'from_key, ts, event_id',
      );
  });
  await timed('lake PUT', async () => {
    const { readFile } = await import('node:fs/promises');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `bench-profile/${lakePartitionKey('events', date)}`,
        Body: await readFile(out),
      }),
    );
  });
  await rm(staged, { force: true });
  await rm(direct, { force: true });
}
await engine.close();
await sqlEngine.close();

const idea = (name: string, replaces: string, after: string) =>
  ideas.push({ idea: name, replaces, beforeMs: steps[replaces] ?? 0, afterMs: ideaTimes.get(after) ?? 0 });
idea('GETs 16 at a time instead of one after another', 'S3 GET, one at a time', 'S3 GET, 16 at a time');
idea('gunzip every object of the day at once', 'gunzip', 'gunzip, all objects at once (libuv pool)');
idea(
  'no zod on the way out of the raw zone (an envelope check; intake validated every line)',
  'zod storedEventSchema',
  'envelope check instead of zod',
);
idea(
  'memoise the channel classifier (signals → channel, host → referrer)',
  'classify',
  'classify, channel classifier memoised',
);
idea(
  'stage row objects with one JSON.stringify each, map fields in SQL',
  'stage rows as NDJSON (record per row)',
  'stage the row objects as they are (one stringify per row)',
);
idea('…and its COPY', 'DuckDB COPY (read_json, sort, zstd)', 'COPY of those (columns mapped in SQL)');
idea('COPY without the sort', 'DuckDB COPY (read_json, sort, zstd)', 'COPY without the sort');
idea('COPY with snappy instead of zstd', 'DuckDB COPY (read_json, sort, zstd)', 'COPY with snappy');
ideas.push({
  idea: `SQL-first builder (floor): DuckDB reads the gzip NDJSON, dedupes, extracts, sorts, writes; the classifier runs on the ${sqlTuples.toLocaleString('en-US')} distinct signal tuples only`,
  replaces: 'every step from gunzip to COPY',
  beforeMs:
    (steps.gunzip ?? 0) +
    (steps['split + JSON.parse'] ?? 0) +
    (steps['zod storedEventSchema'] ?? 0) +
    (steps['dedupe by eventId'] ?? 0) +
    (steps.classify ?? 0) +
    (steps['stage rows as NDJSON (record per row)'] ?? 0) +
    (steps['DuckDB COPY (read_json, sort, zstd)'] ?? 0),
  afterMs:
    (ideaTimes.get('SQL-first: DuckDB reads, dedupes, extracts, sorts, writes') ?? 0) +
    (ideaTimes.get('SQL-first: classify the distinct signal tuples') ?? 0),
});
idea(
  '(COPY: the read_json part alone)',
  'DuckDB COPY (read_json, sort, zstd)',
  'COPY read_json only (no sort, no Parquet)',
);

// 2. The real builder on the same days, one day after another (as refreshLakeDays runs them).
let builder: { ms: number; cpuMs: number };
{
  const session = await pipeline.openEngine();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const date of input.dates) await buildLakeDay(date, { ...pipeline, engine: session });
  builder = { ms: performance.now() - started, cpuMs: cpuOf(cpu) };
  await session.close();
}

// 3. Two days in flight (each with its own engine): JS work of one overlaps the other's COPY.
let parallel: { ms: number; cpuMs: number };
{
  const sessions = [await pipeline.openEngine(), await pipeline.openEngine()];
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (next < input.dates.length) {
        const date = input.dates[next++] as string;
        await buildLakeDay(date, { ...pipeline, engine: session });
      }
    }),
  );
  parallel = { ms: performance.now() - started, cpuMs: cpuOf(cpu) };
  for (const session of sessions) await session.close();
}

// 4. Every idea together: a prototype builder, checked against the real builder's output.
async function prototypeDay(date: string, session: DuckDbSession): Promise<string> {
  const keys = await listDay(date);
  const bodies: Uint8Array[] = new Array(keys.length);
  await pool(
    keys.map((key, i) => [key, i] as const),
    16,
    async ([key, i]) => {
      bodies[i] = await getObject(key);
    },
  );
  const texts = await Promise.all(bodies.map((body) => gunzipAsync(body)));
  const stored = texts.flatMap((text) => splitLines(text.toString('utf8'))).filter(looksStored);
  const { rows, links } = classifyAll(dedupe(stored), memoClassifier);
  const staged = session.scratchFile('ndjson');
  await writeLines(
    staged,
    rows.map((row) => `${JSON.stringify(row)}\n`),
  );
  const out = session.scratchFile('parquet');
  await session.run(directCopySql(staged, out));
  await rm(staged, { force: true });
  if (links.length > 0)
    await session.writeParquet(
      links,
      IDENTITY_COLUMNS,
      session.scratchFile('parquet'),
      'from_key, ts, event_id',
    );
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `bench-profile/prototype/${lakePartitionKey('events', date)}`,
      Body: await (await import('node:fs/promises')).readFile(out),
    }),
  );
  return out;
}
const prototype = { ms: 0, cpuMs: 0, parallelMs: 0, parallelCpuMs: 0, differingRows: 0 };
{
  const session = await pipeline.openEngine();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outputs: string[] = [];
  for (const date of input.dates) outputs.push(await prototypeDay(date, session));
  prototype.ms = performance.now() - started;
  prototype.cpuMs = cpuOf(cpu);
  // Row for row against the real builder's partition of the first day (no `dt` column from the path).
  const [real] = await lakeStore.fetchPartitions('events', [input.dates[0] as string]);
  const a = `read_parquet(${literal(real as string)}, hive_partitioning = false)`;
  const b = `read_parquet(${literal(outputs[0] as string)}, hive_partitioning = false)`;
  // The prototype writes the columns it knows; the lake has grown more since (surveys, carts…).
  const known = await session.all<{ column_name: string }>(
    `SELECT column_name FROM (DESCRIBE SELECT * FROM ${b})`,
  );
  const columns = known.map((c) => `"${c.column_name}"`).join(', ');
  const [diff] = await session.all<{ n: bigint }>(
    `SELECT (SELECT count(*) FROM (SELECT ${columns} FROM ${a} EXCEPT ALL SELECT ${columns} FROM ${b}))
          + (SELECT count(*) FROM (SELECT ${columns} FROM ${b} EXCEPT ALL SELECT ${columns} FROM ${a})) AS n`,
  );
  prototype.differingRows = Number(diff?.n ?? -1);
  await session.close();
}
{
  const sessions = [await pipeline.openEngine(), await pipeline.openEngine()];
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (next < input.dates.length) await prototypeDay(input.dates[next++] as string, session);
    }),
  );
  prototype.parallelMs = performance.now() - started;
  prototype.parallelCpuMs = cpuOf(cpu);
  for (const session of sessions) await session.close();
}

const result: ProfileResult = {
  events,
  lines,
  objects,
  steps,
  builder,
  ideas,
  parallel,
  prototype,
  classifierCache: memo.sizes(),
  sqlFirst: {
    ms:
      (ideaTimes.get('SQL-first: DuckDB reads, dedupes, extracts, sorts, writes') ?? 0) +
      (ideaTimes.get('SQL-first: classify the distinct signal tuples') ?? 0),
    cpuMs: sqlCpuMs,
    tuples: sqlTuples,
  },
  urlParseUs: (urlParseMs * 1000) / Math.max(1, urls),
};
report(result);

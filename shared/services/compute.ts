import type { DuckDBValue } from '@duckdb/node-api';
import { type DuckDbSession, literalList } from '#adapters/duckdb.ts';
import type { LakeStore } from '#adapters/lake-store.ts';
import type { DayPartialStore } from '#adapters/results-store.ts';
import type { SpendStore } from '#adapters/spend-store.ts';
import { addAttributionSpend, CREDIT_UNIT } from '#domain/attribution/index.ts';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { type ComputeRows, foldComputeRows, mergeBucketPartials } from '#domain/compute-rows.ts';
import { computeWindow } from '#domain/compute-window.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { DAY_MS, datesBetween } from '#domain/dates.ts';
import { type ComputePartial, emptyDayResult, type StoredDay, toStoredDay } from '#domain/day-result.ts';
import { addAdSpend } from '#domain/journey/ads.ts';
import { MAX_PATH_STEPS } from '#domain/journey/journey-day.ts';
import { addSpend } from '#domain/metrics/index.ts';
import { EXACT_LIMIT, sqlRegisterIndex, sqlRegisterRank, sqlUserHash } from '#domain/metrics/user-sketch.ts';
import {
  CONVERSION_COLUMNS,
  EVENT_COLUMNS,
  IDENTITY_COLUMNS,
  LATEST_COPY_FIRST,
  type LakeColumn,
  REFUND_COLUMNS,
  VISITOR_COLUMNS,
} from '#lake/lake-tables.ts';
import { readSql, statementsOf } from '#metrics/sql.ts';

export interface ComputeRange {
  /** First and last local day to compute, both included. */
  readonly from: string;
  readonly to: string;
}

export interface ComputeDeps {
  readonly lakeStore: LakeStore;
  readonly spendStore: SpendStore;
  readonly dayStore: DayPartialStore<StoredDay>;
  readonly config: AttributionConfig;
  /** Opens the engine for one task; the task closes it. */
  readonly openEngine: () => Promise<DuckDbSession>;
  /** The UTC date of today (default: the clock's): days after it hold no events yet. */
  readonly today?: string;
}

export interface BucketResult {
  readonly partial: ComputePartial;
  /** Events of the window this task read (its bucket's persons, and events without one in bucket 0). */
  readonly events: number;
}

/** Statements that prepare the window's tables, then the queries whose rows are folded into days. */
export const COMPUTE_PREPARE = ['people', 'window-events', 'page-visits', 'journeys'] as const;
export const COMPUTE_QUERIES = {
  touches: 'touches-by-channel',
  conversions: 'conversions-by-last-touch',
  voices: 'share-of-voice',
  referralVisits: 'referral-visits',
  stageUsers: 'stage-users',
  credits: 'heuristic-credits',
  transitions: 'markov-transitions',
  channelSets: 'channel-sets',
  touchless: 'touchless-conversions',
  attributionTouches: 'attribution-touches',
  emailRecipients: 'email-recipients',
  adEvents: 'ad-events',
  adConversions: 'ad-conversions',
  npsResponses: 'nps-responses',
  cartUsers: 'cart-users',
  visitors: 'visitors',
  visits: 'visits',
  stageEntries: 'stage-entries',
  journeyPaths: 'journey-paths',
  journeySummary: 'journey-summary',
  surveySources: 'survey-sources',
  cohortConversions: 'cohort-conversions',
} as const satisfies Record<keyof ComputeRows, string>;

/** A DuckDB session over one task's window, ready for the metric SQL (`shared/metrics/*.sql`). */
export interface ComputeSession {
  readonly engine: DuckDbSession;
  /** The `$parameters` the SQL files use. */
  readonly params: Record<string, DuckDBValue>;
  /** The `{{fragments}}` the SQL files use. */
  readonly fragments: Record<string, string>;
}

/**
 * Fetches the lake partitions of the range widened by the lookback (events), of every day
 * (identities, refunds) and of every day up to the window (the conversion and visitor indexes),
 * and of the lookback after the range (`lake_later`, for journeys.sql's horizon), opens the
 * engine on them (`lake_events`, `lake_identities`, `lake_refunds`, `lake_conversions`,
 * `lake_visitors`, `local_days`) and gives the parameters of one task. The caller closes the engine. Shared by computeBucket and the compute profile (bench/compute-profile.ts).
 */
export async function openComputeSession(
  range: ComputeRange,
  bucket: number,
  buckets: number,
  deps: Pick<ComputeDeps, 'lakeStore' | 'config' | 'openEngine' | 'today'>,
): Promise<ComputeSession> {
  const { timeZone, lookbackDays, timeDecayHalfLifeDays } = deps.config;
  const { lo, hi, utcDates, horizon, laterUtcDates } = computeWindow(range, deps.config);
  // The days after the window up to its horizon, those that have begun: a range ending today
  // (every scheduled compute) has none but the window's last UTC day, which both tables read
  // (its hours after the range), fetched once.
  const today = deps.today ?? new Date().toISOString().slice(0, 10);
  const lastDay = utcDates.at(-1) as string;
  const afterDates = laterUtcDates.filter((date) => date > lastDay && date <= today);
  // Identity links and refunds of every day: either can change events long before them; and
  // every day's conversions and visitors, so a first conversion or page view is a first ever.
  const none = Promise.resolve([] as string[]);
  const [windowFiles, lastDayFiles, afterFiles, identityFiles, refundFiles, conversionFiles, visitorFiles] =
    await Promise.all([
      deps.lakeStore.fetchPartitions('events', utcDates.slice(0, -1)),
      deps.lakeStore.fetchPartitions('events', [lastDay]),
      afterDates.length > 0 ? deps.lakeStore.fetchPartitions('events', afterDates) : none,
      deps.lakeStore.fetchPartitions('identities'),
      deps.lakeStore.fetchPartitions('refunds'),
      // Only the days up to the window's first: the window's own are read in full.
      deps.lakeStore.fetchPartitions('conversions', { through: utcDates[0] as string }),
      deps.lakeStore.fetchPartitions('visitors', { through: utcDates[0] as string }),
    ]);
  const engine = await deps.openEngine();
  try {
    // Every join builds its hash table on its right side, as written in the metric SQL: from its
    // cardinality estimates DuckDB would rather build on ev's filtered lake scan (10M rows) than
    // on the user keys (1.25M), which made every read of ev 3× slower.
    await engine.run("SET disabled_optimizers = 'build_side_probe_side'");
    // No query's answer depends on row order (every fold sorts), and keeping it costs memory.
    await engine.run('SET preserve_insertion_order = false');
    await registerTable(engine, 'lake_events', EVENT_COLUMNS, [...windowFiles, ...lastDayFiles]);
    await registerTable(engine, 'lake_later', EVENT_COLUMNS, [...lastDayFiles, ...afterFiles]);
    await registerTable(engine, 'lake_identities', IDENTITY_COLUMNS, identityFiles);
    await registerTable(engine, 'lake_refunds', REFUND_COLUMNS, refundFiles);
    await registerTable(engine, 'lake_conversions', CONVERSION_COLUMNS, conversionFiles);
    await registerTable(engine, 'lake_visitors', VISITOR_COLUMNS, visitorFiles);
    await engine.run(
      `CREATE OR REPLACE TEMP TABLE local_days AS
       SELECT b AS bucket, strftime(timezone($tz, to_timestamp(b * 900)), '%Y-%m-%d') AS day
       FROM range($first, $last + 1) t(b)`,
      { tz: timeZone, first: Math.floor(lo / 900_000), last: Math.floor(hi / 900_000) },
    );
  } catch (error) {
    await engine.close();
    throw error;
  }
  return {
    engine,
    params: {
      lo,
      hi,
      horizon,
      from: range.from,
      to: range.to,
      bucket,
      buckets,
      lookback_ms: lookbackDays * DAY_MS,
      half_life_ms: timeDecayHalfLifeDays * DAY_MS,
      credit_unit: CREDIT_UNIT,
      exact_limit: EXACT_LIMIT,
    },
    fragments: {
      // The window and bucket again, as literals for window-events.sql's view (a view takes no
      // parameters; literals, unlike a one-row table, let DuckDB plan its joins well).
      lo: String(lo),
      hi: String(hi),
      bucket: String(bucket),
      // Channel codes of journey-paths.sql: a channel's place in this list, from 1.
      channel_ids: literalList(CHANNEL_IDS),
      max_path_steps: String(MAX_PATH_STEPS),
      latest_copy_first: LATEST_COPY_FIRST,
      // A touch's attribution key (attribution/partial.ts creditKey): channel, US, campaign.
      credit_key: "channel || chr(31) || replace(campaign, chr(31), ' ')",
      user_hash: sqlUserHash('person'),
      register_index: sqlRegisterIndex('u.user_hash'),
      register_rank: sqlRegisterRank('u.user_hash'),
      user_sketches: readSql('user-sketches'),
    },
  };
}

/**
 * One compute task: every metric and the attribution statistics of the range, as SQL run by
 * DuckDB over the lake partitions of the range widened by the lookback, for the persons of one
 * hash bucket (buckets hold whole journeys, so their partials merge exactly).
 */
export async function computeBucket(
  range: ComputeRange,
  bucket: number,
  buckets: number,
  deps: Pick<ComputeDeps, 'lakeStore' | 'config' | 'openEngine' | 'today'>,
): Promise<BucketResult> {
  const { engine, params, fragments } = await openComputeSession(range, bucket, buckets, deps);
  try {
    for (const name of COMPUTE_PREPARE) {
      for (const statement of statementsOf(name, params, fragments))
        await engine.run(statement.sql, statement.params);
    }
    const rows: Record<string, unknown[]> = {};
    for (const [key, name] of Object.entries(COMPUTE_QUERIES)) {
      const [statement] = statementsOf(name, params, fragments);
      if (!statement) throw new Error(`${name}.sql holds no statement`);
      rows[key] = await engine.all(statement.sql, statement.params);
    }
    const [{ events } = { events: 0n }] = await engine.all<{ events: bigint }>(
      'SELECT count(*) AS events FROM ev',
    );
    return {
      partial: foldComputeRows(rows as unknown as ComputeRows, voicesKeptOf(deps.config)),
      events: Number(events),
    };
  } finally {
    await engine.close();
  }
}

/** Share of voice always lists the brand and competitors: a day never cuts them. */
function voicesKeptOf(config: Pick<AttributionConfig, 'brand' | 'competitors'>): string[] {
  return [config.brand.name, ...config.competitors.map((c) => c.name)];
}

/**
 * The reduce step: merges bucket partials, folds in the spend of the range and stores one
 * partial per day, including empty days, so a recompute also clears what no longer holds.
 */
export async function reduceBuckets(
  partials: readonly ComputePartial[],
  range: ComputeRange,
  version: string,
  deps: Pick<ComputeDeps, 'spendStore' | 'dayStore' | 'config'>,
): Promise<number> {
  const spend = await deps.spendStore.list(range.from, range.to);
  const merged = mergeBucketPartials(partials, voicesKeptOf(deps.config));
  const metrics = addSpend(merged.metrics, spend, range);
  const attribution = addAttributionSpend(merged.attribution, spend, range);
  const journey = addAdSpend(merged.journey, spend, range);
  const days = new Map<string, StoredDay>();
  for (const date of datesBetween(range.from, range.to)) {
    const empty = emptyDayResult();
    days.set(
      date,
      toStoredDay(
        {
          metrics: metrics.days[date] ?? empty.metrics,
          attribution: attribution.days[date] ?? empty.attribution,
          journey: journey.days[date] ?? empty.journey,
        },
        date,
      ),
    );
  }
  await deps.dayStore.writeDays(days, version);
  return days.size;
}

/**
 * A lake table as a view over its fetched partitions, with every declared column: a partition
 * written before a column existed (`bot`, `visit_id`) reads it as NULL instead of failing the
 * query, so adding a column never needs a replay. Each row also names where it was read
 * (`file_index`, `file_row_number`), so one copy of a repeated event_id can be told from another.
 * Without partitions, an empty table.
 */
export async function registerTable<T>(
  engine: DuckDbSession,
  name: string,
  columns: ReadonlyArray<LakeColumn<T>>,
  files: readonly string[],
): Promise<void> {
  const declared = [
    ...columns.map((c) => `${c.name} ${c.type}`),
    'file_index UBIGINT',
    'file_row_number BIGINT',
  ];
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${name}_declared (${declared.join(', ')})`);
  await engine.run(
    files.length > 0
      ? `CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM ${name}_declared UNION ALL BY NAME SELECT *, file_index, file_row_number FROM read_parquet(${literalList(files)}, union_by_name = true)`
      : `CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM ${name}_declared`,
  );
}

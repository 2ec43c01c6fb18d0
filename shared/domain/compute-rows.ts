import type { HeuristicModel } from './attribution/models.ts';
import {
  AttributionDayAccumulator,
  type AttributionPartial,
  KEY_SEPARATOR,
  mergeAttribution,
} from './attribution/partial.ts';
import type { ChannelId } from './channel-ids.ts';
import type { ComputePartial } from './day-result.ts';
import type { EmailAction, Stage } from './event-schema.ts';
import { STAGES } from './event-schema.ts';
import {
  type AdCell,
  type AdGrouping,
  type CartCell,
  type EmailCell,
  emptyAdCell,
  emptyJourneyDay,
  type JourneyDay,
  type JourneyPartial,
  MAX_PATHS,
  mergeJourneyPartials,
  type PathCell,
  type VisitorCell,
} from './journey/journey-day.ts';
import {
  boundMetricsDays,
  boundReferrals,
  boundVoices,
  CHANNEL_RANK,
  type DayPartial,
  emptyDay,
  MAX_REFERRAL_DOMAINS,
  MAX_VOICE_NAMES,
  type MetricsPartial,
  mergeAll,
  orderedKeys,
  pickCategory,
  putOwn,
  type ReferralCategory,
  type ReferralCell,
  recordOf,
  type StageCell,
} from './metrics/partial.ts';
import { denseSketchOfRegisters, sketchOfHashes } from './metrics/user-sketch.ts';

/** SQL sums arrive as bigint (HUGEINT); counts and micros are plain numbers from here on. */
type Num = number | bigint;

/** A row of a query built on user-sketches.sql: a cell (day and two-part key), its events and users. */
interface SketchRow {
  day: string;
  k1: string;
  k2: string;
  events: Num;
  hashes: readonly bigint[] | null;
  registers: string | null;
}

/** The sketch of a sketch row's users. */
const sketchOf = (row: SketchRow) =>
  row.registers ? denseSketchOfRegisters(row.registers) : sketchOfHashes(row.hashes ?? []);

/** The rows the compute SQL returns, one array per query in `shared/metrics/`. */
export interface ComputeRows {
  readonly touches: ReadonlyArray<{ day: string; channel: string; touches: Num }>;
  readonly conversions: ReadonlyArray<{
    day: string;
    channel: string;
    stage: string | null;
    referral_domain: string | null;
    referral_category: string | null;
    conversions: Num;
    value_micros: Num;
  }>;
  readonly voices: ReadonlyArray<{ day: string; source: string; name: string; count: Num }>;
  readonly referralVisits: ReadonlyArray<{
    day: string;
    domain: string;
    category: string | null;
    visits: Num;
  }>;
  /** Stage (k1) and channel (k2). */
  readonly stageUsers: ReadonlyArray<SketchRow>;
  readonly credits: ReadonlyArray<{
    day: string;
    model: string;
    credit_key: string;
    credit: Num;
    value_micros: Num;
  }>;
  readonly transitions: ReadonlyArray<{ day: string; from_state: string; to_state: string; count: Num }>;
  readonly channelSets: ReadonlyArray<{
    day: string;
    channel_set: string;
    conversions: Num;
    value_micros: Num;
  }>;
  readonly touchless: ReadonlyArray<{ day: string; conversions: Num; value_micros: Num }>;
  readonly attributionTouches: ReadonlyArray<{ day: string; credit_key: string; touches: Num }>;
  /** Campaign (k1) and action (k2). */
  readonly emailRecipients: ReadonlyArray<SketchRow>;
  readonly adEvents: ReadonlyArray<{
    day: string;
    grouping: string;
    key: string;
    impressions: Num;
    clicks: Num;
    cost_micros: Num;
  }>;
  readonly adConversions: ReadonlyArray<{ day: string; grouping: string; key: string; conversions: Num }>;
  readonly npsResponses: ReadonlyArray<{
    day: string;
    user_hash: bigint;
    ts: Num;
    score: number;
    channel: string;
  }>;
  /** Adds, checkouts or purchases (k1). */
  readonly cartUsers: ReadonlyArray<SketchRow>;
  /** All or new visitors (k1). */
  readonly visitors: ReadonlyArray<SketchRow>;
  readonly visits: ReadonlyArray<{ day: string; visits: Num; page_views: Num; bounces: Num; visit_ms: Num }>;
  readonly stageEntries: ReadonlyArray<{
    day: string;
    stage: string;
    channel: string;
    days: number;
    people: Num;
  }>;
  readonly journeyPaths: ReadonlyArray<{
    day: string;
    converting: boolean;
    path: string;
    journeys: Num;
    conversions: Num;
    value_micros: Num;
  }>;
  readonly journeySummary: ReadonlyArray<{ day: string; kind: string; key: string; conversions: Num }>;
  readonly surveySources: ReadonlyArray<{ day: string; answer: string; responses: Num }>;
  readonly cohortConversions: ReadonlyArray<{
    day: string;
    user_hash: bigint;
    ts: Num;
    first: boolean;
    value_micros: Num;
    channel: string;
  }>;
}

interface MetricsDay {
  touches: Map<string, number>;
  conversions: Map<string, number>;
  valueMicros: Map<string, number>;
  ads: Map<string, number>;
  search: Map<string, number>;
  referrals: Map<string, ReferralCell>;
  stages: Map<string, Map<string, StageCell>>;
}

/**
 * Folds the compute SQL's rows into the canonical per-day partials the results store keeps and
 * the query finalisers read. Sums are plain doubles from here on: exact to the unit up to 2⁵³
 * (9·10⁹ currency units in micros), and past that still correct to 15 significant digits, so a
 * large revenue never fails a job.
 */
export function foldComputeRows(rows: ComputeRows, voicesKept: readonly string[]): ComputePartial {
  return {
    metrics: foldMetrics(rows, voicesKept),
    attribution: foldAttribution(rows),
    journey: foldJourney(rows),
  };
}

/**
 * How many times the stored number of paths, answers, voices and referring domains a bucket's
 * day keeps: names any sender may invent must not grow a partial without bound, and an entry
 * must rank past 10,000th in a bucket yet within the day's 1,000 largest to be missed (a path
 * of a few journeys spread evenly over many buckets).
 */
const BUCKET_KEEPS = 10;

/**
 * The partials of a compute's buckets as one: sums and sketches merged, then each day's largest
 * share-of-voice names (the configured ones always: `voicesKept`), referring domains, paths and
 * survey answers kept and the rest summed apart. Buckets are not cut, so which entries a day
 * keeps does not depend on how its persons were split.
 */
export function mergeBucketPartials(
  partials: readonly ComputePartial[],
  voicesKept: readonly string[],
): ComputePartial {
  return {
    metrics: boundMetricsDays(mergeAll(partials.map((p) => p.metrics)), voicesKept),
    attribution: mergeAttribution(partials.map((p) => p.attribution)),
    journey: mergeJourneyPartials(partials.map((p) => p.journey)),
  };
}

function foldJourney(rows: ComputeRows): JourneyPartial {
  const days = new Map<string, JourneyDay>();
  const dayOf = (date: string): JourneyDay => {
    let day = days.get(date);
    if (!day) {
      day = emptyJourneyDay();
      days.set(date, day);
    }
    return day;
  };
  for (const row of rows.emailRecipients) {
    const day = dayOf(row.day);
    const cell: EmailCell = Object.hasOwn(day.email, row.k1) ? (day.email[row.k1] as EmailCell) : {};
    cell[row.k2 as EmailAction] = sketchOf(row);
    putOwn(day.email, row.k1, cell);
  }
  const adCell = (date: string, grouping: string, key: string): AdCell => {
    const cells = dayOf(date).ads[grouping as AdGrouping];
    if (!Object.hasOwn(cells, key)) putOwn(cells, key, emptyAdCell());
    return cells[key] as AdCell;
  };
  for (const row of rows.adEvents) {
    const cell = adCell(row.day, row.grouping, row.key);
    cell.impressions += Number(row.impressions);
    cell.clicks += Number(row.clicks);
    cell.costMicros += Number(row.cost_micros);
  }
  for (const row of rows.adConversions)
    adCell(row.day, row.grouping, row.key).conversions += Number(row.conversions);
  for (const row of rows.npsResponses) {
    const hash = row.user_hash.toString(16).padStart(16, '0');
    dayOf(row.day).nps.push([hash, Number(row.ts), Number(row.score), row.channel as ChannelId]);
  }
  for (const row of rows.visitors) dayOf(row.day).visitors[row.k1 as keyof VisitorCell] = sketchOf(row);
  for (const row of rows.visits) {
    dayOf(row.day).visits = {
      visits: Number(row.visits),
      pageViews: Number(row.page_views),
      bounces: Number(row.bounces),
      visitMs: Number(row.visit_ms),
    };
  }
  for (const row of rows.stageEntries) {
    const waits = dayOf(row.day).stageWaits;
    const byChannel = waits[row.stage as Stage] ?? {};
    waits[row.stage as Stage] = byChannel;
    const histogram = byChannel[row.channel as ChannelId] ?? {};
    byChannel[row.channel as ChannelId] = histogram;
    histogram[String(row.days)] = (histogram[String(row.days)] ?? 0) + Number(row.people);
  }
  for (const row of rows.journeyPaths) {
    const day = dayOf(row.day);
    // journey-paths.sql keeps a very long path's last MAX_PATH_STEPS steps (journey-day.ts).
    const { path } = row;
    const journeys = Number(row.journeys);
    if (row.converting) {
      const cell = Object.hasOwn(day.convertingPaths, path)
        ? (day.convertingPaths[path] as PathCell)
        : { journeys: 0, conversions: 0, valueMicros: 0 };
      cell.journeys += journeys;
      cell.conversions += Number(row.conversions);
      cell.valueMicros += Number(row.value_micros);
      putOwn(day.convertingPaths, path, cell);
    } else {
      const n =
        (Object.hasOwn(day.nonConvertingPaths, path) ? (day.nonConvertingPaths[path] as number) : 0) +
        journeys;
      putOwn(day.nonConvertingPaths, path, n);
    }
  }
  for (const row of rows.journeySummary) {
    const journeys = dayOf(row.day).conversionJourneys;
    const n = Number(row.conversions);
    if (row.kind === 'touches') journeys.byTouches[row.key] = (journeys.byTouches[row.key] ?? 0) + n;
    else if (row.kind === 'days') journeys.byDays[row.key] = (journeys.byDays[row.key] ?? 0) + n;
    else {
      const cell = journeys.assists[row.key as ChannelId] ?? { assisted: 0, lastTouch: 0 };
      journeys.assists[row.key as ChannelId] = cell;
      if (row.kind === 'assisted') cell.assisted += n;
      else cell.lastTouch += n;
    }
  }
  for (const row of rows.surveySources) {
    const day = dayOf(row.day);
    putOwn(day.surveyAnswers, row.answer, Number(row.responses));
  }
  for (const row of rows.cohortConversions) {
    const hash = row.user_hash.toString(16).padStart(16, '0');
    dayOf(row.day).cohortConversions.push([
      hash,
      Number(row.ts),
      row.first,
      Number(row.value_micros),
      row.channel as ChannelId,
    ]);
  }
  for (const row of rows.cartUsers) dayOf(row.day).cart[row.k1 as keyof CartCell] = sketchOf(row);
  // Through the merge, for the canonical form (ordered keys, actions in order, no empty cells).
  // Cut only far past the stored top paths, which is taken once the buckets are merged (reduce).
  return mergeJourneyPartials([{ days: Object.fromEntries(days) }], { limit: BUCKET_KEEPS * MAX_PATHS });
}

function foldMetrics(rows: ComputeRows, voicesKept: readonly string[]): MetricsPartial {
  const days = new Map<string, MetricsDay>();
  const dayOf = (date: string): MetricsDay => {
    let day = days.get(date);
    if (!day) {
      day = {
        touches: new Map(),
        conversions: new Map(),
        valueMicros: new Map(),
        ads: new Map(),
        search: new Map(),
        referrals: new Map(),
        stages: new Map(),
      };
      days.set(date, day);
    }
    return day;
  };
  const referral = (day: MetricsDay, domain: string, category: string | null): ReferralCell => {
    const wanted = (category ?? 'referral') as ReferralCategory;
    let cell = day.referrals.get(domain);
    if (!cell) {
      cell = { category: wanted, visits: 0, conversions: 0 };
      day.referrals.set(domain, cell);
    } else cell.category = pickCategory(cell.category, wanted);
    return cell;
  };
  for (const row of rows.touches) add(dayOf(row.day).touches, row.channel, row.touches);
  for (const row of rows.conversions) {
    const day = dayOf(row.day);
    add(day.conversions, row.channel, row.conversions);
    add(day.valueMicros, row.channel, row.value_micros);
    if (row.referral_domain)
      referral(day, row.referral_domain, row.referral_category).conversions += Number(row.conversions);
  }
  for (const row of rows.voices)
    add(row.source === 'ads' ? dayOf(row.day).ads : dayOf(row.day).search, row.name, row.count);
  for (const row of rows.referralVisits)
    referral(dayOf(row.day), row.domain, row.category).visits += Number(row.visits);
  for (const row of rows.stageUsers) {
    const day = dayOf(row.day);
    let cells = day.stages.get(row.k1);
    if (!cells) {
      cells = new Map();
      day.stages.set(row.k1, cells);
    }
    cells.set(row.k2, { events: Number(row.events), users: sketchOf(row) });
  }
  const out: Record<string, DayPartial> = {};
  for (const date of [...days.keys()].sort()) {
    const day = days.get(date) as MetricsDay;
    const partial = emptyDay();
    partial.touches = recordOf(day.touches, CHANNEL_RANK) as DayPartial['touches'];
    partial.conversions = recordOf(day.conversions, CHANNEL_RANK) as DayPartial['conversions'];
    partial.valueMicros = recordOf(day.valueMicros, CHANNEL_RANK) as DayPartial['valueMicros'];
    // Cut only far past the stored top: a bucket holds some of the persons, and the day's
    // largest names and domains are taken once its buckets are merged (boundMetricsDays).
    const voices = { ads: recordOf(day.ads), search: recordOf(day.search) };
    Object.assign(partial, boundVoices(voices, voicesKept, BUCKET_KEEPS * MAX_VOICE_NAMES));
    Object.assign(partial, boundReferrals(day.referrals, BUCKET_KEEPS * MAX_REFERRAL_DOMAINS));
    const stages: Array<[Stage, Partial<Record<ChannelId, StageCell>>]> = [];
    for (const stage of STAGES) {
      const cells = day.stages.get(stage);
      if (!cells) continue;
      stages.push([
        stage,
        Object.fromEntries(
          orderedKeys(cells.keys(), CHANNEL_RANK).map((channel) => [channel, cells.get(channel)]),
        ),
      ]);
    }
    partial.stages = Object.fromEntries(stages);
    out[date] = partial;
  }
  return { days: out };
}

function foldAttribution(rows: ComputeRows): AttributionPartial {
  const days = new Map<string, AttributionDayAccumulator>();
  const dayOf = (date: string): AttributionDayAccumulator => {
    let day = days.get(date);
    if (!day) {
      day = new AttributionDayAccumulator();
      days.set(date, day);
    }
    return day;
  };
  for (const row of rows.credits) {
    dayOf(row.day).addCredit(
      row.model as HeuristicModel,
      row.credit_key,
      Number(row.credit),
      Number(row.value_micros),
    );
  }
  for (const row of rows.transitions) {
    dayOf(row.day).addTransition(`${row.from_state}${KEY_SEPARATOR}${row.to_state}`, Number(row.count));
  }
  for (const row of rows.channelSets) {
    dayOf(row.day).addChannelSet(row.channel_set, Number(row.conversions), Number(row.value_micros));
  }
  for (const row of rows.touchless)
    dayOf(row.day).addTouchless(Number(row.conversions), Number(row.value_micros));
  for (const row of rows.attributionTouches) dayOf(row.day).addTouch(row.credit_key, Number(row.touches));
  return {
    days: Object.fromEntries(
      [...days.keys()].sort().map((date) => [date, (days.get(date) as AttributionDayAccumulator).toDay()]),
    ),
  };
}

function add(map: Map<string, number>, key: string, value: Num): void {
  const number = Number(value);
  if (number !== 0) map.set(key, (map.get(key) ?? 0) + number);
}

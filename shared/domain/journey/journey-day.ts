import { z } from 'zod';
import { type ChannelId, channelIdSchema } from '../channel-ids.ts';
import { calendarDateSchema } from '../dates.ts';
import { EMAIL_ACTIONS, type EmailAction, STAGES, type Stage, stageSchema } from '../event-schema.ts';
import { byCodeUnit, CHANNEL_RANK, dataRecord, orderedKeys, pushTo } from '../metrics/partial.ts';
import { EMPTY_SKETCH, mergeSketches, type UserSketch, userSketchSchema } from '../metrics/user-sketch.ts';

/**
 * The journey analytics' share of a stored day (README: Journey analytics): mergeable like the
 * metric partial (sums, and user sketches merged by union), kept apart from it so each finaliser
 * reads only its own part.
 *
 * Canonical form: empty cells and zero counts are never stored; keys are in code-unit order (e-mail
 * actions in {@link EMAIL_ACTIONS} order); records keyed by data are built with
 * `Object.fromEntries`, so a campaign named `__proto__` is an ordinary own property.
 */

/** Distinct recipients of one e-mail campaign per action, as user sketches (user-sketch.ts). */
export type EmailCell = Partial<Record<EmailAction, UserSketch>>;

/** The counts of the e-mail funnel, each a number of distinct recipients per campaign, summed. */
export interface EmailCounts {
  sent: number;
  delivered: number;
  bounced: number;
  opened: number;
  clicked: number;
  unsubscribed: number;
  complained: number;
  subscribed: number;
}

/** How ad figures are grouped (`GET /v1/metrics/ads?groupBy=`). */
export const AD_GROUPINGS = ['platform', 'campaign', 'creative'] as const;
export type AdGrouping = (typeof AD_GROUPINGS)[number];

/** Ad figures of one platform, campaign or creative on one day. */
export interface AdCell {
  /** Ad impressions, weighted by `count`. */
  impressions: number;
  /** Ad clicks, weighted by `count`. */
  clicks: number;
  /** The `cost` the ad events carry, in micros. */
  costMicros: number;
  /** Spend rows (`POST /v1/spend`) of the key, in micros; added by the reduce step. */
  spendMicros: number;
  /** Conversions whose last touch was an ad event of the key. */
  conversions: number;
}

/**
 * One person's latest NPS answer of a day: their user hash (16 hex), when (epoch ms), the score
 * and the channel of their first touch in the lookback before it.
 */
export type NpsAnswer = [userHash: string, ts: number, score: number, channel: ChannelId];

/** Users of a day's cart funnel, as user sketches. */
export interface CartCell {
  /** Users who added something to a cart. */
  adds?: UserSketch;
  /** Users who started a checkout. */
  checkouts?: UserSketch;
  /** Users who bought (a `purchase` conversion) at or after an add of theirs within the lookback. */
  purchases?: UserSketch;
}
export const CART_KINDS = ['adds', 'checkouts', 'purchases'] as const;

/** A day's visits with a page view. */
export interface VisitCell {
  visits: number;
  pageViews: number;
  /** Visits with a single page view. */
  bounces: number;
  /** Milliseconds from each visit's first page view to its last, summed. */
  visitMs: number;
}

/** A day's visitors, as user sketches. */
export interface VisitorCell {
  /** People with a page view. */
  all?: UserSketch;
  /** Of those, people whose first page view ever is on the day. */
  new?: UserSketch;
}
export const VISITOR_KINDS = ['all', 'new'] as const;

/** Stage entries per stage and channel: people by whole days since their previous-stage event. */
export type StageWaits = Partial<Record<Stage, Partial<Record<ChannelId, Record<string, number>>>>>;

/** The converting journeys of one collapsed path (channels joined by '>'). */
export interface PathCell {
  journeys: number;
  conversions: number;
  valueMicros: number;
}

/**
 * Most paths of each kind a stored day or block keeps (converting ones by conversions,
 * non-converting ones by journeys); the rest are summed apart.
 */
export const MAX_PATHS = 1000;
/** Steps a stored path keeps: a longer one keeps its last ones (those nearest its end). */
export const MAX_PATH_STEPS = 20;

/** Conversions by their journey's shape, and the assists of each channel. */
export interface ConversionJourneys {
  /** Conversions by touches in their journey (not collapsed; "0": without a touch). */
  byTouches: Record<string, number>;
  /** Conversions by whole days from their journey's first touch (none without a touch). */
  byDays: Record<string, number>;
  /** Per channel: conversions it assisted (in the journey, not the last touch), and closed. */
  assists: Partial<Record<ChannelId, { assisted: number; lastTouch: number }>>;
}

/**
 * One conversion of a day for cohorts: its person's user hash (16 hex), when (epoch ms), whether
 * it is the person's first ever, its value in micros, its journey's first channel.
 */
export type CohortConversion = [
  userHash: string,
  ts: number,
  first: boolean,
  valueMicros: number,
  channel: ChannelId,
];

export interface JourneyDay {
  /** Per e-mail campaign. */
  email: Record<string, EmailCell>;
  /**
   * The e-mail funnel of each single day held, by date: set when a day is stored (from its
   * campaigns' cells, email-funnel.ts), so a block of days still answers a row per day.
   */
  emailDays: Record<string, EmailCounts>;
  /** Per platform, campaign and creative. */
  ads: Record<AdGrouping, Record<string, AdCell>>;
  /**
   * The day's NPS answers, one per person, ordered by hash: kept per person because a range counts
   * each person's latest answer. Stored in single days only (day-result.ts: the `people` section).
   */
  nps: NpsAnswer[];
  cart: CartCell;
  visits: VisitCell;
  visitors: VisitorCell;
  /** For the funnel's median days from the previous stage. */
  stageWaits: StageWaits;
  /** Converting journeys per collapsed path, at most {@link MAX_PATHS}; `otherPaths` sums the rest. */
  convertingPaths: Record<string, PathCell>;
  otherPaths: PathCell;
  /** Non-converting journeys per collapsed path, at most {@link MAX_PATHS}; `otherNonConverting` sums the rest. */
  nonConvertingPaths: Record<string, number>;
  otherNonConverting: number;
  conversionJourneys: ConversionJourneys;
  /** "How did you hear about us" answers (lower-cased), at most {@link MAX_PATHS}; the rest summed apart. */
  surveyAnswers: Record<string, number>;
  otherSurveyAnswers: number;
  /** The day's conversions, one entry each, ordered; in single days only, like the NPS answers. */
  cohortConversions: CohortConversion[];
}

/** Journey days keyed by `YYYY-MM-DD` (a compute step's output, and their merge). */
export interface JourneyPartial {
  days: Record<string, JourneyDay>;
}

const count = z.number().finite().min(0);

const npsAnswerSchema = z.tuple([
  z.string().regex(/^[0-9a-f]{16}$/),
  z.int(),
  z.int().min(0).max(10),
  channelIdSchema,
]);

const pathCellSchema = z.object({ journeys: count, conversions: count, valueMicros: count });

const adCellSchema = z.object({
  impressions: count,
  clicks: count,
  costMicros: count,
  spendMicros: count,
  conversions: count,
});

/** Validates a journey day read back; a field left out (another stored section's, or one written before it existed) reads as empty. */
export const journeyDaySchema: z.ZodType<JourneyDay, unknown> = z
  .object({
    email: dataRecord(z.partialRecord(z.enum(EMAIL_ACTIONS), userSketchSchema)).default({}),
    emailDays: z
      .record(
        calendarDateSchema,
        z.object({
          sent: count,
          delivered: count,
          bounced: count,
          opened: count,
          clicked: count,
          unsubscribed: count,
          complained: count,
          subscribed: count,
        }),
      )
      .default({}),
    ads: z
      .object({
        platform: dataRecord(adCellSchema),
        campaign: dataRecord(adCellSchema),
        creative: dataRecord(adCellSchema),
      })
      .default({ platform: {}, campaign: {}, creative: {} }),
    nps: z.array(npsAnswerSchema).default([]),
    cart: z
      .object({
        adds: userSketchSchema.optional(),
        checkouts: userSketchSchema.optional(),
        purchases: userSketchSchema.optional(),
      })
      .default({}),
    visits: z
      .object({ visits: count, pageViews: count, bounces: count, visitMs: count })
      .default({ visits: 0, pageViews: 0, bounces: 0, visitMs: 0 }),
    visitors: z.object({ all: userSketchSchema.optional(), new: userSketchSchema.optional() }).default({}),
    stageWaits: z
      .partialRecord(
        stageSchema,
        z.partialRecord(channelIdSchema, z.record(z.string().regex(/^\d+$/), count)),
      )
      .default({}),
    convertingPaths: dataRecord(pathCellSchema).default({}),
    otherPaths: pathCellSchema.default({ journeys: 0, conversions: 0, valueMicros: 0 }),
    nonConvertingPaths: dataRecord(count).default({}),
    otherNonConverting: count.default(0),
    conversionJourneys: z
      .object({
        byTouches: z.record(z.string().regex(/^\d+$/), count),
        byDays: z.record(z.string().regex(/^\d+$/), count),
        assists: z.partialRecord(channelIdSchema, z.object({ assisted: count, lastTouch: count })),
      })
      .default({ byTouches: {}, byDays: {}, assists: {} }),
    surveyAnswers: dataRecord(count).default({}),
    otherSurveyAnswers: count.default(0),
    cohortConversions: z
      .array(z.tuple([z.string().regex(/^[0-9a-f]{16}$/), z.int(), z.boolean(), count, channelIdSchema]))
      .default([]),
  })
  .optional()
  .transform((day) => day ?? emptyJourneyDay());

export function emptyJourneyDay(): JourneyDay {
  return {
    email: {},
    emailDays: {},
    ads: { platform: {}, campaign: {}, creative: {} },
    nps: [],
    cart: {},
    visits: { visits: 0, pageViews: 0, bounces: 0, visitMs: 0 },
    visitors: {},
    stageWaits: {},
    convertingPaths: {},
    otherPaths: { journeys: 0, conversions: 0, valueMicros: 0 },
    nonConvertingPaths: {},
    otherNonConverting: 0,
    conversionJourneys: { byTouches: {}, byDays: {}, assists: {} },
    surveyAnswers: {},
    otherSurveyAnswers: 0,
    cohortConversions: [],
  };
}

export function emptyAdCell(): AdCell {
  return { impressions: 0, clicks: 0, costMicros: 0, spendMicros: 0, conversions: 0 };
}

export interface MergeJourneyProps {
  /**
   * Paths and survey answers kept per day, the largest (default {@link MAX_PATHS}, the stored
   * form); the rest are summed apart.
   */
  readonly limit?: number;
}

/** Merges journey days (of one date from several buckets, or of consecutive days) into a new one. */
export function mergeJourneyDays(parts: readonly JourneyDay[], props: MergeJourneyProps = {}): JourneyDay {
  const limit = props.limit ?? MAX_PATHS;
  const email = new Map<string, Map<EmailAction, UserSketch[]>>();
  for (const part of parts) {
    for (const [campaign, cell] of Object.entries(part.email)) {
      let actions = email.get(campaign);
      if (!actions) {
        actions = new Map();
        email.set(campaign, actions);
      }
      for (const [action, sketch] of Object.entries(cell) as Array<[EmailAction, UserSketch]>) {
        pushTo(actions, action, sketch);
      }
    }
  }
  const emailEntries: Array<[string, EmailCell]> = [];
  for (const campaign of [...email.keys()].sort(byCodeUnit)) {
    const actions = email.get(campaign) as Map<EmailAction, UserSketch[]>;
    const cell: Array<[EmailAction, UserSketch]> = [];
    for (const action of EMAIL_ACTIONS) {
      const sketches = actions.get(action);
      if (!sketches) continue;
      const merged = mergeSketches(sketches);
      if (merged !== EMPTY_SKETCH) cell.push([action, merged]);
    }
    if (cell.length > 0) emailEntries.push([campaign, Object.fromEntries(cell)]);
  }
  const ads = emptyJourneyDay().ads;
  for (const grouping of AD_GROUPINGS) {
    ads[grouping] = sumAdCells(parts.map((part) => part.ads[grouping]));
  }
  const cart: CartCell = {};
  for (const kind of CART_KINDS) {
    const merged = mergeSketches(parts.map((part) => part.cart[kind] ?? EMPTY_SKETCH));
    if (merged !== EMPTY_SKETCH) cart[kind] = merged;
  }
  const nps = parts
    .flatMap((part) => part.nps)
    .sort((a, b) => byCodeUnit(a[0], b[0]) || a[1] - b[1] || a[2] - b[2] || byCodeUnit(a[3], b[3]));
  const visitors: VisitorCell = {};
  for (const kind of VISITOR_KINDS) {
    const merged = mergeSketches(parts.map((part) => part.visitors[kind] ?? EMPTY_SKETCH));
    if (merged !== EMPTY_SKETCH) visitors[kind] = merged;
  }
  const visits: VisitCell = { visits: 0, pageViews: 0, bounces: 0, visitMs: 0 };
  for (const part of parts) {
    visits.visits += part.visits.visits;
    visits.pageViews += part.visits.pageViews;
    visits.bounces += part.visits.bounces;
    visits.visitMs += part.visits.visitMs;
  }
  const stageWaits: StageWaits = {};
  for (const stage of STAGES) {
    const channels = new Map<string, Map<string, number>>();
    for (const part of parts) {
      for (const [channel, histogram] of Object.entries(part.stageWaits[stage] ?? {})) {
        const sums = channels.get(channel) ?? new Map<string, number>();
        for (const [days, people] of Object.entries(histogram))
          sums.set(days, (sums.get(days) ?? 0) + people);
        channels.set(channel, sums);
      }
    }
    if (channels.size === 0) continue;
    stageWaits[stage] = Object.fromEntries(
      orderedKeys(channels.keys(), CHANNEL_RANK).map((channel) => {
        const sums = channels.get(channel) as Map<string, number>;
        const days = [...sums.keys()].sort((a, b) => Number(a) - Number(b));
        return [channel, Object.fromEntries(days.map((d) => [d, sums.get(d) as number]))];
      }),
    );
  }
  return {
    email: Object.fromEntries(emailEntries),
    emailDays: unionEmailDays(parts),
    ads,
    nps,
    cart,
    visits,
    visitors,
    stageWaits,
    ...boundPaths(parts, limit),
    conversionJourneys: {
      byTouches: sumHistograms(parts.map((part) => part.conversionJourneys.byTouches)),
      byDays: sumHistograms(parts.map((part) => part.conversionJourneys.byDays)),
      assists: sumAssists(parts),
    },
    ...boundAnswers(parts, limit),
    cohortConversions: parts
      .flatMap((part) => part.cohortConversions)
      // A first conversion sorts before another at the same instant (SQL ranks them by event id).
      .sort(
        (a, b) =>
          byCodeUnit(a[0], b[0]) ||
          a[1] - b[1] ||
          Number(b[2]) - Number(a[2]) ||
          a[3] - b[3] ||
          byCodeUnit(a[4], b[4]),
      ),
  };
}

/**
 * The dated e-mail counts of merged parts, in date order. Consecutive days hold different dates;
 * parts of one date (a compute's buckets) hold none, since a day's counts are set when it is stored.
 */
function unionEmailDays(parts: readonly JourneyDay[]): Record<string, EmailCounts> {
  const dates = new Map<string, EmailCounts>();
  for (const part of parts) {
    for (const [date, counts] of Object.entries(part.emailDays)) {
      const held = dates.get(date);
      if (held) throw new RangeError(`e-mail counts of ${date} in two merged parts`);
      dates.set(date, counts);
    }
  }
  return Object.fromEntries([...dates].sort(([a], [b]) => byCodeUnit(a, b)));
}

/** The survey answers of merged parts, the {@link MAX_PATHS} most given kept, the others summed. */
function boundAnswers(
  parts: readonly JourneyDay[],
  limit: number,
): Pick<JourneyDay, 'surveyAnswers' | 'otherSurveyAnswers'> {
  const sums = new Map<string, number>();
  let other = 0;
  for (const part of parts) {
    for (const [answer, n] of Object.entries(part.surveyAnswers))
      sums.set(answer, (sums.get(answer) ?? 0) + n);
    other += part.otherSurveyAnswers;
  }
  const ranked = [...sums].sort(([a, x], [b, y]) => y - x || byCodeUnit(a, b));
  for (const [, n] of ranked.slice(limit)) other += n;
  const kept = ranked.slice(0, limit).sort(([a], [b]) => byCodeUnit(a, b));
  return { surveyAnswers: Object.fromEntries(kept), otherSurveyAnswers: other };
}

/**
 * The paths of merged parts: summed per path, the {@link MAX_PATHS} converting ones with the most
 * conversions (then journeys, then by key) and the {@link MAX_PATHS} non-converting ones with the
 * most journeys kept, the others summed apart. Beyond a day, the cut can miss a path that is small
 * in every part yet large in all of them: the top of a long range is the top of its parts' tops.
 */
function boundPaths(
  parts: readonly JourneyDay[],
  limit: number,
): Pick<JourneyDay, 'convertingPaths' | 'otherPaths' | 'nonConvertingPaths' | 'otherNonConverting'> {
  const sums = new Map<string, PathCell>();
  const nulls = new Map<string, number>();
  const otherPaths: PathCell = { journeys: 0, conversions: 0, valueMicros: 0 };
  let otherNonConverting = 0;
  const addTo = (target: PathCell, cell: PathCell) => {
    target.journeys += cell.journeys;
    target.conversions += cell.conversions;
    target.valueMicros += cell.valueMicros;
  };
  for (const part of parts) {
    for (const [path, cell] of Object.entries(part.convertingPaths)) {
      const sum = sums.get(path) ?? { journeys: 0, conversions: 0, valueMicros: 0 };
      addTo(sum, cell);
      sums.set(path, sum);
    }
    for (const [path, n] of Object.entries(part.nonConvertingPaths))
      nulls.set(path, (nulls.get(path) ?? 0) + n);
    addTo(otherPaths, part.otherPaths);
    otherNonConverting += part.otherNonConverting;
  }
  const ranked = [...sums].sort(
    ([a, x], [b, y]) => y.conversions - x.conversions || y.journeys - x.journeys || byCodeUnit(a, b),
  );
  for (const [, cell] of ranked.slice(limit)) addTo(otherPaths, cell);
  const rankedNulls = [...nulls].sort(([a, x], [b, y]) => y - x || byCodeUnit(a, b));
  for (const [, n] of rankedNulls.slice(limit)) otherNonConverting += n;
  const byKey = <T>(entries: Array<[string, T]>) => entries.sort(([a], [b]) => byCodeUnit(a, b));
  return {
    convertingPaths: Object.fromEntries(byKey(ranked.slice(0, limit))),
    otherPaths,
    nonConvertingPaths: Object.fromEntries(byKey(rankedNulls.slice(0, limit))),
    otherNonConverting,
  };
}

function sumHistograms(records: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const sums = new Map<string, number>();
  for (const record of records)
    for (const [key, n] of Object.entries(record)) sums.set(key, (sums.get(key) ?? 0) + n);
  const keys = [...sums.keys()]
    .filter((key) => (sums.get(key) ?? 0) > 0)
    .sort((a, b) => Number(a) - Number(b));
  return Object.fromEntries(keys.map((key) => [key, sums.get(key) as number]));
}

function sumAssists(parts: readonly JourneyDay[]): ConversionJourneys['assists'] {
  const sums = new Map<string, { assisted: number; lastTouch: number }>();
  for (const part of parts) {
    for (const [channel, cell] of Object.entries(part.conversionJourneys.assists)) {
      const sum = sums.get(channel) ?? { assisted: 0, lastTouch: 0 };
      sum.assisted += cell.assisted;
      sum.lastTouch += cell.lastTouch;
      sums.set(channel, sum);
    }
  }
  return Object.fromEntries(
    orderedKeys(sums.keys(), CHANNEL_RANK).map((channel) => [
      channel,
      sums.get(channel) as { assisted: number; lastTouch: number },
    ]),
  );
}

/** A canonical record of ad cells: summed per key, keys in code-unit order, empty cells left out. */
export function sumAdCells(records: ReadonlyArray<Readonly<Record<string, AdCell>>>): Record<string, AdCell> {
  const sums = new Map<string, AdCell>();
  for (const record of records) {
    for (const [key, cell] of Object.entries(record)) {
      const sum = sums.get(key) ?? emptyAdCell();
      sum.impressions += cell.impressions;
      sum.clicks += cell.clicks;
      sum.costMicros += cell.costMicros;
      sum.spendMicros += cell.spendMicros;
      sum.conversions += cell.conversions;
      sums.set(key, sum);
    }
  }
  const entries: Array<[string, AdCell]> = [];
  for (const key of [...sums.keys()].sort(byCodeUnit)) {
    const cell = sums.get(key) as AdCell;
    if (Object.values(cell).some((value) => value !== 0)) entries.push([key, cell]);
  }
  return Object.fromEntries(entries);
}

/** Merges journey partials day by day. */
export function mergeJourneyPartials(
  list: readonly JourneyPartial[],
  props: MergeJourneyProps = {},
): JourneyPartial {
  const byDay = new Map<string, JourneyDay[]>();
  for (const partial of list) {
    for (const [date, day] of Object.entries(partial.days)) pushTo(byDay, date, day);
  }
  const days: Array<[string, JourneyDay]> = [];
  for (const date of [...byDay.keys()].sort(byCodeUnit)) {
    days.push([date, mergeJourneyDays(byDay.get(date) ?? [], props)]);
  }
  return { days: Object.fromEntries(days) };
}

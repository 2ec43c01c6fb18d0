import { z } from 'zod';
import {
  type AttributionDay,
  type AttributionPartial,
  attributionDaySchema,
  emptyAttributionDay,
} from './attribution/index.ts';
import { mergeAttributionDays, settleSpend } from './attribution/partial.ts';
import type { ResultSection, ResultSections, SectionParts } from './day-blocks.ts';
import { withEmailDay } from './journey/email-funnel.ts';
import {
  emptyJourneyDay,
  type JourneyDay,
  type JourneyPartial,
  journeyDaySchema,
  mergeJourneyDays,
} from './journey/journey-day.ts';
import {
  type DayPartial,
  dayPartialSchema,
  type MetricsPartial,
  metricsPartialSchema,
} from './metrics/index.ts';
import { emptyDay, mergeDayRun } from './metrics/partial.ts';

/** What compute stores per calendar day: the metric partial, the attribution statistics, the journey analytics. */
export interface DayResult {
  metrics: DayPartial;
  attribution: AttributionDay;
  journey: JourneyDay;
}

/**
 * The journey day's fields by stored section: each is read only by the routes that finalise it
 * (the ads cells of thousands of campaigns are not parsed to answer a funnel). `people` holds the
 * per-person lists, which are kept in single days only (a block of them would grow with people × days).
 */
const JOURNEY_SECTIONS = {
  ads: ['ads'],
  email: ['email', 'emailDays'],
  paths: ['convertingPaths', 'otherPaths', 'nonConvertingPaths', 'otherNonConverting', 'conversionJourneys'],
  survey: ['surveyAnswers', 'otherSurveyAnswers'],
  journey: ['cart', 'visits', 'visitors', 'stageWaits'],
  people: ['nps', 'cohortConversions'],
} as const satisfies Record<string, ReadonlyArray<keyof JourneyDay>>;
type JourneySection = keyof typeof JOURNEY_SECTIONS;

/** A day result as stored: sections read apart (results-store.ts), so a route reads what it needs. */
export type StoredDay = { metrics: DayPartial; attribution: AttributionDay } & {
  [S in JourneySection]: Pick<JourneyDay, (typeof JOURNEY_SECTIONS)[S][number]>;
};
export type StoredSection = keyof StoredDay;

function pickFields<S extends JourneySection>(day: JourneyDay, section: S): StoredDay[S] {
  return Object.fromEntries(JOURNEY_SECTIONS[section].map((field) => [field, day[field]])) as StoredDay[S];
}

function journeySection<S extends JourneySection>(section: S): ResultSection<StoredDay[S]> {
  return {
    // The other fields read as their empty defaults, then are left out again.
    schema: journeyDaySchema.transform((day) => pickFields(day, section)),
    ...(section === 'people'
      ? {}
      : {
          mergeDays: (parts: ReadonlyMap<string, StoredDay[S]>) =>
            pickFields(
              mergeJourneyDays([...parts.values()].map((part) => ({ ...emptyJourneyDay(), ...part }))),
              section,
            ),
        }),
  };
}

/** How each section is validated read back and merged into blocks of days. */
export const STORED_SECTIONS: ResultSections<StoredDay> = {
  metrics: { schema: dayPartialSchema, mergeDays: mergeDayRun },
  attribution: {
    schema: attributionDaySchema,
    mergeDays: (parts) => mergeAttributionDays([...parts.values()].map(settleSpend)),
  },
  ads: journeySection('ads'),
  email: journeySection('email'),
  paths: journeySection('paths'),
  survey: journeySection('survey'),
  journey: journeySection('journey'),
  people: journeySection('people'),
};

/** The result of day `date` in its stored sections, with what is derived from the day as a whole. */
export function toStoredDay(day: DayResult, date: string): StoredDay {
  const dated = withEmailDay(day.journey, date);
  const journey = Object.fromEntries(
    (Object.keys(JOURNEY_SECTIONS) as JourneySection[]).map((section) => [
      section,
      pickFields(dated, section),
    ]),
  ) as { [S in JourneySection]: StoredDay[S] };
  return { metrics: day.metrics, attribution: day.attribution, ...journey };
}

/** The output of a map step, and of merging them: the partials, keyed by day. */
export interface ComputePartial {
  metrics: MetricsPartial;
  attribution: AttributionPartial;
  journey: JourneyPartial;
}

/** Validates a map step's output read back between steps. */
export const computePartialSchema: z.ZodType<ComputePartial, unknown> = z.object({
  metrics: metricsPartialSchema,
  attribution: z.object({ days: z.record(z.string(), attributionDaySchema) }),
  // A map step's output written by a version before journey analytics, read during a deploy.
  journey: z.object({ days: z.record(z.string(), journeyDaySchema) }).default({ days: {} }),
});

export function emptyDayResult(): DayResult {
  return { metrics: emptyDay(), attribution: emptyAttributionDay(), journey: emptyJourneyDay() };
}

/**
 * Stored sections read back (days, or blocks of days keyed by their first day) as the partials a
 * query finalises; sections not read are empty. A journey day is put together from the journey
 * sections read: the per-person section comes in single days while the others may come in blocks,
 * so a key can hold some fields only; every journey finaliser sums each field over the range.
 */
export function toComputePartial(read: Partial<SectionParts<StoredDay, StoredSection>>): ComputePartial {
  const metrics: MetricsPartial = { days: Object.fromEntries(read.metrics ?? []) };
  const attribution: AttributionPartial = { days: Object.fromEntries(read.attribution ?? []) };
  const days = new Map<string, JourneyDay>();
  for (const section of Object.keys(JOURNEY_SECTIONS) as JourneySection[]) {
    for (const [date, part] of read[section] ?? []) {
      days.set(date, Object.assign(days.get(date) ?? emptyJourneyDay(), part));
    }
  }
  const journey: JourneyPartial = {
    days: Object.fromEntries([...days].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  return { metrics, attribution, journey };
}

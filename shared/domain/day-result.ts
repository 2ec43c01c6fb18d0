import { z } from 'zod';
import {
  type AttributionDay,
  type AttributionPartial,
  attributionDaySchema,
  emptyAttributionDay,
} from './attribution/index.ts';
import { mergeAttributionDays, settleSpend } from './attribution/partial.ts';
import {
  emptyJourneyDay,
  type JourneyDay,
  type JourneyPartial,
  journeyDaySchema,
  mergeJourneyRun,
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

export const dayResultSchema: z.ZodType<DayResult, unknown> = z.object({
  metrics: dayPartialSchema,
  attribution: attributionDaySchema,
  journey: journeyDaySchema,
});

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
 * Consecutive days' results (keyed by their first day) as one (a stored block of days, see day-blocks.ts): every finaliser
 * answers the same from the merged result as from the days, because every figure is a sum or a
 * mergeable sketch and spend is settled against its own day's touches first.
 */
export function mergeDayResults(parts: ReadonlyMap<string, DayResult>): DayResult {
  const list = [...parts.values()];
  return {
    metrics: mergeDayRun(new Map([...parts].map(([date, part]) => [date, part.metrics]))),
    attribution: mergeAttributionDays(list.map((part) => settleSpend(part.attribution))),
    journey: mergeJourneyRun(list.map((part) => part.journey)),
  };
}

/** Splits stored day results (or blocks of days, keyed by their first day) back into the partials a query finalises. */
export function toComputePartial(days: ReadonlyMap<string, DayResult>): ComputePartial {
  const metrics: MetricsPartial = { days: {} };
  const attribution: AttributionPartial = { days: {} };
  const journey: JourneyPartial = { days: {} };
  for (const [date, day] of days) {
    metrics.days[date] = day.metrics;
    attribution.days[date] = day.attribution;
    journey.days[date] = day.journey;
  }
  return { metrics, attribution, journey };
}

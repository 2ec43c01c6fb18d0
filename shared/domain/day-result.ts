import { z } from 'zod';
import {
  type AttributionDay,
  type AttributionPartial,
  attributionDaySchema,
  emptyAttributionDay,
} from './attribution/index.ts';
import { mergeAttributionDays, settleSpend } from './attribution/partial.ts';
import {
  type DayPartial,
  dayPartialSchema,
  type MetricsPartial,
  metricsPartialSchema,
} from './metrics/index.ts';
import { emptyDay, mergeDayRun } from './metrics/partial.ts';

/** What compute stores per calendar day: the metric partial and the attribution statistics. */
export interface DayResult {
  metrics: DayPartial;
  attribution: AttributionDay;
}

export const dayResultSchema: z.ZodType<DayResult> = z.object({
  metrics: dayPartialSchema,
  attribution: attributionDaySchema,
});

/** The output of a map step, and of merging them: both partials, keyed by day. */
export interface ComputePartial {
  metrics: MetricsPartial;
  attribution: AttributionPartial;
}

/** Validates a map step's output read back between steps. */
export const computePartialSchema: z.ZodType<ComputePartial> = z.object({
  metrics: metricsPartialSchema,
  attribution: z.object({ days: z.record(z.string(), attributionDaySchema) }),
});

export function emptyDayResult(): DayResult {
  return { metrics: emptyDay(), attribution: emptyAttributionDay() };
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
  };
}

/** Splits stored day results (or blocks of days, keyed by their first day) back into the two partials a query finalises. */
export function toComputePartial(days: ReadonlyMap<string, DayResult>): ComputePartial {
  const metrics: MetricsPartial = { days: {} };
  const attribution: AttributionPartial = { days: {} };
  for (const [date, day] of days) {
    metrics.days[date] = day.metrics;
    attribution.days[date] = day.attribution;
  }
  return { metrics, attribution };
}

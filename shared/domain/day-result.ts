import { z } from 'zod';
import {
  type AttributionDay,
  type AttributionPartial,
  attributionDaySchema,
  emptyAttributionDay,
} from './attribution/index.ts';
import {
  type DayPartial,
  dayPartialSchema,
  type MetricsPartial,
  metricsPartialSchema,
} from './metrics/index.ts';
import { emptyDay } from './metrics/partial.ts';

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

/** Splits stored day results (in date order) back into the two partials a query finalises. */
export function toComputePartial(days: ReadonlyMap<string, DayResult>): ComputePartial {
  const metrics: MetricsPartial = { days: {} };
  const attribution: AttributionPartial = { days: {} };
  for (const [date, day] of days) {
    metrics.days[date] = day.metrics;
    attribution.days[date] = day.attribution;
  }
  return { metrics, attribution };
}

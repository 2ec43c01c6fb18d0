import type { ChannelId } from '../channel-ids.ts';
import { datesBetween } from '../dates.ts';
import { STAGES, type Stage } from '../event-schema.ts';
import type { MetricsPartial } from '../metrics/partial.ts';
import { pushTo } from '../metrics/partial.ts';
import {
  EMPTY_SKETCH,
  estimateOverlap,
  estimateUsers,
  mergeSketches,
  type UserSketch,
} from '../metrics/user-sketch.ts';
import { rate } from '../rates.ts';
import type { JourneyPartial } from './journey-day.ts';

export interface FunnelStage {
  stage: Stage;
  /** People with an event of this stage in the range. */
  users: number;
  /** Of the previous stage's people, the share who are also this stage's; `null` for the first stage. */
  fromPrevious: number | null;
  /** Median whole days from a person's previous-stage event to entering this stage; `null` without any. */
  medianDaysFromPrevious: number | null;
}

/** `GET /v1/metrics/funnel`. */
export interface FunnelResult {
  from: string;
  to: string;
  stages: FunnelStage[];
}

/**
 * The funnel over a range, stages in funnel order: the people of each stage from the stage user
 * sketches cpa-by-stage reads (a touch on its own channel, a conversion on its last touch's), the
 * step conversion as the overlap of consecutive stages' people (inclusion–exclusion: exact while
 * the sketches are, else with HyperLogLog's error), and the median wait from the entries' histograms.
 */
export function funnel(
  metrics: MetricsPartial,
  journey: JourneyPartial,
  props: { readonly from: string; readonly to: string; readonly channel?: ChannelId | undefined },
): FunnelResult {
  const sketches = new Map<Stage, UserSketch[]>();
  const waits = new Map<Stage, Map<number, number>>();
  for (const date of datesBetween(props.from, props.to)) {
    const day = Object.hasOwn(metrics.days, date) ? metrics.days[date] : undefined;
    for (const stage of STAGES) {
      for (const [channel, cell] of Object.entries(day?.stages[stage] ?? {})) {
        if (props.channel === undefined || channel === props.channel) pushTo(sketches, stage, cell.users);
      }
      const histograms = Object.hasOwn(journey.days, date)
        ? journey.days[date]?.stageWaits[stage]
        : undefined;
      for (const [channel, histogram] of Object.entries(histograms ?? {})) {
        if (props.channel !== undefined && channel !== props.channel) continue;
        const sums = waits.get(stage) ?? new Map<number, number>();
        for (const [days, people] of Object.entries(histogram))
          sums.set(Number(days), (sums.get(Number(days)) ?? 0) + people);
        waits.set(stage, sums);
      }
    }
  }
  const people = STAGES.map((stage) => mergeSketches(sketches.get(stage) ?? [EMPTY_SKETCH]));
  return {
    from: props.from,
    to: props.to,
    stages: STAGES.map((stage, i) => {
      const users = estimateUsers(people[i] as UserSketch);
      const previous = i === 0 ? undefined : (people[i - 1] as UserSketch);
      return {
        stage,
        users,
        fromPrevious:
          previous === undefined
            ? null
            : rate(estimateOverlap(previous, people[i] as UserSketch), estimateUsers(previous)),
        medianDaysFromPrevious: medianOf(waits.get(stage)),
      };
    }),
  };
}

/** The median of a histogram (value → how often): the middle value, or the mean of the two middle ones. */
export function medianOf(histogram: ReadonlyMap<number, number> | undefined): number | null {
  if (!histogram) return null;
  const entries = [...histogram].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const at = (rank: number): number => {
    let seen = 0;
    for (const [value, n] of entries) {
      seen += n;
      if (seen > rank) return value;
    }
    return entries[entries.length - 1]?.[0] as number;
  };
  return total % 2 === 1 ? at((total - 1) / 2) : (at(total / 2 - 1) + at(total / 2)) / 2;
}

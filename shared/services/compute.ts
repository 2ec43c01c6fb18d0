import type { EventStore } from '#adapters/event-store.ts';
import type { DayPartialStore } from '#adapters/results-store.ts';
import type { SpendStore } from '#adapters/spend-store.ts';
import { AttributionMapper, addAttributionSpend, mergeAttribution } from '#domain/attribution/index.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { addDays, datesBetween, startOfDay } from '#domain/dates.ts';
import { type ComputePartial, type DayResult, emptyDayResult } from '#domain/day-result.ts';
import { addSpend, mergeAll, SegmentMapper } from '#domain/metrics/index.ts';

export interface ComputeRange {
  /** First and last local day to compute, both included. */
  readonly from: string;
  readonly to: string;
}

export interface ComputeDeps {
  readonly eventStore: EventStore;
  readonly spendStore: SpendStore;
  readonly dayStore: DayPartialStore<DayResult>;
  readonly config: AttributionConfig;
}

export interface SegmentResult {
  readonly partial: ComputePartial;
  readonly events: number;
}

export interface ComputeStats {
  readonly events: number;
  readonly days: number;
  readonly segments: number;
}

/**
 * The map step: one parallel-scan segment → a mergeable partial. It reads the lookback window
 * before `from` too, so conversions early in the range still see their journeys.
 */
export async function computeSegment(
  segment: number,
  totalSegments: number,
  range: ComputeRange,
  deps: Pick<ComputeDeps, 'eventStore' | 'config'>,
): Promise<SegmentResult> {
  const { timeZone, lookbackDays } = deps.config;
  const fromTs = startOfDay(addDays(range.from, -lookbackDays), timeZone);
  const toTs = startOfDay(addDays(range.to, 1), timeZone) - 1;
  const props = { from: range.from, to: range.to, timeZone, lookbackDays };
  // Streamed page by page: the mappers keep what they need, not the scanned items.
  const metrics = new SegmentMapper(props);
  const attribution = new AttributionMapper({ ...props, halfLifeDays: deps.config.timeDecayHalfLifeDays });
  let events = 0;
  for await (const event of deps.eventStore.scanSegment(segment, totalSegments, { fromTs, toTs })) {
    metrics.add(event);
    attribution.add(event);
    events += 1;
  }
  return { partial: { metrics: metrics.finish(), attribution: attribution.finish() }, events };
}

/**
 * The reduce step: merges segment partials, folds in the spend of the range and stores one
 * partial per day, including empty days, so a recompute also clears what no longer holds.
 */
export async function reduceSegments(
  partials: readonly ComputePartial[],
  range: ComputeRange,
  version: string,
  deps: Pick<ComputeDeps, 'spendStore' | 'dayStore'>,
): Promise<number> {
  const spend = await deps.spendStore.list(range.from, range.to);
  const metrics = addSpend(mergeAll(partials.map((p) => p.metrics)), spend, range);
  const attribution = addAttributionSpend(mergeAttribution(partials.map((p) => p.attribution)), spend, range);
  const days = new Map<string, DayResult>();
  for (const date of datesBetween(range.from, range.to)) {
    const empty = emptyDayResult();
    days.set(date, {
      metrics: metrics.days[date] ?? empty.metrics,
      attribution: attribution.days[date] ?? empty.attribution,
    });
  }
  await deps.dayStore.writeDays(days, version);
  return days.size;
}

/** Map over every segment, then reduce: the whole compute in one process (local runtime, small deployments). */
export async function computeRange(
  range: ComputeRange,
  version: string,
  segments: number,
  deps: ComputeDeps,
): Promise<ComputeStats> {
  const results: SegmentResult[] = [];
  for (let segment = 0; segment < segments; segment++) {
    results.push(await computeSegment(segment, segments, range, deps));
  }
  const days = await reduceSegments(
    results.map((r) => r.partial),
    range,
    version,
    deps,
  );
  return { events: results.reduce((sum, r) => sum + r.events, 0), days, segments };
}

import type { EventStore } from '#adapters/event-store.ts';
import type { DayPartialStore } from '#adapters/results-store.ts';
import type { SpendStore } from '#adapters/spend-store.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { addDays, datesBetween, startOfDay } from '#domain/dates.ts';
import {
  addSpend,
  type DayPartial,
  type MetricsPartial,
  mergeAll,
  SegmentMapper,
} from '#domain/metrics/index.ts';
import { emptyDay } from '#domain/metrics/partial.ts';

export interface ComputeRange {
  /** First and last local day to compute, both included. */
  readonly from: string;
  readonly to: string;
}

export interface ComputeDeps {
  readonly eventStore: EventStore;
  readonly spendStore: SpendStore;
  readonly dayStore: DayPartialStore<DayPartial>;
  readonly config: AttributionConfig;
}

export interface SegmentResult {
  readonly partial: MetricsPartial;
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
  // Streamed page by page: the mapper keeps compact columns, not the scanned items.
  const mapper = new SegmentMapper({ from: range.from, to: range.to, timeZone, lookbackDays });
  let events = 0;
  for await (const event of deps.eventStore.scanSegment(segment, totalSegments, { fromTs, toTs })) {
    mapper.add(event);
    events += 1;
  }
  return { partial: mapper.finish(), events };
}

/**
 * The reduce step: merges segment partials, folds in the spend of the range and stores one
 * partial per day, including empty days, so a recompute also clears what no longer holds.
 */
export async function reduceSegments(
  partials: readonly MetricsPartial[],
  range: ComputeRange,
  version: string,
  deps: Pick<ComputeDeps, 'spendStore' | 'dayStore'>,
): Promise<number> {
  const spend = await deps.spendStore.list(range.from, range.to);
  const merged = addSpend(mergeAll(partials), spend, range);
  const days = new Map<string, DayPartial>();
  for (const date of datesBetween(range.from, range.to)) days.set(date, merged.days[date] ?? emptyDay());
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

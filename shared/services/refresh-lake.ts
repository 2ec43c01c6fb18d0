import { logger, MetricUnit, metrics } from '#adapters/observability.ts';
import { appendToLakeDay, buildLakeDay, type DayBuild, type LakeBuildDeps } from './build-lake.ts';

export interface RefreshOutcome {
  readonly builds: DayBuild[];
  /** Days whose refresh failed, with the reason; the others are refreshed. */
  readonly failed: Map<string, string>;
}

type RefreshDeps = Omit<LakeBuildDeps, 'engine'> & {
  readonly openEngine: () => Promise<LakeBuildDeps['engine']>;
};

/**
 * Refreshes lake days one after another in one engine session: appends the keys given, or
 * builds the day whole. A failure of one day is reported, not thrown, so the other days still
 * refresh.
 */
export async function refreshLakeDays(
  plan: ReadonlyMap<string, readonly string[] | undefined>,
  deps: RefreshDeps,
): Promise<RefreshOutcome> {
  const builds: DayBuild[] = [];
  const failed = new Map<string, string>();
  if (plan.size === 0) return { builds, failed };
  const engine = await deps.openEngine();
  try {
    for (const date of [...plan.keys()].sort()) {
      const keys = plan.get(date);
      try {
        const build = keys
          ? await appendToLakeDay(date, keys, { ...deps, engine })
          : await buildLakeDay(date, { ...deps, engine });
        for (const skipped of build.skipped) logger.warn('raw data skipped', { date, ...skipped });
        builds.push(build);
      } catch (error) {
        logger.error('lake day could not be refreshed', { date, error });
        failed.set(date, `${date}: ${(error as Error).message}`);
      }
    }
  } finally {
    await engine.close();
  }
  metrics.addMetric('LakeEventsBuilt', MetricUnit.Count, sum(builds.map((b) => b.events)));
  metrics.addMetric('LakeObjectsSkipped', MetricUnit.Count, sum(builds.map((b) => b.skipped.length)));
  metrics.addMetric('LakeDaysFailed', MetricUnit.Count, failed.size);
  return { builds, failed };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** A plan that builds each of `dates` whole. */
export function wholeDays(dates: readonly string[]): Map<string, undefined> {
  return new Map(dates.map((date) => [date, undefined]));
}

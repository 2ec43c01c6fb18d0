import { logger } from '#adapters/logger.ts';
import { buildLakeDay, type DayBuild, type LakeBuildDeps } from './build-lake.ts';

export interface RefreshOutcome {
  readonly builds: DayBuild[];
  /** Days whose rebuild failed, with the reason; the others are rebuilt. */
  readonly failed: Map<string, string>;
}

/**
 * Rebuilds the lake days that new raw objects landed in, one after another in one engine
 * session. A failure of one day is reported, not thrown, so the other days still refresh.
 */
export async function refreshLakeDays(
  dates: readonly string[],
  deps: Omit<LakeBuildDeps, 'engine'> & { readonly openEngine: () => Promise<LakeBuildDeps['engine']> },
): Promise<RefreshOutcome> {
  const builds: DayBuild[] = [];
  const failed = new Map<string, string>();
  if (dates.length === 0) return { builds, failed };
  const engine = await deps.openEngine();
  try {
    for (const date of dates) {
      try {
        const build = await buildLakeDay(date, { ...deps, engine });
        for (const skipped of build.skipped) logger.warn('raw data skipped', { date, ...skipped });
        builds.push(build);
      } catch (error) {
        logger.error('lake day could not be rebuilt', { date, error });
        failed.set(date, `${date}: ${(error as Error).message}`);
      }
    }
  } finally {
    await engine.close();
  }
  return { builds, failed };
}

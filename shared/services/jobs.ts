import { randomUUID } from 'node:crypto';
import { logger, MetricUnit, metrics } from '#adapters/observability.ts';
import type { PartialStore } from '#adapters/partial-store.ts';
import type { JobStore } from '#adapters/results-store.ts';
import {
  autoBuckets,
  type ComputeBuckets,
  WORK_FOLDER_SHARE,
  windowFits,
  workBytesFor,
} from '#domain/compute-buckets.ts';
import { computeWindow } from '#domain/compute-window.ts';
import { addDays, datesBetween, localDate } from '#domain/dates.ts';
import type { ComputePartial } from '#domain/day-result.ts';
import { ValidationError } from '#domain/errors.ts';
import { dayVersion, failureReason, type Job } from '#domain/jobs.ts';
import { checkRange } from '#http/query-params.ts';
import { buildLakeDay, type LakeBuildDeps, settledDays } from './build-lake.ts';
import { type ComputeDeps, computeBucket, reduceBuckets } from './compute.ts';
import { refundedFrom } from './late-refunds.ts';

export function newJob(kind: Job['kind'], from: string, to: string, now = new Date(), jobId?: string): Job {
  return {
    jobId:
      jobId ?? `${kind}-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`,
    kind,
    status: 'queued',
    from,
    to,
    createdAt: now.toISOString(),
  };
}

/** The range a job covers when none is given: the scheduled window ending today (local). */
export function defaultWindow(
  config: { readonly timeZone: string; readonly scheduleWindowDays: number },
  from?: string,
  to?: string,
  now = Date.now(),
): { from: string; to: string } {
  const end = to ?? localDate(now, config.timeZone);
  const start = from ?? addDays(end, 1 - config.scheduleWindowDays);
  checkRange(start, end);
  return { from: start, to: end };
}

/** What a job will do, step by step; small enough to pass between state-machine steps. */
export interface JobPlan {
  readonly jobId: string;
  readonly kind: Job['kind'];
  /** The first day computed: the job's, or earlier when refunds of earlier conversions need it. */
  readonly from: string;
  readonly to: string;
  /** UTC days whose lake partitions are built whole: all of a replay's; a compute's settled days. */
  readonly days: readonly string[];
  readonly buckets: ReadonlyArray<{ readonly bucket: number; readonly buckets: number }>;
}

/** What a map step leaves for the reduce: its partial's key, the events it read, when it read the lake. */
export interface MapOutput {
  readonly key: string;
  readonly events: number;
  readonly readAt?: string;
}

/** What a build step reports: small, so a year of them fits in a state payload. */
export interface BuildSummary {
  readonly date: string;
  readonly events: number;
  /** Raw objects or lines that could not be used (each logged with key, line and reason). */
  readonly skipped: number;
}

export interface JobDeps extends ComputeDeps, Omit<LakeBuildDeps, 'engine'> {
  readonly jobStore: JobStore;
  readonly partials: PartialStore<ComputePartial>;
  /** Hash buckets of persons per compute, or `auto`: sized by the window's lake files. */
  readonly computeBuckets: ComputeBuckets;
  /** The compute task's work folder (/tmp on AWS): a window that would not fit is refused at plan. */
  readonly computeWorkFolderBytes?: number;
}

/**
 * The one job lifecycle, as steps that run either in this process ({@link InProcessJobRunner})
 * or as the state machine's tasks (functions/compute): plan → build each day (replay) → compute
 * each bucket → reduce; any failure → fail. Every step is idempotent, so a retried step is safe.
 */
export const jobSteps = {
  /** Marks the job running and says what it will do. */
  async plan(
    job: Job,
    deps: Pick<
      JobDeps,
      | 'jobStore'
      | 'computeBuckets'
      | 'computeWorkFolderBytes'
      | 'lakeStore'
      | 'dayStore'
      | 'config'
      | 'openEngine'
    >,
  ): Promise<JobPlan> {
    // Raw partitions are UTC days: a local day can reach into the UTC day on either side.
    const utcDays = datesBetween(addDays(job.from, -1), addDays(job.to, 1));
    // A compute also compacts the days of its range that stopped receiving appended parts.
    const days = job.kind === 'replay' ? utcDays : await settledDays(utcDays, deps);
    const startedAt = job.startedAt ?? new Date().toISOString();
    // Netting late refunds is worth a wider job, never a failed one: without it, the job's range.
    const from = await refundedFrom(job, deps).catch((error: unknown) => {
      logger.warn('late refunds not looked up; computing the job range only', { jobId: job.jobId, error });
      return job.from;
    });
    const sized = deps.computeBuckets === 'auto' || deps.computeWorkFolderBytes !== undefined;
    const bytes = sized ? await windowBytes({ from, to: job.to }, deps) : 0;
    // Every bucket task caches the whole window: one too large would fail minutes in, out of disk.
    if (deps.computeWorkFolderBytes !== undefined && !windowFits(bytes, deps.computeWorkFolderBytes)) {
      throw new ValidationError(
        `the window of ${from}..${job.to} with its ${deps.config.lookbackDays}-day lookback holds ${gigabytes(bytes)} of lake events; ` +
          `each compute task caches all of it and spills beside it, about ${gigabytes(workBytesFor(bytes))}, ` +
          `more than its ${gigabytes(deps.computeWorkFolderBytes * WORK_FOLDER_SHARE)} of work folder allows: ` +
          'compute a shorter range, or lower lookbackDays or scheduleWindowDays',
      );
    }
    const bucketCount = deps.computeBuckets === 'auto' ? autoBuckets(bytes) : deps.computeBuckets;
    const buckets = Array.from({ length: bucketCount }, (_, bucket) => ({ bucket, buckets: bucketCount }));
    const { computedFrom: _earlier, ...asked } = job;
    await deps.jobStore.put({
      ...asked,
      status: 'running',
      startedAt,
      ...(from < job.from ? { computedFrom: from } : {}),
      progress: { done: 0, total: days.length + buckets.length + 1 },
    });
    return { jobId: job.jobId, kind: job.kind, from, to: job.to, days, buckets };
  },

  /** Rebuilds one lake day; bad raw data is logged (key, line, reason) and counted, never fatal. */
  async build(jobId: string, date: string, deps: JobDeps): Promise<BuildSummary> {
    const engine = await deps.openEngine();
    try {
      const build = await buildLakeDay(date, { ...deps, engine });
      for (const skipped of build.skipped) logger.warn('raw data skipped', { jobId, date, ...skipped });
      await deps.jobStore.advance(jobId, 1);
      return { date, events: build.events, skipped: build.skipped.length };
    } finally {
      await engine.close();
    }
  },

  /** One bucket's partial, left in the partial store; returns its key. */
  async map(
    plan: Pick<JobPlan, 'jobId' | 'from' | 'to'>,
    bucket: number,
    buckets: number,
    deps: JobDeps,
  ): Promise<MapOutput> {
    // Before the lake is listed: what was built after this instant may not be in the partial.
    const readAt = new Date().toISOString();
    const { partial, events } = await computeBucket(plan, bucket, buckets, deps);
    const key = await deps.partials.put(plan.jobId, bucket, partial);
    await deps.jobStore.advance(plan.jobId, 1);
    return { key, events, readAt };
  },

  async reduce(
    plan: Pick<JobPlan, 'jobId' | 'kind' | 'from' | 'to'>,
    outputs: readonly MapOutput[],
    built: readonly BuildSummary[],
    deps: JobDeps,
  ): Promise<Job> {
    const partials = await Promise.all(outputs.map((output) => deps.partials.get(output.key)));
    const job = (await deps.jobStore.get(plan.jobId)) ?? newJob(plan.kind, plan.from, plan.to);
    // The days hold what the earliest bucket read (a map's output of an older version has no time).
    const readAt = outputs.map((o) => o.readAt ?? job.startedAt ?? job.createdAt).sort()[0] ?? job.createdAt;
    const days = await reduceBuckets(partials, plan, dayVersion(plan.jobId, readAt), deps);
    const done: Job = {
      ...job,
      jobId: plan.jobId,
      status: 'succeeded',
      finishedAt: new Date().toISOString(),
      progress: { done: job.progress?.total ?? 1, total: job.progress?.total ?? 1 },
      stats: {
        events: outputs.reduce((sum, o) => sum + o.events, 0),
        days,
        buckets: outputs.length,
        ...(plan.kind === 'replay'
          ? {
              lakeDays: built.length,
              lakeEvents: built.reduce((sum, b) => sum + b.events, 0),
              skipped: built.reduce((sum, b) => sum + b.skipped, 0),
            }
          : {}),
      },
    };
    await deps.jobStore.put(done);
    metrics.addMetric('JobsSucceeded', MetricUnit.Count, 1);
    metrics.addMetric('JobEventsComputed', MetricUnit.Count, done.stats?.events ?? 0);
    return done;
  },

  /** Records the job as failed with a reason, unless it has already ended. */
  async fail(jobId: string, reason: string, deps: Pick<JobDeps, 'jobStore'>): Promise<Job | undefined> {
    const job = await deps.jobStore.get(jobId);
    if (!job || job.status === 'succeeded' || job.status === 'failed') return job;
    const failed: Job = {
      ...job,
      status: 'failed',
      finishedAt: new Date().toISOString(),
      error: reason.slice(0, 1000),
    };
    await deps.jobStore.put(failed);
    metrics.addMetric('JobsFailed', MetricUnit.Count, 1);
    return failed;
  },
};

/** Starts jobs somewhere: in this process (local runtime) or a state machine (AWS). */
export interface JobRunner {
  /** Records the job as queued and starts it; resolves once it is started, not finished. */
  start(job: Job): Promise<void>;
}

/**
 * Runs jobs one after another in this process through {@link jobSteps} (the local runtime, and
 * deployments without the state machine). A job that throws is recorded as failed with its message.
 */
export class InProcessJobRunner implements JobRunner {
  readonly #deps: JobDeps;
  #tail: Promise<void> = Promise.resolve();

  constructor(deps: JobDeps) {
    this.#deps = deps;
  }

  async start(job: Job): Promise<void> {
    await this.#deps.jobStore.put(job);
    this.#tail = this.#tail.then(() => this.#run(job));
  }

  /** Resolves when every job started so far has ended. */
  idle(): Promise<void> {
    return this.#tail;
  }

  async #run(job: Job): Promise<void> {
    const deps = this.#deps;
    try {
      const plan = await jobSteps.plan(job, deps);
      const built: BuildSummary[] = [];
      for (const date of plan.days) built.push(await jobSteps.build(job.jobId, date, deps));
      const outputs = [];
      for (const { bucket, buckets } of plan.buckets)
        outputs.push(await jobSteps.map(plan, bucket, buckets, deps));
      await jobSteps.reduce(plan, outputs, built, deps);
    } catch (error) {
      logger.error('job failed', { jobId: job.jobId, error });
      await jobSteps
        .fail(job.jobId, failureReason(error), deps)
        .catch((storeError: unknown) =>
          logger.error('cannot record job failure', { jobId: job.jobId, storeError }),
        );
    }
  }
}

/** Bytes of the events Parquet a compute of `range` fetches. */
async function windowBytes(
  range: { readonly from: string; readonly to: string },
  deps: Pick<JobDeps, 'lakeStore' | 'config'>,
): Promise<number> {
  // The days after the window a compute also fetches, where they exist (journeys.sql's horizon).
  const { utcDates, laterUtcDates } = computeWindow(range, deps.config);
  const last = laterUtcDates.at(-1) ?? (utcDates.at(-1) as string);
  return deps.lakeStore.sizeOfDays('events', utcDates[0] as string, last);
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}

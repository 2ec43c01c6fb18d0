import { randomUUID } from 'node:crypto';
import { logger } from '#adapters/logger.ts';
import type { JobStore } from '#adapters/results-store.ts';
import type { Job } from '#domain/jobs.ts';
import { type ComputeDeps, computeRange } from './compute.ts';
import type { LoadDeps } from './load-raw.ts';
import { replayRange } from './replay.ts';

/** Starts jobs somewhere: in this process (local runtime) or a state machine (AWS). */
export interface JobRunner {
  /** Records the job as queued and starts it; resolves once it is started, not finished. */
  start(job: Job): Promise<void>;
}

export function newJob(kind: Job['kind'], from: string, to: string, now = new Date()): Job {
  return {
    jobId: `${kind}-${now.toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`,
    kind,
    status: 'queued',
    from,
    to,
    createdAt: now.toISOString(),
  };
}

export interface InProcessJobRunnerProps {
  readonly jobStore: JobStore;
  readonly compute: ComputeDeps;
  readonly load: LoadDeps;
  readonly segments: number;
}

/**
 * Runs jobs one after another in this process, recording each step in the job store. Used by
 * the local runtime; a job that throws is recorded as failed with its message.
 */
export class InProcessJobRunner implements JobRunner {
  readonly #props: InProcessJobRunnerProps;
  #tail: Promise<void> = Promise.resolve();

  constructor(props: InProcessJobRunnerProps) {
    this.#props = props;
  }

  async start(job: Job): Promise<void> {
    await this.#props.jobStore.put(job);
    this.#tail = this.#tail.then(() => this.#run(job));
  }

  /** Resolves when every job started so far has ended. */
  idle(): Promise<void> {
    return this.#tail;
  }

  async #run(job: Job): Promise<void> {
    const { jobStore } = this.#props;
    const running: Job = { ...job, status: 'running', startedAt: new Date().toISOString() };
    try {
      await jobStore.put(running);
      const stats =
        job.kind === 'compute'
          ? await computeRange(job, job.jobId, this.#props.segments, this.#props.compute)
          : await replayRange(job.from, job.to, this.#props.load);
      await jobStore.put({
        ...running,
        status: 'succeeded',
        finishedAt: new Date().toISOString(),
        stats: { ...stats },
      });
    } catch (error) {
      logger.error('job failed', { jobId: job.jobId, error });
      await jobStore
        .put({
          ...running,
          status: 'failed',
          finishedAt: new Date().toISOString(),
          error: (error as Error).message,
        })
        .catch((storeError: unknown) =>
          logger.error('cannot record job failure', { jobId: job.jobId, storeError }),
        );
    }
  }
}

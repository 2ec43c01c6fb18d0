import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { failureReason, type Job } from '#domain/jobs.ts';
import type { JobStore } from './results-store.ts';

export interface StepFunctionsJobRunnerProps {
  readonly client: SFNClient;
  readonly stateMachineArn: string;
  readonly jobStore: JobStore;
}

/**
 * Starts a job (compute or replay) as an execution of the job state machine, named after the job
 * so a retried start cannot run it twice; the machine's steps record the job's progress.
 */
export class StepFunctionsJobRunner {
  readonly #props: StepFunctionsJobRunnerProps;

  constructor(props: StepFunctionsJobRunnerProps) {
    this.#props = props;
  }

  async start(job: Job): Promise<void> {
    await this.#props.jobStore.put(job);
    try {
      await this.#props.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.#props.stateMachineArn,
          name: job.jobId,
          input: JSON.stringify({ jobId: job.jobId, kind: job.kind, from: job.from, to: job.to }),
        }),
      );
    } catch (error) {
      // A job that never started must not stay queued for ever.
      await this.#props.jobStore.put({
        ...job,
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: failureReason(error),
      });
      throw error;
    }
  }
}

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { StepFunctionsJobRunner } from '#adapters/step-functions-runner.ts';
import { addDays, calendarDateSchema, localDate } from '#domain/dates.ts';
import { NotFoundError } from '#domain/errors.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { checkRange } from '#http/query-params.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { InProcessJobRunner, type JobRunner, newJob } from '#services/jobs.ts';

const computeBodySchema = z.strictObject({
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
});
const replayBodySchema = z.strictObject({ from: calendarDateSchema, to: calendarDateSchema });
const jobIdSchema = z.string().regex(/^[a-z]+-[0-9T]+-[0-9a-f]{8}$/, 'is not a job id');

export interface JobsHandlerProps {
  readonly pipeline: Pipeline;
  readonly runner: JobRunner & { idle?: () => Promise<void> };
  /** Answer only once the job has ended (Lambda without a state machine must not leave work behind). */
  readonly waitForJobs?: boolean;
}

/**
 * `POST /v1/jobs/compute {from?, to?}`, `POST /v1/jobs/replay {from, to}` → 202 `{ jobId }`;
 * `GET /v1/jobs/{jobId}` → the job. Compute defaults to the scheduled window ending today.
 */
export function createJobsHandler(props: JobsHandlerProps) {
  const { pipeline, runner } = props;
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent) => {
    if (event.routeKey === 'GET /v1/jobs/{jobId}') {
      const jobId = parseOrThrow(jobIdSchema, event.pathParameters?.jobId ?? '', 'job id', ['jobId']);
      const job = await pipeline.results.get(jobId);
      if (!job) throw new NotFoundError(`no job ${jobId}`);
      return jsonResponse(200, job);
    }
    const kind = event.routeKey === 'POST /v1/jobs/replay' ? 'replay' : 'compute';
    const body = event.body ? readJsonBody(event, { maxBytes: 10_000 }) : {};
    const range =
      kind === 'replay'
        ? parseOrThrow(replayBodySchema, body, 'request body')
        : parseOrThrow(computeBodySchema, body, 'request body');
    const today = localDate(Date.now(), pipeline.config.timeZone);
    const to = range.to ?? today;
    const from = range.from ?? addDays(to, 1 - pipeline.config.scheduleWindowDays);
    checkRange(from, to);
    const job = newJob(kind, from, to);
    await runner.start(job);
    if (props.waitForJobs) await runner.idle?.();
    return jsonResponse(
      202,
      { jobId: job.jobId, status: job.status, from, to },
      { location: `/v1/jobs/${job.jobId}` },
    );
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'query' }));
}

/** The runner a pipeline gets when nothing else is configured: jobs run in this process. */
export function createInProcessRunner(pipeline: Pipeline): InProcessJobRunner {
  return new InProcessJobRunner({
    jobStore: pipeline.results,
    compute: { ...pipeline, dayStore: pipeline.results },
    load: pipeline,
    segments: pipeline.env.SCAN_SEGMENTS,
  });
}

/**
 * On AWS: compute jobs go to the state machine; replays run in this invocation (they are
 * idempotent loads, bounded by the function timeout) before the answer.
 */
export const handler = lazyHandler(async () => {
  const pipeline = await createPipelineFromEnvironment();
  const inProcess = createInProcessRunner(pipeline);
  const stateMachineArn = pipeline.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) return createJobsHandler({ pipeline, runner: inProcess, waitForJobs: true });
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  const machine = new StepFunctionsJobRunner({
    client: new SFNClient({}),
    stateMachineArn,
    jobStore: pipeline.results,
  });
  return createJobsHandler({
    pipeline,
    runner: {
      start: (job) => (job.kind === 'compute' ? machine.start(job) : inProcess.start(job)),
      idle: () => inProcess.idle(),
    },
    waitForJobs: true,
  });
});

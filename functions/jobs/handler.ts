import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaEntry, tracer } from '#adapters/observability.ts';
import { S3PartialStore } from '#adapters/partial-store.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { StepFunctionsJobRunner } from '#adapters/step-functions-runner.ts';
import { computePartialSchema } from '#domain/day-result.ts';
import { NotFoundError } from '#domain/errors.ts';
import { jobIdSchema } from '#domain/jobs.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { computeBodySchema, replayBodySchema } from '#http/api-schemas.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { defaultWindow, InProcessJobRunner, type JobDeps, type JobRunner, newJob } from '#services/jobs.ts';

export interface JobsHandlerProps {
  readonly pipeline: Pipeline;
  readonly runner: JobRunner;
}

/**
 * `POST /v1/jobs/compute {from?, to?}`, `POST /v1/jobs/replay {from, to}` → 202 `{ jobId }` at
 * once; `GET /v1/jobs/{jobId}` → the job with its progress. Compute defaults to the scheduled
 * window ending today. The work runs as a job (the state machine on AWS), never inside the call.
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
    const { from, to } = defaultWindow(pipeline.config, range.from, range.to);
    const job = newJob(kind, from, to);
    await runner.start(job);
    return jsonResponse(
      202,
      { jobId: job.jobId, status: job.status, from, to },
      { location: `/v1/jobs/${job.jobId}` },
    );
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'query' }));
}

/** What the job steps need, from a pipeline. */
export function jobDepsOf(pipeline: Pipeline): JobDeps {
  return {
    ...pipeline,
    jobStore: pipeline.results,
    dayStore: pipeline.results,
    partials: new S3PartialStore({
      client: pipeline.s3,
      bucket: pipeline.env.RAW_BUCKET,
      schema: computePartialSchema,
    }),
    computeBuckets: pipeline.env.COMPUTE_BUCKETS,
    computeWorkFolderBytes: pipeline.env.COMPUTE_WORK_FOLDER_BYTES,
  };
}

/** Jobs in this process: the local runtime. */
export function createInProcessRunner(pipeline: Pipeline): InProcessJobRunner {
  return new InProcessJobRunner(jobDepsOf(pipeline));
}

/** On AWS every job is an execution of the job state machine. */
export const handler = lambdaEntry(async () => {
  const pipeline = await createPipelineFromEnvironment();
  const stateMachineArn = pipeline.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('STATE_MACHINE_ARN is not set: jobs cannot start');
  const { SFNClient } = await import('@aws-sdk/client-sfn');
  const runner = new StepFunctionsJobRunner({
    client: tracer.captureAWSv3Client(new SFNClient({})),
    stateMachineArn,
    jobStore: pipeline.results,
  });
  return createJobsHandler({ pipeline, runner });
});

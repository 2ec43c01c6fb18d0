import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { S3PartialStore } from '#adapters/partial-store.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { addDays, calendarDateSchema, localDate } from '#domain/dates.ts';
import { type ComputePartial, computePartialSchema } from '#domain/day-result.ts';
import type { Job } from '#domain/jobs.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { createInProcessRunner } from '#functions/jobs/handler.ts';
import { checkRange } from '#http/query-params.ts';
import { computeSegment, reduceSegments } from '#services/compute.ts';
import { newJob } from '#services/jobs.ts';

const jobIdSchema = z.string().regex(/^[a-z]+-[0-9T]+-[0-9a-f]{8}$/);
const rangeShape = { from: calendarDateSchema.optional(), to: calendarDateSchema.optional() };

/**
 * What the schedule and the compute state machine send. Without `action` (a scheduled event,
 * or a small deployment without the state machine) the whole compute runs here.
 */
const actionSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    /** The execution's input: `{}` from the schedule, `{ jobId, from, to }` from the jobs API. */
    input: z.looseObject({ jobId: jobIdSchema.optional(), ...rangeShape }).default({}),
  }),
  z.object({
    action: z.literal('map'),
    jobId: jobIdSchema,
    from: calendarDateSchema,
    to: calendarDateSchema,
    segment: z.int().min(0),
    totalSegments: z.int().min(1).max(1000),
  }),
  z.object({
    action: z.literal('reduce'),
    jobId: jobIdSchema,
    from: calendarDateSchema,
    to: calendarDateSchema,
    partials: z.array(z.object({ key: z.string().min(1), events: z.int().min(0) })).min(1),
  }),
  z.object({ action: z.literal('fail'), jobId: jobIdSchema, error: z.unknown() }),
]);
const scheduledSchema = z.looseObject(rangeShape);

export interface ComputePlan {
  readonly jobId: string;
  readonly from: string;
  readonly to: string;
  readonly segments: ReadonlyArray<{ readonly segment: number; readonly totalSegments: number }>;
}

/**
 * The compute function. As the state machine's steps: `plan` (range and segments, job running),
 * `map` (one scan segment → a partial in S3), `reduce` (partials + spend → stored days, job
 * succeeded), `fail` (job failed). Without an action it runs the whole compute in-process.
 */
export function createComputeHandler(pipeline: Pipeline) {
  const runner = createInProcessRunner(pipeline);
  const partials = new S3PartialStore<ComputePartial>({
    client: pipeline.s3,
    bucket: pipeline.env.RAW_BUCKET,
    schema: computePartialSchema,
  });
  const defaultRange = (from?: string, to?: string) => {
    const end = to ?? localDate(Date.now(), pipeline.config.timeZone);
    const start = from ?? addDays(end, 1 - pipeline.config.scheduleWindowDays);
    checkRange(start, end);
    return { from: start, to: end };
  };

  return async (
    input: unknown,
    _context?: Context,
  ): Promise<Job | ComputePlan | { key: string; events: number } | undefined> => {
    const request =
      input && typeof input === 'object' && 'action' in input
        ? parseOrThrow(actionSchema, input, 'compute input')
        : { action: undefined, ...parseOrThrow(scheduledSchema, input ?? {}, 'compute input') };
    switch (request.action) {
      case 'plan': {
        const { jobId, from, to } = request.input;
        const range = defaultRange(from, to);
        const existing = jobId ? await pipeline.results.get(jobId) : undefined;
        const job = existing ?? newJob('compute', range.from, range.to);
        await pipeline.results.put({ ...job, status: 'running', startedAt: new Date().toISOString() });
        const totalSegments = pipeline.env.SCAN_SEGMENTS;
        return {
          jobId: job.jobId,
          from: job.from,
          to: job.to,
          segments: Array.from({ length: totalSegments }, (_, segment) => ({ segment, totalSegments })),
        };
      }
      case 'map': {
        const { partial, events } = await computeSegment(
          request.segment,
          request.totalSegments,
          request,
          pipeline,
        );
        return { key: await partials.put(request.jobId, request.segment, partial), events };
      }
      case 'reduce': {
        const loaded = await Promise.all(request.partials.map((p) => partials.get(p.key)));
        const days = await reduceSegments(loaded, request, request.jobId, {
          ...pipeline,
          dayStore: pipeline.results,
        });
        const job = await pipeline.results.get(request.jobId);
        const events = request.partials.reduce((sum, p) => sum + p.events, 0);
        const done: Job = {
          ...(job ?? newJob('compute', request.from, request.to)),
          jobId: request.jobId,
          status: 'succeeded',
          finishedAt: new Date().toISOString(),
          stats: { events, days, segments: request.partials.length },
        };
        await pipeline.results.put(done);
        return done;
      }
      case 'fail': {
        const job = await pipeline.results.get(request.jobId);
        if (!job) return undefined;
        const failed: Job = {
          ...job,
          status: 'failed',
          finishedAt: new Date().toISOString(),
          error: describe(request.error),
        };
        await pipeline.results.put(failed);
        return failed;
      }
      default: {
        const range = defaultRange(request.from, request.to);
        const job = newJob('compute', range.from, range.to);
        await runner.start(job);
        await runner.idle();
        return pipeline.results.get(job.jobId);
      }
    }
  };
}

/** The message of a Step Functions error object (`{ Error, Cause }`) or anything else. */
function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'Error' in error) {
    const { Error: name, Cause: cause } = error as { Error?: unknown; Cause?: unknown };
    return `${String(name)}: ${String(cause ?? '')}`.slice(0, 1000);
  }
  return String(error).slice(0, 1000);
}

export const handler = lazyHandler(async () => createComputeHandler(await createPipelineFromEnvironment()));

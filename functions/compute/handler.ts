import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { createPipeline, type Pipeline } from '#adapters/pipeline.ts';
import { addDays, calendarDateSchema, localDate } from '#domain/dates.ts';
import type { Job } from '#domain/jobs.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { createInProcessRunner } from '#functions/jobs/handler.ts';
import { checkRange } from '#http/query-params.ts';
import { newJob } from '#services/jobs.ts';

/** What a schedule or a caller may pass; a scheduled event's own fields are ignored. */
const computeInputSchema = z.looseObject({
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
});

/**
 * The scheduled compute: recomputes the configured window ending today (or `{from, to}` when
 * given), recording it as a job, and answers with the finished job.
 */
export function createComputeHandler(pipeline: Pipeline) {
  const runner = createInProcessRunner(pipeline);
  return async (input: unknown, _context?: Context): Promise<Job | undefined> => {
    const range = parseOrThrow(computeInputSchema, input ?? {}, 'compute input');
    const to = range.to ?? localDate(Date.now(), pipeline.config.timeZone);
    const from = range.from ?? addDays(to, 1 - pipeline.config.scheduleWindowDays);
    checkRange(from, to);
    const job = newJob('compute', from, to);
    await runner.start(job);
    await runner.idle();
    return pipeline.results.get(job.jobId);
  };
}

export const handler = lazyHandler(() => createComputeHandler(createPipeline()));

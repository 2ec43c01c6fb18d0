import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lambdaEntry, MetricUnit, metrics } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import type { Alert } from '#domain/alerts.ts';
import { addDays, calendarDateSchema, localDate } from '#domain/dates.ts';
import { ServiceUnavailableError } from '#domain/errors.ts';
import { failureReason, JOB_KINDS, type Job, jobIdForExecution, jobIdSchema } from '#domain/jobs.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { jobDepsOf } from '#functions/jobs/handler.ts';
import { toAppError } from '#http/middleware.ts';
import { checkAlerts } from '#services/alerts.ts';
import {
  type BuildSummary,
  defaultWindow,
  type JobPlan,
  jobSteps,
  type MapOutput,
  newJob,
} from '#services/jobs.ts';

const rangeShape = { from: calendarDateSchema, to: calendarDateSchema };
const summarySchema = z.object({ date: calendarDateSchema, events: z.int().min(0), skipped: z.int().min(0) });

/** What the job state machine (and the schedule, through it) sends each task. */
const taskSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    /** The execution's name: a scheduled run's job is named after it. */
    executionName: z.string().min(1).max(80).optional(),
    /** The execution's input: `{}` from the schedule, `{ jobId, kind, from, to }` from the jobs API. */
    input: z
      .looseObject({
        jobId: jobIdSchema.optional(),
        kind: z.enum(JOB_KINDS).optional(),
        from: calendarDateSchema.optional(),
        to: calendarDateSchema.optional(),
      })
      .default({}),
  }),
  z.object({ action: z.literal('build'), jobId: jobIdSchema, date: calendarDateSchema }),
  z.object({
    action: z.literal('map'),
    jobId: jobIdSchema,
    ...rangeShape,
    bucket: z.int().min(0),
    buckets: z.int().min(1).max(1000),
  }),
  z.object({
    action: z.literal('reduce'),
    jobId: jobIdSchema,
    kind: z.enum(JOB_KINDS),
    ...rangeShape,
    outputs: z
      .array(
        z.object({ key: z.string().min(1), events: z.int().min(0), readAt: z.iso.datetime().optional() }),
      )
      .min(1),
    built: z.array(summarySchema).default([]),
  }),
  z.object({
    /** An execution ended (EventBridge): a job it leaves queued or running is marked failed. */
    action: z.literal('ended'),
    name: z.string().min(1).max(80),
    status: z.string().min(1).max(40),
    input: z.string().max(262_144).optional(),
  }),
  z.object({
    /** The daily KPI check (its own schedule): `date` defaults to yesterday in the configured zone. */
    action: z.literal('alerts'),
    date: calendarDateSchema.optional(),
  }),
  z.object({
    action: z.literal('fail'),
    /** The state at the failure: the job id (when there is a job yet) and the caught error. */
    state: z.looseObject({ jobId: jobIdSchema.optional(), error: z.unknown() }),
  }),
]);

type TaskResult = JobPlan | BuildSummary | MapOutput | Job | { date: string; alerts: Alert[] } | undefined;

/**
 * The job state machine's tasks, one action each: `plan` (job running, days and buckets),
 * `build` (one lake day), `map` (one bucket's partial to S3), `reduce` (partials + spend → stored
 * days, job succeeded), `fail` (job failed with the reason); and, on a schedule of its own,
 * `alerts` (the daily KPI check). Every step is idempotent, so the
 * state machine retries throttles, timeouts and service errors safely.
 */
export function createComputeHandler(pipeline: Pipeline) {
  const deps = jobDepsOf(pipeline);
  const run = async (task: z.infer<typeof taskSchema>): Promise<TaskResult> => {
    switch (task.action) {
      case 'plan': {
        const { jobId, kind, from, to } = task.input;
        const existing = jobId ? await pipeline.results.get(jobId) : undefined;
        const range = defaultWindow(pipeline.config, from, to);
        const id = jobId ?? (task.executionName ? jobIdForExecution(task.executionName) : undefined);
        return jobSteps.plan(
          existing ?? newJob(kind ?? 'compute', range.from, range.to, new Date(), id),
          deps,
        );
      }
      case 'build':
        return jobSteps.build(task.jobId, task.date, deps);
      case 'map':
        return jobSteps.map(task, task.bucket, task.buckets, deps);
      case 'reduce':
        return jobSteps.reduce(task, task.outputs, task.built, deps);
      case 'ended': {
        const started = jobIdSchema.safeParse(parseInput(task.input).jobId);
        const jobId = started.success ? started.data : jobIdForExecution(task.name);
        return jobSteps.fail(jobId, `the job's execution ended ${task.status}`, deps);
      }
      case 'alerts': {
        const date = task.date ?? addDays(localDate(Date.now(), pipeline.config.timeZone), -1);
        return { date, alerts: await checkAlerts(date, { ...pipeline, publisher: pipeline.alertPublisher }) };
      }
      case 'fail':
        return task.state.jobId
          ? jobSteps.fail(task.state.jobId, failureReason(task.state.error), deps)
          : undefined;
    }
  };
  return async (input: unknown, _context?: Context): Promise<TaskResult> => {
    const task = parseOrThrow(taskSchema, input, 'task input');
    const started = Date.now();
    try {
      return await run(task);
    } catch (error) {
      // A throttled or unreachable store (DynamoDB's throughput errors after the SDK's own
      // retries, S3's SlowDown) leaves as ServiceUnavailableError, which the state machine retries.
      const translated = toAppError(error);
      throw translated instanceof ServiceUnavailableError ? translated : error;
    } finally {
      // A metric of its own: a `step` dimension must not land on the job and lake metrics too.
      const step = metrics.singleMetric();
      step.addDimension('step', task.action);
      step.addMetric('JobStepDuration', MetricUnit.Milliseconds, Date.now() - started);
    }
  };
}

/** The execution input as EventBridge passes it (a JSON string), or nothing usable. */
function parseInput(input: string | undefined): { jobId?: unknown } {
  try {
    const parsed: unknown = input ? JSON.parse(input) : {};
    return parsed && typeof parsed === 'object' ? (parsed as { jobId?: unknown }) : {};
  } catch {
    return {};
  }
}

export const handler = lambdaEntry(async () => createComputeHandler(await createPipelineFromEnvironment()));

import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metrics } from '#adapters/observability.ts';
import { AUTO_BUCKET_BYTES } from '#domain/compute-buckets.ts';
import { computeWindow } from '#domain/compute-window.ts';
import { addDays, datesBetween, localDate } from '#domain/dates.ts';
import type { Job } from '#domain/jobs.ts';
import { createComputeHandler } from '#functions/compute/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { jobDepsOf } from '#functions/jobs/handler.ts';
import { localDocumentClient } from '#local/servers.ts';
import { InProcessJobRunner, type JobPlan, jobSteps, newJob } from '#services/jobs.ts';
import { RANGE, SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { computeRange } from '../../support/engine.ts';
import { injectFault } from '../../support/faults.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;

describe('the job state machine tasks (compute function)', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('plans the configured window ending today when the schedule passes no range', async () => {
    const plan = (await createComputeHandler(stack.pipeline)({ action: 'plan', input: {} })) as JobPlan;
    // The test config keeps the default scheduleWindowDays of 7: today and the six days before.
    const today = localDate(Date.now(), 'UTC');
    expect(plan).toMatchObject({ kind: 'compute', to: today, from: addDays(today, -6), days: [] });
    expect(await stack.pipeline.results.get(plan.jobId)).toMatchObject({
      status: 'running',
      progress: { done: 0, total: 3 + 1 },
    });
  });

  it('plans one bucket under `auto` while the window holds less than a bucket of lake', async () => {
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    const deps = { ...jobDepsOf(stack.pipeline), computeBuckets: 'auto' as const };
    for (const date of datesBetween(addDays(RANGE.from, -1), addDays(RANGE.to, 1)))
      await jobSteps.build('replay-20260101T000000-0000cafe', date, deps);
    const { utcDates } = computeWindow(RANGE, stack.pipeline.config);
    const bytes = await deps.lakeStore.sizeOfDays('events', utcDates[0] as string, utcDates.at(-1) as string);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(AUTO_BUCKET_BYTES);
    const plan = await jobSteps.plan(newJob('compute', RANGE.from, RANGE.to), deps);
    expect(plan.buckets).toEqual([{ bucket: 0, buckets: 1 }]);
  });

  it('refuses at plan, with the sizes and what to change, a window whose cache and spill would not fit the work folder', async () => {
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    const built = { ...jobDepsOf(stack.pipeline), computeBuckets: 2 };
    for (const date of datesBetween(addDays(RANGE.from, -1), addDays(RANGE.to, 1)))
      await jobSteps.build('replay-20260101T000000-0000f00d', date, built);
    const { utcDates } = computeWindow(RANGE, stack.pipeline.config);
    const bytes = await built.lakeStore.sizeOfDays(
      'events',
      utcDates[0] as string,
      utcDates.at(-1) as string,
    );
    // The window needs bytes × 1.4 of work folder (windowFits), of which 90% may be used.
    const enough = Math.ceil((bytes * 1.4) / 0.9) + 1;
    const fits = await jobSteps.plan(newJob('compute', RANGE.from, RANGE.to), {
      ...built,
      computeWorkFolderBytes: enough,
    });
    expect(fits.buckets).toHaveLength(2);

    const tooSmall = { ...built, computeWorkFolderBytes: Math.floor(bytes / 0.9) };
    const job = newJob('compute', RANGE.from, RANGE.to);
    await expect(jobSteps.plan(job, tooSmall)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringMatching(
        /holds 0\.0 GB of lake events; .* more than its 0\.0 GB of work folder allows: compute a shorter range/,
      ),
    });
    // Run as a job, it ends `failed` with that reason instead of failing minutes in, out of disk.
    const runner = new InProcessJobRunner(tooSmall);
    await runner.start(job);
    await runner.idle();
    expect(await stack.pipeline.results.get(job.jobId)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('lower lookbackDays or scheduleWindowDays'),
    });
  });

  it('runs plan, build per day, map per bucket and reduce as the state machine does, storing what a whole run stores', async () => {
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    const handler = createComputeHandler(stack.pipeline);
    const job = { jobId: 'replay-20260101T000000-0000beef', kind: 'replay', ...RANGE, status: 'queued' };
    await stack.pipeline.results.put({ ...job, createdAt: new Date().toISOString() } as Job);
    const plan = (await handler({ action: 'plan', input: job })) as JobPlan;
    // A replay rebuilds the UTC days of the range and one on each side; the test stack uses 3 buckets.
    expect(plan.days).toEqual(datesBetween(addDays(RANGE.from, -1), addDays(RANGE.to, 1)));
    expect(plan.buckets).toEqual([0, 1, 2].map((bucket) => ({ bucket, buckets: 3 })));
    const built = [];
    for (const date of plan.days) built.push(await handler({ action: 'build', jobId: plan.jobId, date }));
    expect(await stack.pipeline.results.get(plan.jobId)).toMatchObject({
      status: 'running',
      progress: { done: plan.days.length, total: plan.days.length + 3 + 1 },
    });
    const outputs = [];
    for (const { bucket, buckets } of plan.buckets) {
      outputs.push(await handler({ action: 'map', jobId: plan.jobId, ...RANGE, bucket, buckets }));
    }
    const done = await handler({
      action: 'reduce',
      jobId: plan.jobId,
      kind: 'replay',
      ...RANGE,
      outputs,
      built,
    });
    expect(done).toMatchObject({
      status: 'succeeded',
      stats: {
        events: SCENARIO_EVENTS.length,
        days: 7,
        buckets: 3,
        lakeEvents: SCENARIO_EVENTS.length,
        skipped: 0,
      },
    });
    const stepped = await stack.pipeline.results.readRange(RANGE.from, RANGE.to, { largest: 1 });
    await computeRange(RANGE, 'whole', 1, jobDepsOf(stack.pipeline));
    expect(await stack.pipeline.results.readRange(RANGE.from, RANGE.to, { largest: 1 })).toEqual(stepped);
  });

  it('records a failed run with the state machine error, and counts it with the step duration', async () => {
    const handler = createComputeHandler(stack.pipeline);
    const plan = (await handler({ action: 'plan', input: RANGE })) as unknown as { jobId: string };
    const added = vi.spyOn(Metrics.prototype, 'addMetric');
    const dimensions = vi.spyOn(Metrics.prototype, 'addDimension');
    try {
      await handler({
        action: 'fail',
        state: { jobId: plan.jobId, error: { Error: 'States.TaskFailed', Cause: 'boom' } },
      });
      expect(added.mock.calls.map(([name, unit]) => [name, unit])).toEqual([
        ['JobsFailed', 'Count'],
        ['JobStepDuration', 'Milliseconds'],
      ]);
      // The failure counts on the function's metrics; the duration is a metric of its own, with
      // the step as its dimension (so the job metrics carry none).
      expect(added.mock.contexts[0]).toBe(metrics);
      expect(added.mock.contexts[1]).not.toBe(metrics);
      expect(dimensions.mock.calls).toEqual([['step', 'fail']]);
      expect(dimensions.mock.contexts[0]).toBe(added.mock.contexts[1]);
    } finally {
      added.mockRestore();
      dimensions.mockRestore();
    }
    expect(await stack.pipeline.results.get(plan.jobId)).toMatchObject({
      status: 'failed',
      error: 'States.TaskFailed: boom',
    });
  });

  it('ends a job its execution left running (time-out, abort), found by the id in its input or by its name', async () => {
    const handler = createComputeHandler(stack.pipeline);
    // A job the API started: the execution input names it.
    const started = (await handler({ action: 'plan', input: RANGE })) as JobPlan;
    await handler({
      action: 'ended',
      name: started.jobId,
      status: 'TIMED_OUT',
      input: JSON.stringify({ jobId: started.jobId }),
    });
    expect(await stack.pipeline.results.get(started.jobId)).toMatchObject({
      status: 'failed',
      error: "the job's execution ended TIMED_OUT",
    });
    // A scheduled run: its job is named after the execution, which is all the end event carries.
    const scheduled = (await handler({
      action: 'plan',
      input: {},
      executionName: 'a1b2c3d4-e5f6-schedule',
    })) as JobPlan;
    expect(scheduled.jobId).toBe('compute-a1b2c3d4-e5f6-schedule');
    await handler({ action: 'ended', name: 'a1b2c3d4-e5f6-schedule', status: 'ABORTED', input: '{}' });
    expect(await stack.pipeline.results.get(scheduled.jobId)).toMatchObject({ status: 'failed' });
    // A job that already ended keeps its outcome.
    await handler({ action: 'fail', state: { jobId: started.jobId, error: { Error: 'X', Cause: 'first' } } });
    expect((await stack.pipeline.results.get(started.jobId))?.error).toBe(
      "the job's execution ended TIMED_OUT",
    );
  });

  it('leaves with ServiceUnavailableError (retried by the state machine) when DynamoDB stays throttled, and with the error itself otherwise', async () => {
    const throttled = (name: string) => () =>
      Object.assign(new Error(`${name} (injected)`), {
        name,
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    for (const name of [
      'ProvisionedThroughputExceededException',
      'ThrottlingException',
      'RequestLimitExceeded',
    ]) {
      const dynamo = localDocumentClient(stack.servers.dynamoEndpoint);
      injectFault(dynamo, {
        commands: ['PutCommand', 'PutItemCommand', 'UpdateCommand', 'UpdateItemCommand'],
        error: throttled(name),
      });
      const handler = createComputeHandler(stack.pipelineWith(({ s3 }) => ({ s3, dynamo })));
      const failed = handler({ action: 'plan', input: { from: '2026-03-01', to: '2026-03-02' } });
      await expect(failed).rejects.toMatchObject({ name: 'ServiceUnavailableError', cause: { name } });
    }
    // A bug is not a store that is down: it keeps its own name, so the state machine fails the job.
    const dynamo = localDocumentClient(stack.servers.dynamoEndpoint);
    injectFault(dynamo, {
      commands: ['PutCommand', 'PutItemCommand', 'UpdateCommand', 'UpdateItemCommand'],
      error: () => new TypeError('a bug (injected)'),
    });
    const handler = createComputeHandler(stack.pipelineWith(({ s3 }) => ({ s3, dynamo })));
    await expect(
      handler({ action: 'plan', input: { from: '2026-03-01', to: '2026-03-02' } }),
    ).rejects.toMatchObject({
      name: 'TypeError',
    });
  });

  it('refuses an unknown action, a map without its bucket and a backwards range', async () => {
    const handler = createComputeHandler(stack.pipeline);
    await expect(handler({ action: 'scan' })).rejects.toThrow(/action/);
    await expect(
      handler({ action: 'map', jobId: 'compute-20260101T000000-deadbeef', ...RANGE }),
    ).rejects.toThrow(/bucket/);
    await expect(
      handler({ action: 'plan', input: { from: '2026-03-02', to: '2026-03-01' } }),
    ).rejects.toThrow(/from must not be after to/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datesBetween, localDate } from '#domain/dates.ts';
import { createComputeHandler } from '#functions/compute/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { computeRange } from '#services/compute.ts';
import { replayRange } from '#services/replay.ts';
import { RANGE, SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;

describe('the scheduled compute function', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('recomputes the configured window ending today when the schedule passes no range', async () => {
    const job = await createComputeHandler(stack.pipeline)({
      source: 'aws.scheduler',
      'detail-type': 'Scheduled Event',
    });
    // The test config keeps the default scheduleWindowDays of 7: today and the six days before.
    expect(job).toMatchObject({
      kind: 'compute',
      status: 'succeeded',
      to: localDate(Date.now(), 'UTC'),
      stats: { days: 7 },
    });
  });

  it('runs plan, map per segment and reduce as the state machine does, storing what a whole run stores', async () => {
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    await replayRange(RANGE.from, RANGE.to, stack.pipeline);
    await computeRange(RANGE, 'whole', 3, { ...stack.pipeline, dayStore: stack.pipeline.results });
    const whole = await stack.pipeline.results.readDays(datesBetween(RANGE.from, RANGE.to));

    const handler = createComputeHandler(stack.pipeline);
    const plan = (await handler({ action: 'plan', input: RANGE })) as unknown as {
      jobId: string;
      segments: Array<{ segment: number; totalSegments: number }>;
    };
    // The test stack scans in 3 segments (SCAN_SEGMENTS).
    expect(plan.segments).toEqual([0, 1, 2].map((segment) => ({ segment, totalSegments: 3 })));
    expect(await stack.pipeline.results.get(plan.jobId)).toMatchObject({ status: 'running' });
    const partials = [];
    for (const { segment, totalSegments } of plan.segments) {
      partials.push(await handler({ action: 'map', jobId: plan.jobId, ...RANGE, segment, totalSegments }));
    }
    const done = await handler({ action: 'reduce', jobId: plan.jobId, ...RANGE, partials });
    expect(done).toMatchObject({
      status: 'succeeded',
      stats: { events: SCENARIO_EVENTS.length, days: 7, segments: 3 },
    });
    expect(await stack.pipeline.results.readDays(datesBetween(RANGE.from, RANGE.to))).toEqual(whole);
  });

  it('records a failed run with the state machine error', async () => {
    const handler = createComputeHandler(stack.pipeline);
    const plan = (await handler({ action: 'plan', input: RANGE })) as unknown as { jobId: string };
    await handler({
      action: 'fail',
      jobId: plan.jobId,
      error: { Error: 'States.TaskFailed', Cause: 'boom' },
    });
    expect(await stack.pipeline.results.get(plan.jobId)).toMatchObject({
      status: 'failed',
      error: 'States.TaskFailed: boom',
    });
  });

  it('refuses an unknown action or a map without its segment', async () => {
    const handler = createComputeHandler(stack.pipeline);
    await expect(
      handler({ action: 'map', jobId: 'compute-20260101T000000-deadbeef', ...RANGE }),
    ).rejects.toThrow(/segment/);
  });

  it('computes an explicit range and refuses a backwards one', async () => {
    const handler = createComputeHandler(stack.pipeline);
    expect(await handler({ from: '2026-03-01', to: '2026-03-02' })).toMatchObject({
      status: 'succeeded',
      stats: { days: 2 },
    });
    await expect(handler({ from: '2026-03-02', to: '2026-03-01' })).rejects.toThrow(
      /from must not be after to/,
    );
  });
});

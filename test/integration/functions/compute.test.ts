import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDate } from '#domain/dates.ts';
import { createComputeHandler } from '#functions/compute/handler.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';

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

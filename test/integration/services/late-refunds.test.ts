import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner, jobDepsOf } from '#functions/jobs/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { attributionResponseSchema } from '#http/api-schemas.ts';
import { jobSteps, newJob } from '#services/jobs.ts';
import { refundedFrom } from '#services/late-refunds.ts';
import {
  apiEvent,
  bodyOf,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

let stack: TestStack;
const PURCHASE_DAY = '2026-05-04';
const REFUND_DAY = '2026-05-25';
/** The schedule's window when the refund has come: three weeks after the purchase. */
const WINDOW = { from: '2026-05-20', to: '2026-05-26' };

const visit = (eventId: string, userId: string, query: string, occurredAt: string) => ({
  eventId,
  type: 'page_view',
  userId,
  url: `https://shop.example/${query}`,
  occurredAt,
});
const purchase = (eventId: string, userId: string, amount: number, occurredAt: string) => ({
  eventId,
  type: 'conversion',
  name: 'purchase',
  userId,
  value: { amount, currency: 'USD' },
  occurredAt,
});
/** A refund of `refundOf`: `amount` of it, or all of it. */
const refund = (
  eventId: string,
  userId: string,
  refundOf: string,
  amount: number | undefined,
  occurredAt: string,
) => ({
  eventId,
  type: 'conversion',
  name: 'refund',
  userId,
  refundOf,
  ...(amount === undefined ? {} : { value: { amount, currency: 'USD' } }),
  occurredAt,
});

const ingest = async (events: unknown[]) => {
  const answer = await createIngestHandler(stack.pipeline)(
    apiEvent({ path: '/v1/events', body: { events } }),
    testContext(),
  );
  expect(bodyOf(answer)).toMatchObject({ accepted: events.length, rejected: [] });
};

/** Runs a job to its end and gives its record. */
const run = async (kind: 'compute' | 'replay', range: { from: string; to: string }) => {
  const runner = createInProcessRunner(stack.pipeline);
  const job = newJob(kind, range.from, range.to);
  await runner.start(job);
  await runner.idle();
  const done = await stack.pipeline.results.get(job.jobId);
  expect(done?.status).toBe('succeeded');
  return done;
};

const purchaseValue = async () => {
  const query = createQueryHandler(stack.pipeline);
  const answer = await query(
    apiEvent({
      path: '/v1/attribution',
      query: { from: PURCHASE_DAY, to: PURCHASE_DAY, model: 'last_touch' },
      key: QUERY_KEY,
    }),
    testContext('query'),
  );
  return attributionResponseSchema.parse(bodyOf(answer)).value;
};

describe('a refund that comes after its conversion has left the schedule window', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    // ann buys for 100 and bo for 50 on May 4, each after a visit; the day is computed.
    await ingest([
      visit('late-visit-1', 'ann', '?utm_source=google&utm_medium=cpc', `${PURCHASE_DAY}T09:00:00Z`),
      purchase('late-order-1', 'ann', 100, `${PURCHASE_DAY}T09:30:00Z`),
      visit('late-visit-2', 'bo', '', `${PURCHASE_DAY}T10:00:00Z`),
      purchase('late-order-2', 'bo', 50, `${PURCHASE_DAY}T10:30:00Z`),
    ]);
    await run('replay', { from: PURCHASE_DAY, to: PURCHASE_DAY });
  });
  afterAll(() => stack.close());

  it('widens the next compute to the conversion day once, then no more, bounded by lateRefundDays', async () => {
    expect(await purchaseValue()).toBe(150); // 100 + 50
    // ann returns 40 of her order three weeks later; the refund's day gets into the lake.
    await ingest([refund('late-refund-1', 'ann', 'late-order-1', 40, `${REFUND_DAY}T12:00:00Z`)]);
    await run('replay', { from: REFUND_DAY, to: REFUND_DAY });
    // The replay computed only May 25, so May 4 still holds the whole value.
    expect(await purchaseValue()).toBe(150);
    const deps = jobDepsOf(stack.pipeline);
    // May 4 is 16 days before the window: a deployment that reaches back 10 days leaves it.
    expect(await refundedFrom(WINDOW, { ...deps, config: { ...deps.config, lateRefundDays: 10 } })).toBe(
      WINDOW.from,
    );
    expect(await refundedFrom(WINDOW, deps)).toBe(PURCHASE_DAY);
    // Later runs of the schedule, more than the 5-minute margin after the refund was written.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 6 * 60_000 });
    try {
      // The next window computes from May 4: 150 − 40 = 110.
      const widened = await run('compute', WINDOW);
      expect(widened).toMatchObject({ from: WINDOW.from, computedFrom: PURCHASE_DAY, stats: { days: 23 } }); // May 4…26
      expect(await purchaseValue()).toBe(110);
      // May 4 is now stored from a read of the lake after the refund: later windows stay as they are.
      const next = await run('compute', WINDOW);
      expect(next?.computedFrom).toBeUndefined();
      expect(next?.stats?.days).toBe(7);
      // Rebuilding the refund's day keeps its stamp, so it does not look new again.
      await run('replay', { from: REFUND_DAY, to: REFUND_DAY });
      expect(await refundedFrom(WINDOW, deps)).toBe(WINDOW.from);
      expect(await purchaseValue()).toBe(110);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never widens to a day never computed, nor past the longest range a job takes', async () => {
    // cy bought on April 20 and returned it on May 27: both days are in the lake, April 20 was
    // never computed (nothing stored there to correct), so a window of May 21…27 stays as it is.
    await ingest([
      purchase('late-order-3', 'cy', 30, '2026-04-20T09:00:00Z'),
      refund('late-refund-3', 'cy', 'late-order-3', undefined, '2026-05-27T09:00:00Z'),
    ]);
    const deps = jobDepsOf(stack.pipeline);
    for (const date of ['2026-04-20', '2026-05-27'])
      await jobSteps.build('compute-late-refunds-build', date, deps);
    expect(await refundedFrom({ from: '2026-05-21', to: '2026-05-27' }, deps)).toBe('2026-05-21');
    // A range already 400 days long is never made longer.
    expect(await refundedFrom({ from: '2025-04-23', to: '2026-05-27' }, deps)).toBe('2025-04-23');
  });

  it('computes the job range alone when the refunds cannot be looked up', async () => {
    const deps = jobDepsOf(stack.pipeline);
    const lake = deps.lakeStore;
    const failing = {
      ...deps,
      lakeStore: {
        putPartition: lake.putPartition.bind(lake),
        listParts: lake.listParts.bind(lake),
        deleteParts: lake.deleteParts.bind(lake),
        sizeOfDays: lake.sizeOfDays.bind(lake),
        fetchPartitions: async () => {
          throw new Error('the lake store could not be reached');
        },
      },
    };
    const plan = await jobSteps.plan(newJob('compute', WINDOW.from, WINDOW.to), failing);
    expect(plan.from).toBe(WINDOW.from);
  });
});

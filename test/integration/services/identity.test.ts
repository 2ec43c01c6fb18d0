import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { attribute } from '#domain/attribution/index.ts';
import { datesBetween } from '#domain/dates.ts';
import { toComputePartial } from '#domain/day-result.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { computeRange } from '#services/compute.ts';
import { replayRange } from '#services/replay.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

const RANGE = { from: '2026-05-01', to: '2026-05-03' };
const anonymousVisit = {
  eventId: 'anon-visit',
  type: 'page_view',
  occurredAt: '2026-05-01T09:00:00Z',
  anonymousId: 'visitor-7',
  url: 'https://acme.example/',
  referrer: 'https://www.google.com/',
};
const identify = {
  eventId: 'link',
  type: 'identify',
  occurredAt: '2026-05-01T09:10:00Z',
  anonymousId: 'visitor-7',
  userId: 'jane',
};
const purchase = {
  eventId: 'buy',
  type: 'conversion',
  occurredAt: '2026-05-02T12:00:00Z',
  userId: 'jane',
  name: 'purchase',
};
const laterAnonymous = {
  ...anonymousVisit,
  eventId: 'anon-later',
  occurredAt: '2026-05-02T11:00:00Z',
  referrer: 'https://t.co/x',
};

let stack: TestStack;

/** Sends each group as its own request, loads the raw zone, computes, and reads last-touch credit. */
async function lastTouchAfter(...groups: Array<Record<string, unknown>[]>) {
  const ingest = createIngestHandler(stack.pipeline);
  for (const events of groups) {
    await ingest(apiEvent({ path: '/v1/events', body: { events } }), testContext());
    await replayRange(RANGE.from, RANGE.to, stack.pipeline);
  }
  await computeRange(RANGE, `v${Math.random()}`, 2, { ...stack.pipeline, dayStore: stack.pipeline.results });
  const partial = toComputePartial(await stack.pipeline.results.readDays(datesBetween(RANGE.from, RANGE.to)));
  const result = attribute(partial.attribution, { ...RANGE, model: 'last_touch', groupBy: 'channel' });
  return Object.fromEntries(result.rows.map((row) => [row.key, row.conversions]));
}

describe('identity joining', () => {
  beforeEach(async () => {
    await stack?.close();
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('credits a user conversion to the touch they made while anonymous, once identified', async () => {
    // The visit from Google was anonymous; the identify links visitor-7 to jane; jane buys.
    expect(await lastTouchAfter([anonymousVisit], [identify], [purchase])).toEqual({ organic_search: 1 });
  });

  it('joins the same way when the identify is loaded before the anonymous events', async () => {
    expect(await lastTouchAfter([identify], [purchase, anonymousVisit])).toEqual({ organic_search: 1 });
  });

  it('keys anonymous events that arrive after the link to the user', async () => {
    // The later anonymous visit (from t.co, 1 h before the purchase) is the last touch.
    expect(await lastTouchAfter([anonymousVisit, identify], [laterAnonymous, purchase])).toEqual({
      organic_social: 1,
    });
  });

  it('without an identify, the anonymous visit and the purchase stay apart', async () => {
    expect(await lastTouchAfter([anonymousVisit], [purchase])).toEqual({ direct: 1 });
  });

  it('keeps the first link of an anonymous id when a second user claims it', async () => {
    const other = { ...identify, eventId: 'link-2', userId: 'john', occurredAt: '2026-05-01T09:20:00Z' };
    const johnBuys = { ...purchase, eventId: 'buy-2', userId: 'john' };
    expect(await lastTouchAfter([anonymousVisit, identify], [other], [purchase, johnBuys])).toEqual({
      organic_search: 1,
      direct: 1,
    });
  });
});

describe('identity joining under concurrency', () => {
  let store: TestStack;
  beforeEach(async () => {
    await store?.close();
    store = await startTestStack();
  });
  afterAll(() => store.close());

  const anonymousEvent = (eventId: string, anonymousKey: string) => ({
    eventId,
    type: 'page_view' as const,
    occurredAt: '2026-05-01T09:00:00.000Z',
    ts: Date.parse('2026-05-01T09:00:00Z'),
    receivedAt: '2026-05-01T09:00:00.000Z',
    userKey: anonymousKey,
    anonymousId: anonymousKey.slice(2),
    channel: 'referral' as const,
    stage: 'consideration' as const,
    touch: true,
    count: 1,
  });

  async function where(eventId: string) {
    const found: string[] = [];
    for (let segment = 0; segment < 2; segment++) {
      for await (const event of store.pipeline.eventStore.scanSegment(segment, 2, {
        fromTs: 0,
        toTs: Date.parse('2100-01-01'),
      })) {
        if (event.eventId === eventId) found.push(event.userKey ?? '');
      }
    }
    return found;
  }

  it('moves the events once, to the winner, when two users claim one anonymous id at the same time', async () => {
    await store.pipeline.eventStore.putEvents([anonymousEvent('e1', 'a:X')]);
    await Promise.all([
      store.pipeline.eventStore.linkIdentity('a:X', 'u:Y'),
      store.pipeline.eventStore.linkIdentity('a:X', 'u:Z'),
    ]);
    const owners = await where('e1');
    expect(owners).toHaveLength(1);
    expect(['u:Y', 'u:Z']).toContain(owners[0]);
  });

  it('moves an anonymous event written after the link was made (a load that raced the identify)', async () => {
    await store.pipeline.eventStore.linkIdentity('a:W', 'u:V');
    // The racing load resolved no alias, so it writes the event under the anonymous key...
    await store.pipeline.eventStore.putEvents([anonymousEvent('e2', 'a:W')]);
    // ...and looks again after writing, as loadRawObject does.
    await store.pipeline.eventStore.moveLinked(['a:W']);
    expect(await where('e2')).toEqual(['u:V']);
  });
});

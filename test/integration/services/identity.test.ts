import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { attribute } from '#domain/attribution/index.ts';
import { addDays, datesBetween } from '#domain/dates.ts';
import { toComputePartial } from '#domain/day-result.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { jobDepsOf } from '#functions/jobs/handler.ts';
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { computeLakeRows, computeRange } from '../../support/engine.ts';
import { event } from '../../support/events.ts';
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

/** Sends each group as its own request, rebuilds the lake, computes, and reads last-touch credit. */
async function lastTouchAfter(...groups: Array<Record<string, unknown>[]>) {
  const ingest = createIngestHandler(stack.pipeline);
  for (const events of groups) {
    await ingest(apiEvent({ path: '/v1/events', body: { events } }), testContext());
    await refreshLakeDays(
      wholeDays(datesBetween(addDays(RANGE.from, -1), addDays(RANGE.to, 1))),
      stack.pipeline,
    );
  }
  await computeRange(RANGE, `v${Math.random()}`, 2, jobDepsOf(stack.pipeline));
  const partial = toComputePartial(await stack.pipeline.results.readRange(RANGE.from, RANGE.to));
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

  it('follows an alias: the visit made anonymously as an earlier user id counts for the new id', async () => {
    // visitor-7 → jane (identify), then jane → jane@new (alias, Segment's previousId): the purchase by
    // the new id is credited to the anonymous Google visit, two links away.
    const alias = {
      eventId: 'alias',
      type: 'identify',
      occurredAt: '2026-05-01T10:00:00Z',
      userId: 'jane-new',
      previousId: 'jane',
    };
    const newBuys = { ...purchase, eventId: 'buy-new', userId: 'jane-new' };
    expect(await lastTouchAfter([anonymousVisit, identify], [alias], [newBuys])).toEqual({
      organic_search: 1,
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

describe('identity resolution in the compute SQL', () => {
  const range = { from: '2026-05-01', to: '2026-05-03' };
  const link = (fromKey: string, toKey: string, at: string, eventId: string) => ({
    fromKey,
    toKey,
    ts: Date.parse(at),
    eventId,
  });
  const visit = event('visit', '2026-05-01T09:00:00Z', { userKey: 'a:X', channel: 'referral' });
  const buy = event('buy', '2026-05-02T12:00:00Z', {
    userKey: 'u:B',
    type: 'conversion',
    conversion: 'purchase',
    stage: 'decision',
    touch: false,
  });
  const lastTouch = async (links: ReturnType<typeof link>[]) => {
    const partial = await computeLakeRows([visit, buy], { ...range, links });
    return attribute(partial.attribution, { ...range, model: 'last_touch', groupBy: 'channel' }).rows.map(
      (row) => [row.key, row.conversions],
    );
  };

  it('follows a chain of links: the anonymous visit of a user later aliased to another id counts for them', async () => {
    // a:X → u:A (identify), then u:A → u:B (alias): the visit and B's purchase are one journey.
    expect(
      await lastTouch([
        link('a:X', 'u:A', '2026-05-01T09:05:00Z', 'l1'),
        link('u:A', 'u:B', '2026-05-01T10:00:00Z', 'l2'),
      ]),
    ).toEqual([['referral', 1]]);
  });

  it('ends a cycle of links instead of looping, and keeps the first link of a key', async () => {
    const links = [
      link('a:X', 'u:B', '2026-05-01T09:05:00Z', 'l1'),
      // A later claim of a:X by someone else does not take the visit.
      link('a:X', 'u:C', '2026-05-01T09:06:00Z', 'l2'),
      link('u:B', 'u:D', '2026-05-01T09:07:00Z', 'l3'),
      link('u:D', 'u:B', '2026-05-01T09:08:00Z', 'l4'),
    ];
    // B ↔ D loop: both resolve to one end of the loop within 16 hops; the purchase by B and the
    // visit by a:X → B → … end at the same key, so the visit is still the last touch.
    expect(await lastTouch(links)).toEqual([['referral', 1]]);
  });

  it('resolves a key that leads into a cycle to the same person as the cycle, even when it sorts first', async () => {
    // a:X → a:Y → u:B ⇄ u:C: the walk from a:X reaches a:Y, u:B and u:C; the cycle's smallest is
    // u:B, which u:B and u:C resolve to. Taking the smallest key reached (a:Y, as a:Y < u:B) split
    // the visit of a:X from B's purchase, which then counted as direct.
    const links = [
      link('a:X', 'a:Y', '2026-05-01T09:05:00Z', 'l1'),
      link('a:Y', 'u:B', '2026-05-01T09:06:00Z', 'l2'),
      link('u:B', 'u:C', '2026-05-01T09:07:00Z', 'l3'),
      link('u:C', 'u:B', '2026-05-01T09:08:00Z', 'l4'),
    ];
    expect(await lastTouch(links)).toEqual([['referral', 1]]);
  });
});

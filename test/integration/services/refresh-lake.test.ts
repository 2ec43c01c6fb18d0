import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DuckDbSession, literalList } from '#adapters/duckdb.ts';
import { channelShare } from '#domain/metrics/index.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { jobDepsOf } from '#functions/jobs/handler.ts';
import { MERGE_PARTS_AFTER, settledDays } from '#services/build-lake.ts';
import { computeBucket } from '#services/compute.ts';
import { jobSteps, newJob } from '#services/jobs.ts';
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;

/** A page view from a paid-search ad (a touch of paid search) on `date`. */
const view = (eventId: string, date: string, userId: string) => ({
  eventId,
  type: 'page_view',
  occurredAt: `${date}T10:00:00Z`,
  userId,
  url: `https://acme.example/?utm_source=google&utm_medium=cpc&utm_campaign=${eventId}`,
});

/** Sends events through intake and answers the raw keys it wrote for `date`. */
async function send(date: string, events: unknown[]): Promise<string[]> {
  const before = new Set<string>();
  for await (const key of stack.pipeline.rawStore.listKeys(date, date)) before.add(key);
  await createIngestHandler(stack.pipeline)(
    apiEvent({ path: '/v1/events', body: { events } }),
    testContext(),
  );
  const keys: string[] = [];
  for await (const key of stack.pipeline.rawStore.listKeys(date, date)) if (!before.has(key)) keys.push(key);
  return keys;
}

const partsOf = async (date: string) =>
  (await stack.pipeline.lakeStore.listParts('events', date)).map((p) => p.part);
const touches = async (date: string) =>
  channelShare((await computeBucket({ from: date, to: date }, 0, 1, stack.pipeline)).partial.metrics, {
    from: date,
    to: date,
    basis: 'touches',
  });
/** Every row of the day's lake files, duplicates across parts included. */
async function idsIn(date: string): Promise<string[]> {
  const files = await stack.pipeline.lakeStore.fetchPartitions('events', [date]);
  const engine = await DuckDbSession.open({ threads: 1 });
  try {
    const rows = await engine.all<{ event_id: string }>(
      `SELECT event_id FROM read_parquet(${literalList(files)})`,
    );
    return rows.map((row) => row.event_id).sort();
  } finally {
    await engine.close();
  }
}

describe('refreshing lake days: appended parts and whole-day builds', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('appends what arrived as parts; compute counts every event once across them', async () => {
    const date = '2026-05-10';
    const first = await send(date, [view('a1', date, 'u1'), view('a2', date, 'u2')]);
    await refreshLakeDays(new Map([[date, first]]), stack.pipeline);
    // a2 again (a redelivery) and a3 new; then the first object named again (an SQS redelivery).
    const second = await send(date, [view('a2', date, 'u2'), view('a3', date, 'u3')]);
    await refreshLakeDays(new Map([[date, second]]), stack.pipeline);
    await refreshLakeDays(new Map([[date, first]]), stack.pipeline);
    const parts = await partsOf(date);
    expect(parts).toHaveLength(3);
    expect(parts).not.toContain('0');
    // Six rows in three parts (a1, a2 | a2, a3 | a1, a2), three events: three paid-search touches.
    expect(await idsIn(date)).toEqual(['a1', 'a1', 'a2', 'a2', 'a2', 'a3']);
    expect(await touches(date)).toMatchObject({ total: 3, channels: [{ channel: 'paid_search', count: 3 }] });
  });

  it("continues a user's visit from the day's earlier parts", async () => {
    const date = '2026-05-13';
    const at = (time: string, eventId: string) => ({
      ...view(eventId, date, 'visitor'),
      occurredAt: `${date}T${time}Z`,
    });
    await refreshLakeDays(new Map([[date, await send(date, [at('10:00:00', 'p1')])]]), stack.pipeline);
    // 10:20 is within 30 minutes of 10:00: the same visit; 11:30 is 70 minutes after 10:20: a new one.
    await refreshLakeDays(new Map([[date, await send(date, [at('10:20:00', 'p2')])]]), stack.pipeline);
    await refreshLakeDays(new Map([[date, await send(date, [at('11:30:00', 'p3')])]]), stack.pipeline);
    const files = await stack.pipeline.lakeStore.fetchPartitions('events', [date]);
    const engine = await DuckDbSession.open({ threads: 1 });
    try {
      const rows = await engine.all<{ event_id: string; visit_id: string }>(
        `SELECT event_id, visit_id FROM read_parquet(${literalList(files)}) ORDER BY event_id`,
      );
      expect(rows).toEqual([
        { event_id: 'p1', visit_id: `u:visitor@${date}T10:00:00.000Z` },
        { event_id: 'p2', visit_id: `u:visitor@${date}T10:00:00.000Z` },
        { event_id: 'p3', visit_id: `u:visitor@${date}T11:30:00.000Z` },
      ]);
    } finally {
      await engine.close();
    }
  });

  it('merges more than the limit of appended parts into one, by the engine alone', async () => {
    const date = '2026-05-11';
    for (let n = 1; n <= MERGE_PARTS_AFTER + 1; n++) {
      const keys = await send(date, [view(`m${n}`, date, `u${n}`), view('m1', date, 'u1')]);
      await refreshLakeDays(new Map([[date, keys]]), stack.pipeline);
    }
    // 17 parts → merged into one holding each event once: m1 … m17.
    expect(await partsOf(date)).toHaveLength(1);
    expect(await idsIn(date)).toEqual(
      Array.from({ length: MERGE_PARTS_AFTER + 1 }, (_, i) => `m${i + 1}`).sort(),
    );
    expect((await touches(date)).total).toBe(MERGE_PARTS_AFTER + 1);
  });

  it('builds a day whole as part 0 and drops the parts it has certainly read', async () => {
    const date = '2026-05-12';
    const keys = await send(date, [view('w1', date, 'u1')]);
    await refreshLakeDays(new Map([[date, keys]]), stack.pipeline);
    expect(await partsOf(date)).toHaveLength(1);
    // A whole build right away keeps the part (written within the last minute: it may hold an
    // object the build's listing did not see); one two minutes later deletes it.
    await refreshLakeDays(wholeDays([date]), stack.pipeline);
    expect((await partsOf(date)).sort()).toHaveLength(2);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 120_000 });
    await refreshLakeDays(wholeDays([date]), stack.pipeline);
    expect(await partsOf(date)).toEqual(['0']);
    expect(await idsIn(date)).toEqual(['w1']);
  });

  it('lets a compute job build a closed day whole once no part has been appended to it for ten minutes', async () => {
    const date = '2026-05-19';
    const keys = await send(date, [view('s1', date, 'u1')]);
    await refreshLakeDays(new Map([[date, keys]]), stack.pipeline);
    const now = Date.now();
    // Just appended: not settled; today never is; ten minutes and a second later it is.
    expect(await settledDays([date], stack.pipeline, now)).toEqual([]);
    expect(await settledDays([date], stack.pipeline, Date.parse(`${date}T12:00:00Z`))).toEqual([]);
    expect(await settledDays([date, '2026-05-18'], stack.pipeline, now + 601_000)).toEqual([date]);
    vi.useFakeTimers({ toFake: ['Date'], now: now + 601_000 });
    const plan = await jobSteps.plan(
      newJob('compute', '2026-05-19', '2026-05-19'),
      jobDepsOf(stack.pipeline),
    );
    expect(plan.days).toEqual([date]);
  });
});

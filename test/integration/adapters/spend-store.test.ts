import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpendRow } from '#domain/normalised-event.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';

let stack: TestStack;

const row = (date: string, platform: string, campaign: string, costMicros: number): SpendRow => ({
  date,
  channel: 'paid_search',
  platform,
  campaign,
  costMicros,
  currency: 'USD',
});

describe('the spend store', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('keeps rows apart whose parts would join to the same key with #', async () => {
    const a = row('2026-04-01', 'acme#brand', 'x', 1_000_000);
    const b = row('2026-04-01', 'acme', 'brand#x', 2_000_000);
    const c = row('2026-04-01', 'acme%23brand', 'x', 3_000_000);
    await stack.pipeline.spendStore.upsert([a, b, c]);
    const stored = await stack.pipeline.spendStore.list('2026-04-01', '2026-04-01');
    const byCost = stored
      .map((r) => [r.platform, r.campaign, r.costMicros])
      .sort((x, y) => Number(x[2]) - Number(y[2]));
    expect(byCost).toEqual([
      ['acme#brand', 'x', 1_000_000],
      ['acme', 'brand#x', 2_000_000],
      ['acme%23brand', 'x', 3_000_000],
    ]);
  });

  it('still replaces a row sent again, and lists only the dates asked for', async () => {
    await stack.pipeline.spendStore.upsert([row('2026-04-02', 'meta', 'spring #1', 5_000_000)]);
    await stack.pipeline.spendStore.upsert([row('2026-04-02', 'meta', 'spring #1', 7_000_000)]);
    await stack.pipeline.spendStore.upsert([row('2026-04-03', 'meta', 'spring #1', 1)]);
    const stored = await stack.pipeline.spendStore.list('2026-04-02', '2026-04-02');
    expect(stored.map((r) => [r.date, r.campaign, r.costMicros])).toEqual([
      ['2026-04-02', 'spring #1', 7_000_000],
    ]);
  });

  it('keeps a correction that changes the channel as a second row, and clears the first when it is sent again with 0', async () => {
    // The channel (from the row's network) is part of the key: docs/decisions.md, "Spend rows".
    await stack.pipeline.spendStore.upsert([row('2026-04-05', 'google_ads', 'shoes', 4_000_000)]);
    const moved = { ...row('2026-04-05', 'google_ads', 'shoes', 4_000_000), channel: 'display' as const };
    await stack.pipeline.spendStore.upsert([moved]);
    const both = await stack.pipeline.spendStore.list('2026-04-05', '2026-04-05');
    expect(both.map((r) => [r.channel, r.costMicros]).sort()).toEqual([
      ['display', 4_000_000],
      ['paid_search', 4_000_000],
    ]);
    await stack.pipeline.spendStore.upsert([row('2026-04-05', 'google_ads', 'shoes', 0)]);
    const after = await stack.pipeline.spendStore.list('2026-04-05', '2026-04-05');
    expect(after.map((r) => [r.channel, r.costMicros]).filter(([, cost]) => cost !== 0)).toEqual([
      ['display', 4_000_000],
    ]);
  });
});

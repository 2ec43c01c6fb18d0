import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { apiEvent, bodyOf, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;
let spend: ReturnType<typeof createSpendHandler>;

const post = (body: unknown) => spend(apiEvent({ path: '/v1/spend', body }), testContext('spend'));

describe('POST /v1/spend', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    spend = createSpendHandler(stack.pipeline);
  });
  afterAll(() => stack.close());

  it('upserts rows: sending a row again replaces it instead of adding to it', async () => {
    const row = {
      date: '2026-03-01',
      platform: 'google_ads',
      network: 'search',
      campaign: 'brand',
      amount: 12.5,
      currency: 'USD',
    };
    expect(bodyOf(await post({ rows: [row] }))).toEqual({ upserted: 1 });
    expect((await post({ rows: [{ ...row, amount: 20 }] })).statusCode).toBe(200);
    const stored = await stack.pipeline.spendStore.list('2026-03-01', '2026-03-01');
    expect(stored).toEqual([
      {
        date: '2026-03-01',
        channel: 'paid_search',
        platform: 'google_ads',
        campaign: 'brand',
        costMicros: 20_000_000,
        currency: 'USD',
      },
    ]);
  });

  it('accepts Google Ads API rows as they come, with costMicros as a string', async () => {
    const result = await post({
      rows: [
        {
          campaign: { id: '123', name: 'Shopping - Shoes', advertisingChannelType: 'SHOPPING' },
          metrics: { costMicros: '4560000', impressions: '1000', clicks: '30' },
          segments: { date: '2026-03-02' },
        },
      ],
    });
    expect(result.statusCode).toBe(200);
    const stored = await stack.pipeline.spendStore.list('2026-03-02', '2026-03-02');
    expect(stored).toEqual([
      {
        date: '2026-03-02',
        channel: 'paid_shopping',
        platform: 'google_ads',
        campaign: 'Shopping - Shoes',
        costMicros: 4_560_000,
        currency: 'USD',
        impressions: 1000,
        clicks: 30,
      },
    ]);
  });

  it('lists rows across a month boundary', async () => {
    await post({
      rows: [
        { date: '2026-03-31', platform: 'meta', campaign: 'a', amount: 1, currency: 'USD' },
        { date: '2026-04-01', platform: 'meta', campaign: 'a', amount: 2, currency: 'USD' },
      ],
    });
    const stored = await stack.pipeline.spendStore.list('2026-03-31', '2026-04-01');
    expect(stored.map((row) => [row.date, row.costMicros])).toEqual([
      ['2026-03-31', 1_000_000],
      ['2026-04-01', 2_000_000],
    ]);
  });

  it('refuses the whole request when one row is bad, naming the row and field, and writes nothing', async () => {
    const result = await post({
      rows: [
        { date: '2026-05-01', platform: 'meta', campaign: 'ok', amount: 5, currency: 'USD' },
        { date: '2026-05-32', platform: 'meta', campaign: 'bad', amount: 5, currency: 'USD' },
      ],
    });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({
      error: { code: 'validation_error', issues: [{ path: 'rows.1.date' }] },
    });
    expect(await stack.pipeline.spendStore.list('2026-05-01', '2026-05-31')).toEqual([]);
  });

  it('refuses a currency other than the configured one', async () => {
    const result = await post({
      rows: [{ date: '2026-05-01', platform: 'meta', amount: 5, currency: 'EUR' }],
    });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ error: { issues: [{ path: 'rows.0.currency' }] } });
  });
});

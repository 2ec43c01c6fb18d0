import { beforeAll, describe, expect, it } from 'vitest';
import type { MetricsPartial } from '#domain/metrics/index.ts';
import {
  addSpend,
  channelShare,
  cpaByStage,
  emptyPartial,
  referralTraffic,
  shareOfVoice,
} from '#domain/metrics/index.ts';
import type { NormalisedEvent, SpendRow } from '#domain/normalised-event.ts';
import { computeLakeRows } from '../../support/engine.ts';
import { conversion, touch } from '../../unit/domain/metrics/events.ts';

/**
 * The worked example every expectation below is computed from by hand (UTC, 2026-03-01..03,
 * lookback 30 days), computed by the real compute SQL over these lake rows:
 *
 * | id | user  | when (UTC)   | what                                              |
 * |----|-------|--------------|---------------------------------------------------|
 * | a1 | alice | 03-01 10:00  | page view, referral, from blog.example            |
 * | a2 | alice | 03-02 09:00  | ad click, paid_search                             |
 * | a3 | alice | 03-02 10:00  | purchase, value 50 → last touch a2 (paid_search)  |
 * | b1 | bob   | 03-01 12:00  | page view, organic_search, from google.com        |
 * | b2 | bob   | 03-03 08:00  | signup → last touch b1 (organic_search, google)   |
 * | c1 | carol | 03-03 09:00  | lead, no touch → direct                           |
 * | d1 | dave  | 03-02 08:00  | e-mail sent: no touch, no stage                   |
 * | d2 | dave  | 03-02 09:00  | e-mail open, email                                |
 * | n1 | —     | 03-01 00:00  | 1,000 impressions, paid_search, voice Acme (ads)  |
 * | n2 | —     | 03-01 00:00  | auction insight: 300 for 'rival' (ads), no touch  |
 * | n3 | —     | 03-02 00:00  | 200 searches, organic_search, voices Acme + Rival |
 * | n4 | —     | 03-03 00:00  | auction insight: 50 for Newcomer (ads), no touch  |
 * | o1 | alice | 03-04 10:00  | paid_search click after the range: not counted    |
 *
 * Spend: 03-01 paid_search 30, 03-02 paid_search 20, 03-02 email 5, 02-28 paid_search 99 (outside).
 */
const EVENTS: NormalisedEvent[] = [
  touch('a1', 'u:alice', '2026-03-01T10:00:00Z', 'referral', {
    referralDomain: 'blog.example',
    referralCategory: 'referral',
  }),
  touch('a2', 'u:alice', '2026-03-02T09:00:00Z', 'paid_search', { type: 'ad_click' }),
  conversion('a3', 'u:alice', '2026-03-02T10:00:00Z', { valueMicros: 50_000_000 }),
  touch('b1', 'u:bob', '2026-03-01T12:00:00Z', 'organic_search', {
    referralDomain: 'google.com',
    referralCategory: 'search',
  }),
  conversion('b2', 'u:bob', '2026-03-03T08:00:00Z', { conversion: 'signup' }),
  conversion('c1', 'u:carol', '2026-03-03T09:00:00Z', { conversion: 'lead' }),
  touch('d1', 'u:dave', '2026-03-02T08:00:00Z', 'email', {
    type: 'email',
    emailAction: 'sent',
    touch: false,
    stage: undefined,
  }),
  touch('d2', 'u:dave', '2026-03-02T09:00:00Z', 'email', { type: 'email', emailAction: 'open' }),
  touch('n1', undefined, '2026-03-01T00:00:00Z', 'paid_search', {
    type: 'ad_impression',
    stage: 'awareness',
    count: 1_000,
    voices: ['Acme'],
    voiceSource: 'ads',
  }),
  touch('n2', undefined, '2026-03-01T00:00:00Z', 'display', {
    type: 'ad_impression',
    touch: false,
    stage: undefined,
    count: 300,
    voices: ['rival'],
    voiceSource: 'ads',
  }),
  touch('n3', undefined, '2026-03-02T00:00:00Z', 'organic_search', {
    type: 'search',
    stage: 'awareness',
    count: 200,
    voices: ['Acme', 'Rival'],
    voiceSource: 'search',
  }),
  touch('n4', undefined, '2026-03-03T00:00:00Z', 'display', {
    type: 'ad_impression',
    touch: false,
    stage: undefined,
    count: 50,
    voices: ['Newcomer'],
    voiceSource: 'ads',
  }),
  touch('o1', 'u:alice', '2026-03-04T10:00:00Z', 'paid_search', { type: 'ad_click' }),
];

const spend = (
  date: string,
  channel: SpendRow['channel'],
  platform: string,
  costMicros: number,
): SpendRow => ({
  date,
  channel,
  platform,
  campaign: 'c',
  costMicros,
  currency: 'USD',
});
const SPEND: SpendRow[] = [
  spend('2026-03-01', 'paid_search', 'google_ads', 30_000_000),
  spend('2026-03-02', 'paid_search', 'google_ads', 20_000_000),
  spend('2026-03-02', 'email', 'esp', 5_000_000),
  spend('2026-02-28', 'paid_search', 'google_ads', 99_000_000),
];

const RANGE = { from: '2026-03-01', to: '2026-03-03' };
let PARTIAL: MetricsPartial;
beforeAll(async () => {
  const { metrics } = await computeLakeRows(EVENTS, { ...RANGE, timeZone: 'UTC', lookbackDays: 30 });
  PARTIAL = addSpend(metrics, SPEND, RANGE);
});
const VOICES = { brand: 'Acme', competitors: ['Rival', 'Other'], limit: 20 } as const;

describe('channelShare', () => {
  it('shares touches by channel, weighted by count', () => {
    // paid_search n1 1,000 + a2 1 = 1,001; organic_search n3 200 + b1 1 = 201; referral a1 1;
    // email d2 1 (d1 sent is no touch; n2, n4 are no touches). Total 1,001 + 201 + 1 + 1 = 1,204.
    // referral and email tie at 1: channel id order puts referral first.
    const result = channelShare(PARTIAL, { ...RANGE, basis: 'touches' });
    expect(result.total).toBe(1_204);
    expect(result.channels.map((c) => [c.channel, c.count])).toEqual([
      ['paid_search', 1_001],
      ['organic_search', 201],
      ['referral', 1],
      ['email', 1],
    ]);
    expect(result.channels[0]?.share).toBeCloseTo(1_001 / 1_204, 12);
    expect(result.channels[1]?.share).toBeCloseTo(201 / 1_204, 12);
    expect(result.channels.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 10);
  });

  it('credits each conversion to its last-touch channel', () => {
    // a3 → paid_search, b2 → organic_search, c1 → direct: one each of 3, in channel id order.
    const result = channelShare(PARTIAL, { ...RANGE, basis: 'conversions' });
    expect(result.total).toBe(3);
    expect(result.channels.map((c) => [c.channel, c.count])).toEqual([
      ['direct', 1],
      ['paid_search', 1],
      ['organic_search', 1],
    ]);
    for (const row of result.channels) expect(row.share).toBeCloseTo(1 / 3, 12);
  });

  it('shares spend in currency units, leaving out spend outside the range', () => {
    // paid_search 30 + 20 = 50 (Feb 28's 99 is outside); email 5; total 55 → 50/55 = 10/11, 5/55 = 1/11.
    const result = channelShare(PARTIAL, { ...RANGE, basis: 'spend' });
    expect(result).toEqual({
      ...RANGE,
      basis: 'spend',
      total: 55,
      channels: [
        { channel: 'paid_search', count: 50, share: expect.closeTo(10 / 11, 12) },
        { channel: 'email', count: 5, share: expect.closeTo(1 / 11, 12) },
      ],
    });
  });

  it('counts only the days of the requested range', () => {
    // Mar 2 alone: a2 paid_search 1, n3 organic_search 200, d2 email 1 → 202.
    const result = channelShare(PARTIAL, { from: '2026-03-02', to: '2026-03-02', basis: 'touches' });
    expect(result.total).toBe(202);
    expect(result.channels.map((c) => [c.channel, c.count])).toEqual([
      ['organic_search', 200],
      ['paid_search', 1],
      ['email', 1],
    ]);
  });

  it('lists no channels when there is nothing in the range', () => {
    expect(channelShare(PARTIAL, { from: '2026-04-01', to: '2026-04-30', basis: 'touches' })).toEqual({
      from: '2026-04-01',
      to: '2026-04-30',
      basis: 'touches',
      total: 0,
      channels: [],
    });
  });
});

describe('shareOfVoice', () => {
  it('counts ad voices, folding a differently-cased name into the configured one', () => {
    // Acme n1 1,000; Rival n2 300 ('rival' → Rival); Newcomer n4 50 (seen in data); Other 0 (configured).
    // Total 1,350: 1,000/1,350 = 20/27, 300/1,350 = 2/9, 50/1,350 = 1/27.
    const result = shareOfVoice(PARTIAL, { ...RANGE, ...VOICES, source: 'ads' });
    expect(result.total).toBe(1_350);
    expect(result.entries).toEqual([
      { name: 'Acme', isBrand: true, count: 1_000, share: expect.closeTo(20 / 27, 12) },
      { name: 'Rival', isBrand: false, count: 300, share: expect.closeTo(2 / 9, 12) },
      { name: 'Newcomer', isBrand: false, count: 50, share: expect.closeTo(1 / 27, 12) },
      { name: 'Other', isBrand: false, count: 0, share: 0 },
    ]);
  });

  it('counts a search with two voices for both names', () => {
    // n3: 200 for Acme and 200 for Rival; total 400; the tie is ordered by name.
    const result = shareOfVoice(PARTIAL, { ...RANGE, ...VOICES, source: 'search' });
    expect(result.total).toBe(400);
    expect(result.entries.map((e) => [e.name, e.count, e.share])).toEqual([
      ['Acme', 200, 0.5],
      ['Rival', 200, 0.5],
      ['Other', 0, 0],
    ]);
  });

  it('adds ads and search for source all', () => {
    // Acme 1,000 + 200 = 1,200; Rival 300 + 200 = 500; Newcomer 50; Other 0; total 1,750.
    const result = shareOfVoice(PARTIAL, { ...RANGE, ...VOICES, source: 'all' });
    expect(result.total).toBe(1_750);
    expect(result.entries.map((e) => [e.name, e.count])).toEqual([
      ['Acme', 1_200],
      ['Rival', 500],
      ['Newcomer', 50],
      ['Other', 0],
    ]);
    // 1,200/1,750 = 24/35.
    expect(result.entries[0]?.share).toBeCloseTo(24 / 35, 12);
  });

  it('lists at most `limit` names beyond the configured ones, while the total covers them all', () => {
    // Ads: Acme 1,000, Rival 300, Newcomer 50, Other 0 (1,350), plus a second unconfigured name,
    // Smaller 10. With limit 1 only the larger newcomer is listed; the configured names always are.
    const many: MetricsPartial = JSON.parse(JSON.stringify(PARTIAL));
    const day = Object.values(many.days)[0] as (typeof many.days)[string];
    day.voices.ads.Smaller = 10;
    const result = shareOfVoice(many, { ...RANGE, ...VOICES, limit: 1, source: 'ads' });
    expect(result.entries.map((e) => [e.name, e.count])).toEqual([
      ['Acme', 1_000],
      ['Rival', 300],
      ['Newcomer', 50],
      ['Other', 0],
    ]);
    // 1,350 + Smaller's 10.
    expect(result.total).toBe(1_360);
  });

  it('lists the brand and every competitor at zero share when nothing was seen', () => {
    const result = shareOfVoice(emptyPartial(), { ...RANGE, ...VOICES, source: 'all' });
    expect(result).toEqual({
      ...RANGE,
      source: 'all',
      total: 0,
      entries: [
        { name: 'Acme', isBrand: true, count: 0, share: 0 },
        { name: 'Other', isBrand: false, count: 0, share: 0 },
        { name: 'Rival', isBrand: false, count: 0, share: 0 },
      ],
    });
  });
});

describe('referralTraffic', () => {
  it('reports visits, shares and last-touch conversions per domain, with every day', () => {
    // Visits: blog.example 1 (a1), google.com 1 (b1), both Mar 1; total 2, so 0.5 each.
    // Conversions: b2's last touch is b1 → google.com 1; a3's last touch is a2 (paid) → blog 0.
    // Tie on visits: ordered by name, blog.example first.
    expect(referralTraffic(PARTIAL, { ...RANGE, limit: 10 })).toEqual({
      ...RANGE,
      total: 2,
      domains: [
        { domain: 'blog.example', category: 'referral', visits: 1, share: 0.5, conversions: 0 },
        { domain: 'google.com', category: 'search', visits: 1, share: 0.5, conversions: 1 },
      ],
      daily: [
        { date: '2026-03-01', visits: 2 },
        { date: '2026-03-02', visits: 0 },
        { date: '2026-03-03', visits: 0 },
      ],
    });
  });

  it('keeps the total over all domains when the list is limited', () => {
    const result = referralTraffic(PARTIAL, { ...RANGE, limit: 1 });
    expect(result.total).toBe(2);
    expect(result.domains.map((d) => d.domain)).toEqual(['blog.example']);
  });
});

describe('cpaByStage', () => {
  it('divides spend by events and distinct users per stage, with null costs for empty stages', () => {
    // Spend 30 + 20 + 5 = 55.
    // awareness: n1 1,000 + n3 200 = 1,200 events, no users → 55/1,200 = 0.0458333… → 0.045833; per user null.
    // consideration: a1, a2, b1, d2 = 4 events; users alice (twice, on two days), bob, dave = 3
    //   → 55/4 = 13.75; 55/3 = 18.3333… → 18.333333.
    // decision: a3, b2, c1 = 3 events, 3 users → 18.333333 each.
    // retention, advocacy: nothing → null.
    expect(cpaByStage(PARTIAL, { ...RANGE, currency: 'USD' })).toEqual({
      ...RANGE,
      currency: 'USD',
      spend: 55,
      stages: [
        { stage: 'awareness', events: 1_200, users: 0, costPerEvent: 0.045833, costPerUser: null },
        { stage: 'consideration', events: 4, users: 3, costPerEvent: 13.75, costPerUser: 18.333333 },
        { stage: 'decision', events: 3, users: 3, costPerEvent: 18.333333, costPerUser: 18.333333 },
        { stage: 'retention', events: 0, users: 0, costPerEvent: null, costPerUser: null },
        { stage: 'advocacy', events: 0, users: 0, costPerEvent: null, costPerUser: null },
      ],
    });
  });

  it('filters events, users and spend by channel', () => {
    // paid_search spend 30 + 20 = 50. awareness: n1 1,000 events → 50/1,000 = 0.05.
    // consideration: a2 (alice) → 50. decision: a3, last touch paid_search (alice) → 50.
    expect(cpaByStage(PARTIAL, { ...RANGE, channel: 'paid_search', currency: 'USD' }).stages).toEqual([
      { stage: 'awareness', events: 1_000, users: 0, costPerEvent: 0.05, costPerUser: null },
      { stage: 'consideration', events: 1, users: 1, costPerEvent: 50, costPerUser: 50 },
      { stage: 'decision', events: 1, users: 1, costPerEvent: 50, costPerUser: 50 },
      { stage: 'retention', events: 0, users: 0, costPerEvent: null, costPerUser: null },
      { stage: 'advocacy', events: 0, users: 0, costPerEvent: null, costPerUser: null },
    ]);
    // direct has no spend: carol's lead costs 0, not null.
    const direct = cpaByStage(PARTIAL, { ...RANGE, channel: 'direct', currency: 'USD' });
    expect(direct.spend).toBe(0);
    expect(direct.stages[2]).toEqual({
      stage: 'decision',
      events: 1,
      users: 1,
      costPerEvent: 0,
      costPerUser: 0,
    });
  });
});

describe('addSpend', () => {
  it('lets a later row with the same key replace an earlier one', () => {
    const partial = addSpend(
      emptyPartial(),
      [
        spend('2026-03-01', 'display', 'dv360', 10_000_000),
        spend('2026-03-01', 'display', 'dv360', 12_500_000),
      ],
      RANGE,
    );
    // The second row replaces the first: 12.5, not 22.5.
    expect(partial.days['2026-03-01']?.spendMicros).toEqual({ display: 12_500_000 });
    expect(channelShare(partial, { ...RANGE, basis: 'spend' }).total).toBe(12.5);
  });
});

describe('finalising a stored partial', () => {
  it('gives the same answers after a JSON round trip', () => {
    const stored = JSON.parse(JSON.stringify(PARTIAL)) as MetricsPartial;
    for (const basis of ['touches', 'conversions', 'spend'] as const) {
      expect(channelShare(stored, { ...RANGE, basis })).toEqual(channelShare(PARTIAL, { ...RANGE, basis }));
    }
    for (const source of ['ads', 'search', 'all'] as const) {
      expect(shareOfVoice(stored, { ...RANGE, ...VOICES, source })).toEqual(
        shareOfVoice(PARTIAL, { ...RANGE, ...VOICES, source }),
      );
    }
    expect(referralTraffic(stored, { ...RANGE, limit: 5 })).toEqual(
      referralTraffic(PARTIAL, { ...RANGE, limit: 5 }),
    );
    expect(cpaByStage(stored, { ...RANGE, currency: 'USD' })).toEqual(
      cpaByStage(PARTIAL, { ...RANGE, currency: 'USD' }),
    );
  });

  it('refuses an inverted range and a negative limit', () => {
    expect(() => channelShare(PARTIAL, { from: '2026-03-03', to: '2026-03-01', basis: 'touches' })).toThrow(
      RangeError,
    );
    expect(() => referralTraffic(PARTIAL, { ...RANGE, limit: -1 })).toThrow(RangeError);
  });
});

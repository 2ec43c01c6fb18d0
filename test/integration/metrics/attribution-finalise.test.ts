import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AttributionPartial,
  type AttributionResult,
  addAttributionSpend,
  attribute,
  compareModels,
  MODELS,
  type Model,
  UNATTRIBUTED,
} from '#domain/attribution/index.ts';
import type { NormalisedEvent, SpendRow } from '#domain/normalised-event.ts';
import { computeLakeRows, type EngineProps } from '../../support/engine.ts';
import { event } from '../../support/events.ts';

const RANGE = { from: '2026-03-01', to: '2026-03-31' };
const PROPS: EngineProps = { ...RANGE, timeZone: 'UTC', lookbackDays: 30, halfLifeDays: 7 };

function touch(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  channel: NormalisedEvent['channel'],
  campaign?: string,
): NormalisedEvent {
  return event(eventId, occurredAt, { userKey, channel, ...(campaign ? { campaign } : {}) });
}

function conversion(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  value = 0,
): NormalisedEvent {
  return event(eventId, occurredAt, {
    type: 'conversion',
    conversion: 'purchase',
    userKey,
    stage: 'decision',
    touch: false,
    valueMicros: Math.round(value * 1e6),
  });
}

function spend(date: string, channel: SpendRow['channel'], campaign: string, cost: number): SpendRow {
  return { date, channel, platform: 'test', campaign, costMicros: Math.round(cost * 1e6), currency: 'EUR' };
}

/** The attribution statistics the compute SQL makes of these lake rows, with the spend folded in. */
async function partialOf(
  events: readonly NormalisedEvent[],
  spendRows: readonly SpendRow[] = [],
  props: EngineProps = PROPS,
): Promise<AttributionPartial> {
  const { attribution } = await computeLakeRows(events, props);
  return addAttributionSpend(attribution, spendRows, { from: props.from, to: props.to });
}

/** Row key → [conversions, value] of a result (rows without conversions or value left out). */
function credited(result: AttributionResult): Record<string, [number, number]> {
  return Object.fromEntries(
    result.rows
      .filter((r) => r.conversions !== 0 || r.value !== 0)
      .map((r) => [r.key, [r.conversions, r.value]]),
  );
}

/**
 * The worked example (UTC, range 03-01..03-31, lookback 30 days, half-life 7 days):
 *
 * | id | user  | when (UTC)   | what                                                        |
 * |----|-------|--------------|-------------------------------------------------------------|
 * | a1 | alice | 03-03 10:00  | paid_search / spring      (22 days before a5)               |
 * | a2 | alice | 03-10 10:00  | paid_search / spring      (15 days before)                  |
 * | a3 | alice | 03-17 10:00  | email / newsletter        (8 days before)                   |
 * | a4 | alice | 03-24 10:00  | paid_search / summer      (1 day before)                    |
 * | a5 | alice | 03-25 10:00  | purchase, value 100                                         |
 * | b0 | bob   | 02-07 12:00  | display, 31 days before b3: outside the lookback            |
 * | b1 | bob   | 02-24 12:00  | organic_search (14 days before b3, before the range)        |
 * | b2 | bob   | 03-03 12:00  | paid_social / social1     (7 days before)                   |
 * | b3 | bob   | 03-10 12:00  | signup, value 30                                            |
 * | c1 | carol | 02-03 09:00  | referral, 31 days before c2: outside the lookback           |
 * | c2 | carol | 03-06 09:00  | purchase, value 20 → no touch in the window → direct        |
 *
 * Spend: 03-03 paid_search/spring 40 (a1 that day → paid_search), 03-03 paid_social/social1 10
 * (b2 that day → paid_social), 03-05 display/banner 7 (no display touch → unattributed),
 * 03-12 paid_search/spring 5 (no paid_search touch that day → unattributed), 02-28 paid_search 99
 * (outside the range, ignored). Total 62, of which 12 unattributed.
 *
 * Journeys: alice PS, PS, EM, PS (looping, with a repeat); bob OS, PSo; carol none.
 */
const EVENTS: NormalisedEvent[] = [
  touch('a1', 'u:alice', '2026-03-03T10:00:00Z', 'paid_search', 'spring'),
  touch('a2', 'u:alice', '2026-03-10T10:00:00Z', 'paid_search', 'spring'),
  touch('a3', 'u:alice', '2026-03-17T10:00:00Z', 'email', 'newsletter'),
  touch('a4', 'u:alice', '2026-03-24T10:00:00Z', 'paid_search', 'summer'),
  conversion('a5', 'u:alice', '2026-03-25T10:00:00Z', 100),
  touch('b0', 'u:bob', '2026-02-07T12:00:00Z', 'display'),
  touch('b1', 'u:bob', '2026-02-24T12:00:00Z', 'organic_search'),
  touch('b2', 'u:bob', '2026-03-03T12:00:00Z', 'paid_social', 'social1'),
  conversion('b3', 'u:bob', '2026-03-10T12:00:00Z', 30),
  touch('c1', 'u:carol', '2026-02-03T09:00:00Z', 'referral'),
  conversion('c2', 'u:carol', '2026-03-06T09:00:00Z', 20),
];
const SPEND: SpendRow[] = [
  spend('2026-03-03', 'paid_search', 'spring', 40),
  spend('2026-03-03', 'paid_social', 'social1', 10),
  spend('2026-03-05', 'display', 'banner', 7),
  spend('2026-03-12', 'paid_search', 'spring', 5),
  spend('2026-02-28', 'paid_search', 'spring', 99),
];
let PARTIAL: AttributionPartial;
beforeAll(async () => {
  PARTIAL = await partialOf(EVENTS, SPEND);
});
const byChannel = (model: Model) => attribute(PARTIAL, { ...RANGE, model, groupBy: 'channel' });

describe('attribute: each model on the worked example, by channel', () => {
  it('first touch: paid_search 1 (100), organic_search 1 (30), direct 1 (20)', () => {
    // alice's first touch a1 (PS); bob's first touch in the window b1 (OS; b0 is 31 days out);
    // carol has none → direct.
    expect(credited(byChannel('first_touch'))).toEqual({
      paid_search: [1, 100],
      organic_search: [1, 30],
      direct: [1, 20],
    });
  });

  it('last touch: paid_search 1 (100), paid_social 1 (30), direct 1 (20)', () => {
    expect(credited(byChannel('last_touch'))).toEqual({
      paid_search: [1, 100],
      paid_social: [1, 30],
      direct: [1, 20],
    });
  });

  it('linear: paid_search 0.75, email 0.25, organic_search 0.5, paid_social 0.5, direct 1', () => {
    // alice: 4 touches, 1/4 each → PS 3/4 (75), EM 1/4 (25); bob: 1/2 each (15 each).
    expect(credited(byChannel('linear'))).toEqual({
      paid_search: [0.75, 75],
      email: [0.25, 25],
      organic_search: [0.5, 15],
      paid_social: [0.5, 15],
      direct: [1, 20],
    });
  });

  it('time decay: paid_search 11/15, email 4/15, organic_search 1/3, paid_social 2/3, direct 1', () => {
    // alice: 22, 15, 8, 1 days → 1 : 2 : 4 : 8 over 15 → PS (1+2+8)/15, EM 4/15.
    //   In units: 66666667 + 133333333 + 533333333 = 733333333 and 266666667 (value micros alike).
    // bob: 14 and 7 days → 2^−2 : 2^−1 = 1 : 2 → OS 1/3 (333333333, value 10), PSo 2/3 (666666667, 20).
    expect(credited(byChannel('time_decay'))).toEqual({
      paid_search: [0.733333333, 73.333333],
      email: [0.266666667, 26.666667],
      organic_search: [0.333333333, 10],
      paid_social: [0.666666667, 20],
      direct: [1, 20],
    });
  });

  it('position based: paid_search 0.8, email 0.2, organic_search 0.5, paid_social 0.5, direct 1', () => {
    // alice: PS, PS, EM, PS → steps [PS×2, EM, PS] → 40/20/40 → PS 0.2 + 0.2 + 0.4 = 0.8, EM 0.2.
    // bob: two steps → 50/50.
    expect(credited(byChannel('position_based'))).toEqual({
      paid_search: [0.8, 80],
      email: [0.2, 20],
      organic_search: [0.5, 15],
      paid_social: [0.5, 15],
      direct: [1, 20],
    });
  });

  it('markov: removal effects PS 1/2, EM 1/4, OS 1/2, PSo 1/2 share the two converting journeys', () => {
    // Transitions: start→PS 1, PS→EM 1, EM→PS 1, PS→conv 1; start→OS 1, OS→PSo 1, PSo→conv 1.
    // start: PS 1/2, OS 1/2. x_PS = 1/2 x_EM + 1/2, x_EM = x_PS → x_PS = 1; x_OS = x_PSo = 1 → P = 1.
    // Without PS: 1/2 → effect 1/2. Without EM: x_PS = 1/2 → P = 3/4 → 1/4.
    // Without OS or PSo: 1/2 → 1/2 each. Sum 7/4; 2 conversions → PS, OS, PSo 4/7 each, EM 2/7.
    // Value 130 the same way: EM 130 · 1/7 = 18.571428… → 18.571429 (largest remainder),
    // the others 37.142857. carol's touchless conversion stays direct.
    const rows = credited(byChannel('markov'));
    expect(Object.keys(rows).sort()).toEqual([
      'direct',
      'email',
      'organic_search',
      'paid_search',
      'paid_social',
    ]);
    expect(rows.direct).toEqual([1, 20]);
    for (const channel of ['paid_search', 'organic_search', 'paid_social']) {
      expect((rows[channel] as [number, number])[0]).toBeCloseTo(4 / 7, 8);
      expect((rows[channel] as [number, number])[1]).toBe(37.142857);
    }
    expect((rows.email as [number, number])[0]).toBeCloseTo(2 / 7, 8);
    expect((rows.email as [number, number])[1]).toBe(18.571429);
  });

  it('shapley: each converting journey shared equally by its channel set', () => {
    // alice {email, paid_search}: 1/2 each (value 50 each); bob {organic_search, paid_social}: 1/2 each (15).
    expect(credited(byChannel('shapley'))).toEqual({
      paid_search: [0.5, 50],
      email: [0.5, 50],
      organic_search: [0.5, 15],
      paid_social: [0.5, 15],
      direct: [1, 20],
    });
  });

  it('gives every model the same totals: 3 conversions, value 150, spend 62', () => {
    for (const model of MODELS) {
      const result = byChannel(model);
      expect(result.conversions, model).toBe(3);
      expect(result.value, model).toBe(150);
      expect(result.spend, model).toBe(62);
      const sum = (pick: (r: (typeof result.rows)[number]) => number) =>
        result.rows.reduce((a, r) => a + pick(r), 0);
      expect(Math.abs(sum((r) => r.conversions) - 3), model).toBeLessThan(1e-6);
      expect(Math.abs(sum((r) => r.value) - 150), model).toBeLessThan(1e-6);
      expect(Math.abs(sum((r) => r.spend) - 62), model).toBeLessThan(1e-6);
    }
  });
});

describe('attribute: rows, spend, CPA and ROAS', () => {
  it('lists linear rows by channel with spend joined by day and channel, CPA and ROAS', () => {
    // paid_search: 0.75 conv, value 75, spend 40 (03-03; the 5 on 03-12 has no PS touch that day)
    //   → CPA 40 / 0.75 = 53.333333, ROAS 75 / 40 = 1.875.
    // paid_social: 0.5, 15, spend 10 → CPA 20, ROAS 1.5.
    // direct, organic_search, email: no spend → CPA 0 / conv = 0, ROAS null.
    // unattributed: display 7 + paid_search 5 = 12 → no conversions → CPA null, ROAS 0 / 12 = 0.
    // Sorted by conversions, then spend, then key.
    const result = byChannel('linear');
    expect(result).toEqual({
      ...RANGE,
      model: 'linear',
      groupBy: 'channel',
      conversions: 3,
      value: 150,
      spend: 62,
      rows: [
        { key: 'direct', conversions: 1, value: 20, spend: 0, cpa: 0, roas: null },
        { key: 'paid_search', conversions: 0.75, value: 75, spend: 40, cpa: 53.333333, roas: 1.875 },
        { key: 'paid_social', conversions: 0.5, value: 15, spend: 10, cpa: 20, roas: 1.5 },
        { key: 'organic_search', conversions: 0.5, value: 15, spend: 0, cpa: 0, roas: null },
        { key: 'email', conversions: 0.25, value: 25, spend: 0, cpa: 0, roas: null },
        { key: UNATTRIBUTED, conversions: 0, value: 0, spend: 12, cpa: null, roas: 0 },
      ],
    });
  });

  it('puts spend on a channel whose touches were on another day on the unattributed row', async () => {
    // paid_search is touched on 03-01 only; its spend on 03-02 matches no touch that day.
    const partial = await partialOf(
      [
        touch('1', 'u:1', '2026-03-01T09:00:00Z', 'paid_search', 'spring'),
        conversion('2', 'u:1', '2026-03-02T09:00:00Z', 10),
      ],
      [spend('2026-03-01', 'paid_search', 'spring', 3), spend('2026-03-02', 'paid_search', 'spring', 4)],
    );
    const result = attribute(partial, { ...RANGE, model: 'last_touch', groupBy: 'channel' });
    // paid_search: 1 conv, value 10, spend 3 → CPA 3, ROAS 10/3 = 3.333333; unattributed 4.
    expect(result.rows).toEqual([
      { key: 'paid_search', conversions: 1, value: 10, spend: 3, cpa: 3, roas: 3.333333 },
      { key: UNATTRIBUTED, conversions: 0, value: 0, spend: 4, cpa: null, roas: 0 },
    ]);
    expect(result.spend).toBe(7);
  });

  it('shows a channel with spend and touches but no credited conversion with CPA null and ROAS 0', () => {
    // Over 03-01..03-09 only carol's conversion (03-06) is in range → direct. paid_search and
    // paid_social were touched on 03-03 and spent that day: rows with 0 conversions, CPA null,
    // ROAS 0 / spend = 0. display's 7 on 03-05 is unattributed. Spend 40 + 10 + 7 = 57.
    const result = attribute(PARTIAL, {
      from: '2026-03-01',
      to: '2026-03-09',
      model: 'linear',
      groupBy: 'channel',
    });
    expect(result.conversions).toBe(1);
    expect(result.value).toBe(20);
    expect(result.spend).toBe(57);
    expect(result.rows).toEqual([
      { key: 'direct', conversions: 1, value: 20, spend: 0, cpa: 0, roas: null },
      { key: 'paid_search', conversions: 0, value: 0, spend: 40, cpa: null, roas: 0 },
      { key: 'paid_social', conversions: 0, value: 0, spend: 10, cpa: null, roas: 0 },
      { key: UNATTRIBUTED, conversions: 0, value: 0, spend: 7, cpa: null, roas: 0 },
    ]);
  });

  it('groups by campaign, joining spend by day, channel and campaign', () => {
    // Linear credit per campaign: (none) = bob's OS 0.5 (15) + carol's direct 1 (20) = 1.5 (35);
    // spring = a1 + a2 = 0.5 (50); social1 0.5 (15); newsletter 0.25 (25); summer 0.25 (25).
    // Spend: spring 40 (03-03, PS/spring touched) → CPA 40/0.5 = 80, ROAS 50/40 = 1.25;
    // social1 10 → CPA 20, ROAS 1.5; unattributed 7 + 5 = 12.
    const result = attribute(PARTIAL, { ...RANGE, model: 'linear', groupBy: 'campaign' });
    expect(result.rows).toEqual([
      { key: '(none)', conversions: 1.5, value: 35, spend: 0, cpa: 0, roas: null },
      { key: 'spring', conversions: 0.5, value: 50, spend: 40, cpa: 80, roas: 1.25 },
      { key: 'social1', conversions: 0.5, value: 15, spend: 10, cpa: 20, roas: 1.5 },
      { key: 'newsletter', conversions: 0.25, value: 25, spend: 0, cpa: 0, roas: null },
      { key: 'summer', conversions: 0.25, value: 25, spend: 0, cpa: 0, roas: null },
      { key: UNATTRIBUTED, conversions: 0, value: 0, spend: 12, cpa: null, roas: 0 },
    ]);
    expect(result.spend).toBe(62);
  });

  it('splits the Markov and Shapley credit of a channel over its campaigns by their linear credit', () => {
    // Shapley gives paid_search 0.5 (50); its linear credit is spring 0.5 : summer 0.25 = 2 : 1
    // → spring 1/3 (value 50 · 2/3 = 33.333333), summer 1/6 (16.666667). email 0.5 → newsletter.
    const rows = credited(attribute(PARTIAL, { ...RANGE, model: 'shapley', groupBy: 'campaign' }));
    // 5e8 · 2/3 = 333333333.3 → 333333333, 5e8 · 1/3 = 166666666.7 → 166666667 (largest remainder);
    // value micros 50e6 the same way: 33333333.3 → 33333333, 16666666.7 → 16666667.
    expect(rows.spring).toEqual([0.333333333, 33.333333]);
    expect(rows.summer).toEqual([0.166666667, 16.666667]);
    expect(rows.newsletter).toEqual([0.5, 50]);
    // (none): OS 0.5 (15) + direct 1 (20); social1: PSo 0.5 (15).
    expect(rows['(none)']).toEqual([1.5, 35]);
    expect(rows.social1).toEqual([0.5, 15]);
  });
});

describe('attribute: journeys worked by hand', () => {
  it('credits a conversion with no touch in the lookback to direct under every model', async () => {
    // The only touch is 31 days before the conversion (lookback 30): touchless → direct.
    const partial = await partialOf([
      touch('1', 'u:1', '2026-02-03T09:00:00Z', 'paid_search'),
      conversion('2', 'u:1', '2026-03-06T09:00:00Z', 12),
    ]);
    for (const model of MODELS) {
      expect(credited(attribute(partial, { ...RANGE, model, groupBy: 'channel' })), model).toEqual({
        direct: [1, 12],
      });
    }
  });

  it('keeps a touch 29 days before but not one 31 days before', async () => {
    // display at −31 d is out; email at −29 d is the whole journey.
    const partial = await partialOf([
      touch('1', 'u:1', '2026-02-03T09:00:00Z', 'display'),
      touch('2', 'u:1', '2026-02-05T09:00:00Z', 'email'),
      conversion('3', 'u:1', '2026-03-06T09:00:00Z', 12),
    ]);
    for (const model of MODELS) {
      expect(credited(attribute(partial, { ...RANGE, model, groupBy: 'channel' })), model).toEqual({
        email: [1, 12],
      });
    }
  });

  it('splits the conversion value the same way as the credit', async () => {
    // alice alone (value 100): under every model each row's value is 100 × its conversions,
    // up to the one-micro (1e-6) rounding of each apportioning.
    const partial = await partialOf(EVENTS.filter((e) => e.userKey === 'u:alice'));
    for (const model of MODELS) {
      const result = attribute(partial, { ...RANGE, model, groupBy: 'campaign' });
      expect(result.conversions, model).toBe(1);
      for (const row of result.rows)
        expect(Math.abs(row.value - 100 * row.conversions), model).toBeLessThan(2e-6);
    }
  });

  it('time decay favours the newest touch even when every touch is over 1074 half-lives old', async () => {
    // A valid config (lookbackDays ≤ 365, half-life any positive number): half-life 6 h, lookback 365.
    // display 300 days and email 290 days before the conversion: Δt / half-life = 1200 and 1160,
    // weights 2^−1200 : 2^−1160 = 1 : 2^40 → email ≈ 1 (1e9 units: 2^40/(1+2^40)·1e9 rounds
    // to 1e9 by largest remainder), display ≈ 0.
    const partial = await partialOf(
      [
        touch('1', 'u:1', '2025-05-10T09:00:00Z', 'display'),
        touch('2', 'u:1', '2025-05-20T09:00:00Z', 'email'),
        conversion('3', 'u:1', '2026-03-06T09:00:00Z', 10),
      ],
      [],
      { ...PROPS, lookbackDays: 365, halfLifeDays: 0.25 },
    );
    expect(credited(attribute(partial, { ...RANGE, model: 'time_decay', groupBy: 'channel' }))).toEqual({
      email: [1, 10],
    });
  });

  it('shapley: channel set {A, B} with 2 conversions and {A} with 1 → A 2, B 1', async () => {
    // u1: PS, EM → {EM, PS}; u2: EM, PS → {EM, PS}; u3: PS → {PS}.
    // {EM, PS}: 2 conversions shared equally → 1 each; {PS}: 1 → PS. PS 2, EM 1.
    // Values 10 + 20 over {EM, PS} → 15 each; 30 to PS → PS 45, EM 15.
    const partial = await partialOf([
      touch('1a', 'u:1', '2026-03-01T09:00:00Z', 'paid_search'),
      touch('1b', 'u:1', '2026-03-02T09:00:00Z', 'email'),
      conversion('1c', 'u:1', '2026-03-03T09:00:00Z', 10),
      touch('2a', 'u:2', '2026-03-01T09:00:00Z', 'email'),
      touch('2b', 'u:2', '2026-03-02T09:00:00Z', 'paid_search'),
      conversion('2c', 'u:2', '2026-03-03T09:00:00Z', 20),
      touch('3a', 'u:3', '2026-03-02T09:00:00Z', 'paid_search'),
      conversion('3c', 'u:3', '2026-03-03T09:00:00Z', 30),
    ]);
    expect(credited(attribute(partial, { ...RANGE, model: 'shapley', groupBy: 'channel' }))).toEqual({
      paid_search: [2, 45],
      email: [1, 15],
    });
  });

  it('markov: the known check of docs/attribution.md A>B>C converting, A and B>C to null → 0.2, 0.4, 0.4', async () => {
    // A = display, B = email, C = paid_search. The one conversion is shared 0.2 / 0.4 / 0.4.
    const partial = await partialOf([
      touch('1a', 'u:1', '2026-03-01T09:00:00Z', 'display'),
      touch('1b', 'u:1', '2026-03-02T09:00:00Z', 'email'),
      touch('1c', 'u:1', '2026-03-03T09:00:00Z', 'paid_search'),
      conversion('1d', 'u:1', '2026-03-04T09:00:00Z', 10),
      touch('2a', 'u:2', '2026-03-01T09:00:00Z', 'display'),
      touch('3a', 'u:3', '2026-03-01T09:00:00Z', 'email'),
      touch('3b', 'u:3', '2026-03-02T09:00:00Z', 'paid_search'),
    ]);
    const rows = credited(attribute(partial, { ...RANGE, model: 'markov', groupBy: 'channel' }));
    expect(Object.keys(rows).sort()).toEqual(['display', 'email', 'paid_search']);
    expect((rows.display as [number, number])[0]).toBeCloseTo(0.2, 8);
    expect((rows.email as [number, number])[0]).toBeCloseTo(0.4, 8);
    expect((rows.paid_search as [number, number])[0]).toBeCloseTo(0.4, 8);
    // Value 10 → 2, 4, 4.
    expect((rows.display as [number, number])[1]).toBeCloseTo(2, 5);
    expect((rows.email as [number, number])[1]).toBeCloseTo(4, 5);
    expect((rows.paid_search as [number, number])[1]).toBeCloseTo(4, 5);
  });
});

describe('compareModels', () => {
  let comparison: ReturnType<typeof compareModels>;
  beforeAll(() => {
    comparison = compareModels(PARTIAL, RANGE);
  });

  it('has one row per channel, sorted by linear conversions then spend', () => {
    expect(comparison.rows.map((r) => r.channel)).toEqual([
      'direct',
      'paid_search',
      'paid_social',
      'organic_search',
      'email',
      UNATTRIBUTED,
    ]);
    expect(comparison.models).toEqual(MODELS);
    expect(comparison.conversions).toBe(3);
    expect(comparison.value).toBe(150);
    expect(comparison.spend).toBe(62);
  });

  it("carries each model's conversions and the channel's spend", () => {
    const row = (channel: string) => comparison.rows.find((r) => r.channel === channel);
    expect(row('paid_search')?.spend).toBe(40);
    expect(row('paid_social')?.spend).toBe(10);
    expect(row(UNATTRIBUTED)?.spend).toBe(12);
    expect(row('direct')?.spend).toBe(0);
    // Worked above: first 1, last 1, linear 0.75, time decay 11/15, position 0.8, markov 4/7, shapley 0.5.
    const ps = row('paid_search')?.conversions as Record<Model, number>;
    expect({ ...ps, markov: 0 }).toEqual({
      first_touch: 1,
      last_touch: 1,
      linear: 0.75,
      time_decay: 0.733333333,
      position_based: 0.8,
      markov: 0,
      shapley: 0.5,
    });
    expect(ps.markov).toBeCloseTo(4 / 7, 8);
    // email: first 0, last 0, linear 0.25, time decay 4/15, position 0.2, markov 2/7, shapley 0.5.
    const em = row('email')?.conversions as Record<Model, number>;
    expect({ ...em, markov: 0 }).toEqual({
      first_touch: 0,
      last_touch: 0,
      linear: 0.25,
      time_decay: 0.266666667,
      position_based: 0.2,
      markov: 0,
      shapley: 0.5,
    });
    expect(em.markov).toBeCloseTo(2 / 7, 8);
    expect(row(UNATTRIBUTED)?.conversions).toEqual(Object.fromEntries(MODELS.map((m) => [m, 0])));
  });

  it("sums each model's column to the total conversions", () => {
    for (const model of MODELS) {
      const sum = comparison.rows.reduce((a, r) => a + r.conversions[model], 0);
      expect(Math.abs(sum - comparison.conversions), model).toBeLessThan(1e-6);
    }
  });
});

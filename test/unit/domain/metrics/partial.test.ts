import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { STAGES } from '#domain/event-schema.ts';
import type { DayPartial, MetricsPartial } from '#domain/metrics/index.ts';
import {
  addSpend,
  dayPartialSchema,
  emptyPartial,
  estimateUsers,
  hashUserKey,
  mergeAll,
  mergePartials,
  metricsPartialSchema,
  referralTraffic,
  shareOfVoice,
  sketchOfHashes,
} from '#domain/metrics/index.ts';
import {
  boundReferrals,
  boundVoices,
  emptyDay,
  MAX_REFERRAL_DOMAINS,
  MAX_VOICE_NAMES,
  type ReferralCell,
} from '#domain/metrics/partial.ts';
import { EMPTY_SKETCH, EXACT_LIMIT } from '#domain/metrics/user-sketch.ts';

const count = fc.integer({ min: 1, max: 1_000_000 });
const channelCounts = fc.dictionary(fc.constantFrom(...CHANNEL_IDS), count, { maxKeys: 4 });
const names = fc.dictionary(fc.constantFrom('Acme', 'Rival', 'Other', '__proto__'), count, { maxKeys: 3 });
/** The sketch of exactly these users (exact below 256 users). */
const usersOf = (...keys: string[]) => sketchOfHashes(keys.map(hashUserKey));
const USER_KEYS = Array.from({ length: 12 }, (_, i) => `u:${i}`);
/** Dense sketches: more users than the exact form holds, some sets overlapping. */
const DENSE = [0, 100, 1_000].map((start) =>
  usersOf(...Array.from({ length: EXACT_LIMIT + 50 }, (_, i) => `d:${start + i}`)),
);
const sketches = fc.oneof(
  { weight: 4, arbitrary: fc.subarray(USER_KEYS, { maxLength: 5 }).map((keys) => usersOf(...keys)) },
  { weight: 1, arbitrary: fc.constantFrom(...DENSE) },
);

const arbitraryDay: fc.Arbitrary<DayPartial> = fc.record({
  touches: channelCounts,
  conversions: channelCounts,
  valueMicros: channelCounts,
  spendMicros: channelCounts,
  voices: fc.record({ ads: names, search: names }),
  referrals: fc.dictionary(
    fc.constantFrom('a.example', 'b.example', 'c.example'),
    fc.record({
      category: fc.constantFrom('search' as const, 'social' as const, 'referral' as const),
      visits: count,
      conversions: fc.nat({ max: 10 }),
    }),
    { maxKeys: 2 },
  ),
  stages: fc.dictionary(
    fc.constantFrom(...STAGES),
    fc.dictionary(fc.constantFrom(...CHANNEL_IDS), fc.record({ events: count, users: sketches }), {
      minKeys: 1,
      maxKeys: 3,
    }),
    { maxKeys: 3 },
  ),
});

/** Random partials, normalised to the canonical form the code produces (via a one-element merge). */
const arbitraryPartial: fc.Arbitrary<MetricsPartial> = fc
  .dictionary(fc.constantFrom('2026-03-01', '2026-03-02', '2026-03-03'), arbitraryDay, { maxKeys: 3 })
  .map((days) => mergeAll([{ days }]));

describe('mergePartials', () => {
  it('is commutative and associative, exactly (even as JSON text)', () => {
    fc.assert(
      fc.property(arbitraryPartial, arbitraryPartial, arbitraryPartial, (a, b, c) => {
        expect(mergePartials(a, b)).toEqual(mergePartials(b, a));
        expect(JSON.stringify(mergePartials(a, b))).toBe(JSON.stringify(mergePartials(b, a)));
        const left = mergePartials(mergePartials(a, b), c);
        const right = mergePartials(a, mergePartials(b, c));
        expect(JSON.stringify(left)).toBe(JSON.stringify(right));
        expect(JSON.stringify(mergeAll([a, b, c]))).toBe(JSON.stringify(left));
      }),
      { numRuns: 300 },
    );
  });

  it('has the empty partial as identity and leaves its inputs untouched', () => {
    fc.assert(
      fc.property(arbitraryPartial, arbitraryPartial, (a, b) => {
        const before = JSON.stringify([a, b]);
        expect(mergePartials(a, emptyPartial())).toEqual(a);
        const merged = mergePartials(a, b);
        // Changing every cell of the result must not reach the inputs (nothing is shared).
        for (const day of Object.values(merged.days)) {
          for (const channel of Object.keys(day.touches)) day.touches[channel as 'direct'] = -1;
          for (const cell of Object.values(day.referrals)) cell.visits = -1;
          for (const cells of Object.values(day.stages))
            for (const cell of Object.values(cells)) {
              cell.events = -1;
              cell.users = EMPTY_SKETCH;
            }
        }
        expect(JSON.stringify([a, b])).toBe(before);
      }),
    );
  });

  it('survives a JSON round trip and validates against its schema', () => {
    fc.assert(
      fc.property(arbitraryPartial, (a) => {
        const back = JSON.parse(JSON.stringify(a)) as unknown;
        expect(metricsPartialSchema.parse(back)).toEqual(a);
        for (const day of Object.values(a.days)) expect(dayPartialSchema.parse(day)).toEqual(day);
      }),
    );
  });

  it('sums counts, unions users and keeps a data key named __proto__ as plain data', () => {
    const day = (over: Partial<DayPartial>): DayPartial => ({
      touches: {},
      conversions: {},
      valueMicros: {},
      spendMicros: {},
      voices: { ads: {}, search: {} },
      referrals: {},
      stages: {},
      ...over,
    });
    const a: MetricsPartial = {
      days: {
        '2026-03-01': day({
          touches: { email: 2 },
          voices: { ads: JSON.parse('{"__proto__": 3}') as Record<string, number>, search: {} },
          stages: { decision: { direct: { events: 1, users: usersOf('u:alice', 'u:carol') } } },
        }),
      },
    };
    const b: MetricsPartial = {
      days: {
        '2026-03-01': day({
          touches: { email: 5, sms: 1 },
          referrals: { 'x.example': { category: 'social', visits: 1, conversions: 0 } },
          stages: { decision: { direct: { events: 2, users: usersOf('u:bob', 'u:carol') } } },
        }),
      },
    };
    const merged = mergePartials(a, b).days['2026-03-01'];
    // email 2 + 5 = 7; sms 1.
    expect(merged?.touches).toEqual({ email: 7, sms: 1 });
    // 1 + 2 = 3 events; users {alice, carol} ∪ {bob, carol} = {alice, bob, carol}.
    expect(merged?.stages.decision).toEqual({
      direct: { events: 3, users: usersOf('u:alice', 'u:bob', 'u:carol') },
    });
    expect(estimateUsers(merged?.stages.decision?.direct?.users ?? EMPTY_SKETCH)).toBe(3);
    expect(Object.entries(merged?.voices.ads ?? {})).toEqual([['__proto__', 3]]);
    expect(Object.getPrototypeOf(merged?.voices.ads)).toBe(Object.prototype);
  });

  it('picks one referral category per domain whatever the merge order', () => {
    const with_ = (category: 'search' | 'referral'): MetricsPartial => ({
      days: {
        '2026-03-01': {
          touches: {},
          conversions: {},
          valueMicros: {},
          spendMicros: {},
          voices: { ads: {}, search: {} },
          referrals: { 'x.example': { category, visits: 1, conversions: 0 } },
          stages: {},
        },
      },
    });
    // 'search' comes first in the category order, so both orders give 'search' with 1 + 1 = 2 visits.
    const expected = { category: 'search', visits: 2, conversions: 0 };
    expect(
      mergePartials(with_('search'), with_('referral')).days['2026-03-01']?.referrals['x.example'],
    ).toEqual(expected);
    expect(
      mergePartials(with_('referral'), with_('search')).days['2026-03-01']?.referrals['x.example'],
    ).toEqual(expected);
  });

  it('keeps a sum beyond the exact integers as a double instead of refusing it', () => {
    const spendOf = (costMicros: number) =>
      addSpend(
        emptyPartial(),
        [
          {
            date: '2026-03-01',
            channel: 'display',
            platform: 'p',
            campaign: 'c',
            costMicros,
            currency: 'USD',
          },
        ],
        { from: '2026-03-01', to: '2026-03-01' },
      );
    const big = spendOf(2 ** 52);
    // 2^52 + 2^52 = 2^53 > Number.MAX_SAFE_INTEGER (2^53 − 1): kept, not a RangeError.
    const merged = mergePartials(big, big);
    expect(merged.days['2026-03-01']?.spendMicros).toEqual({ display: 2 ** 53 });
    // 2^53 + 1 is no double: it rounds to 2^53 (ties to even), and that is what is kept.
    const rounded = mergePartials(merged, spendOf(1));
    expect(rounded.days['2026-03-01']?.spendMicros).toEqual({ display: 2 ** 53 });
    // Such a partial is still valid when read back.
    expect(metricsPartialSchema.parse(JSON.parse(JSON.stringify(rounded)))).toEqual(rounded);
  });
});

describe('share-of-voice names are bounded per computed day', () => {
  // 1,005 names: n0000 counted 1 time, n0001 2 times, …, n1004 1,005 times; and the brand once,
  // spelt in lower case (the config says "Acme").
  const names = {
    ...Object.fromEntries(Array.from({ length: 1005 }, (_, i) => [`n${String(i).padStart(4, '0')}`, i + 1])),
    acme: 1,
  };
  const day = (): DayPartial => ({ ...emptyDay(), ...boundVoices({ ads: names, search: {} }, ['Acme']) });

  it('keeps the configured names and the 1,000 largest others, and counts the rest', () => {
    const bounded = day();
    expect(Object.keys(bounded.voices.ads)).toHaveLength(MAX_VOICE_NAMES + 1);
    expect(bounded.voices.ads.acme).toBe(1);
    expect(bounded.voices.ads.n0004).toBeUndefined();
    expect(bounded.voices.ads.n0005).toBe(6);
    // The five cut: 1 + 2 + 3 + 4 + 5 = 15.
    expect(bounded.otherVoices).toEqual({ ads: 15, search: 0 });
    // A day within the bound is unchanged and carries no otherVoices.
    expect(boundVoices({ ads: { Acme: 3 }, search: {} }, [])).toEqual({
      voices: { ads: { Acme: 3 }, search: {} },
    });
  });

  it('merges days exactly (no second cut) and answers the whole total', () => {
    const partial = mergePartials({ days: { '2026-03-01': day() } }, { days: { '2026-03-02': day() } });
    const merged = mergePartials({ days: { '2026-03-01': day() } }, { days: { '2026-03-01': day() } }).days[
      '2026-03-01'
    ] as DayPartial;
    expect(Object.keys(merged.voices.ads)).toHaveLength(MAX_VOICE_NAMES + 1);
    expect(merged.voices.ads.n1004).toBe(2010);
    expect(merged.otherVoices).toEqual({ ads: 30, search: 0 });
    const answer = shareOfVoice(partial, {
      from: '2026-03-01',
      to: '2026-03-02',
      source: 'ads',
      brand: 'Acme',
      competitors: [],
      limit: 3,
    });
    // Every name's count over both days: 2 × (1 + … + 1,005 + 1) = 2 × 505,516.
    expect(answer.total).toBe(1_011_032);
    expect(answer.entries.map((e) => [e.name, e.count])).toEqual([
      ['n1004', 2010],
      ['n1003', 2008],
      ['n1002', 2006],
      ['Acme', 2],
    ]);
  });
});

describe('referral domains are bounded per computed day', () => {
  // 1,003 domains: d0000.example has 1 visit, d0001.example 2, …, d1002.example 1,003; every
  // domain whose number is a multiple of 100 also has 1 conversion (d0000, d0100, …, d1000: 11).
  const cells = new Map<string, ReferralCell>(
    Array.from({ length: 1003 }, (_, i) => [
      `d${String(i).padStart(4, '0')}.example`,
      { category: 'referral', visits: i + 1, conversions: i % 100 === 0 ? 1 : 0 },
    ]),
  );
  const day = (): DayPartial => ({ ...emptyDay(), ...boundReferrals(cells) });

  it('keeps the 1,000 domains with the most visits and counts the rest', () => {
    const bounded = day();
    expect(Object.keys(bounded.referrals)).toHaveLength(MAX_REFERRAL_DOMAINS);
    expect(bounded.referrals['d0002.example']).toBeUndefined();
    expect(bounded.referrals['d0003.example']).toEqual({ category: 'referral', visits: 4, conversions: 0 });
    // The three cut: d0000 … d0002, 1 + 2 + 3 = 6 visits, and d0000's 1 conversion.
    expect(bounded.otherReferrals).toEqual({ visits: 6, conversions: 1 });
    // Such a day is valid when read back, with what was cut.
    const stored = { days: { '2026-03-01': bounded } };
    expect(metricsPartialSchema.parse(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    // A day within the bound is unchanged and carries no otherReferrals.
    const few = new Map<string, ReferralCell>([
      ['a.example', { category: 'search', visits: 2, conversions: 0 }],
    ]);
    expect(boundReferrals(few)).toEqual({
      referrals: { 'a.example': { category: 'search', visits: 2, conversions: 0 } },
    });
  });

  it('merges days exactly and answers the whole total, the cut visits included', () => {
    const merged = mergePartials({ days: { '2026-03-01': day() } }, { days: { '2026-03-01': day() } }).days[
      '2026-03-01'
    ] as DayPartial;
    expect(merged.otherReferrals).toEqual({ visits: 12, conversions: 2 });
    const answer = referralTraffic(
      mergePartials({ days: { '2026-03-01': day() } }, { days: { '2026-03-02': day() } }),
      { from: '2026-03-01', to: '2026-03-02', limit: 2 },
    );
    // Every domain's visits over both days: 2 × (1 + … + 1,003) = 2 × 503,506.
    expect(answer.total).toBe(1_007_012);
    expect(answer.domains.map((d) => [d.domain, d.visits])).toEqual([
      ['d1002.example', 2006],
      ['d1001.example', 2004],
    ]);
    // The daily series counts each day whole: 503,506 a day.
    expect(answer.daily).toEqual([
      { date: '2026-03-01', visits: 503_506 },
      { date: '2026-03-02', visits: 503_506 },
    ]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { STAGES } from '#domain/event-schema.ts';
import type { DayPartial, MetricsPartial } from '#domain/metrics/index.ts';
import {
  addSpend,
  dayPartialSchema,
  emptyPartial,
  mergeAll,
  mergePartials,
  metricsPartialSchema,
} from '#domain/metrics/index.ts';

const count = fc.integer({ min: 1, max: 1_000_000 });
const channelCounts = fc.dictionary(fc.constantFrom(...CHANNEL_IDS), count, { maxKeys: 4 });
const names = fc.dictionary(fc.constantFrom('Acme', 'Rival', 'Other', '__proto__'), count, { maxKeys: 3 });
const hashes = fc
  .uniqueArray(fc.constantFrom(...Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(16, '0'))), {
    maxLength: 5,
  })
  .map((list) => [...list].sort());

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
    fc.dictionary(fc.constantFrom(...CHANNEL_IDS), fc.record({ events: count, users: hashes }), {
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
        for (const day of Object.values(merged.days)) {
          for (const cells of Object.values(day.stages))
            for (const cell of Object.values(cells)) cell.users.push('x');
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
          stages: { decision: { direct: { events: 1, users: ['00000000000000aa', '00000000000000cc'] } } },
        }),
      },
    };
    const b: MetricsPartial = {
      days: {
        '2026-03-01': day({
          touches: { email: 5, sms: 1 },
          referrals: { 'x.example': { category: 'social', visits: 1, conversions: 0 } },
          stages: { decision: { direct: { events: 2, users: ['00000000000000bb', '00000000000000cc'] } } },
        }),
      },
    };
    const merged = mergePartials(a, b).days['2026-03-01'];
    // email 2 + 5 = 7; sms 1.
    expect(merged?.touches).toEqual({ email: 7, sms: 1 });
    // 1 + 2 = 3 events; users {aa, cc} ∪ {bb, cc} = {aa, bb, cc}.
    expect(merged?.stages.decision).toEqual({
      direct: { events: 3, users: ['00000000000000aa', '00000000000000bb', '00000000000000cc'] },
    });
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

  it('refuses a sum that would no longer be an exact integer', () => {
    const big = addSpend(
      emptyPartial(),
      [
        {
          date: '2026-03-01',
          channel: 'display',
          platform: 'p',
          campaign: 'c',
          costMicros: 2 ** 52,
          currency: 'USD',
        },
      ],
      { from: '2026-03-01', to: '2026-03-01' },
    );
    // 2^52 + 2^52 = 2^53 > Number.MAX_SAFE_INTEGER (2^53 − 1).
    expect(() => mergePartials(big, big)).toThrow(RangeError);
  });
});

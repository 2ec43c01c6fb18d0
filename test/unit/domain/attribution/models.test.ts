import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion, CREDIT_UNIT, type HeuristicModel, touchWeights } from '#domain/attribution/index.ts';

const DAY = 86_400_000;
/** The conversion every journey below converts at. */
const CONVERSION_TS = Date.parse('2026-03-25T10:00:00Z');

/** A journey of touches on `channels`, one a day, the last one day before the conversion. */
function journey(...channels: string[]) {
  return channels.map((channel, i) => ({ channel, ts: CONVERSION_TS - (channels.length - i) * DAY }));
}

function normalise(weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/** The weights of a model, normalised to shares of 1. */
function shares(model: HeuristicModel, touches: ReturnType<typeof journey>, halfLifeDays = 7): number[] {
  return normalise(touchWeights(model, touches, CONVERSION_TS, halfLifeDays));
}

function expectShares(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => {
    expect(x).toBeCloseTo(expected[i] as number, 12);
  });
}

describe('touchWeights: first and last touch', () => {
  it('gives the whole conversion to the oldest touch under first touch', () => {
    // A, B, C → first touch A takes 1, the others 0.
    expectShares(shares('first_touch', journey('A', 'B', 'C')), [1, 0, 0]);
  });

  it('gives the whole conversion to the newest touch under last touch', () => {
    // A, B, C → last touch C takes 1.
    expectShares(shares('last_touch', journey('A', 'B', 'C')), [0, 0, 1]);
  });

  it('gives a single touch everything under both', () => {
    expectShares(shares('first_touch', journey('A')), [1]);
    expectShares(shares('last_touch', journey('A')), [1]);
  });
});

describe('touchWeights: linear', () => {
  it('shares equally over every touch, repeated channels included', () => {
    // A, A, B, A → 4 touches, 1/4 each (A ends up with 3/4 in total).
    expectShares(shares('linear', journey('A', 'A', 'B', 'A')), [0.25, 0.25, 0.25, 0.25]);
  });
});

describe('touchWeights: time decay', () => {
  it('weights touches 15, 8 and 1 days before the conversion 1/7, 2/7, 4/7 with a 7-day half-life', () => {
    // 2^(−15/7) : 2^(−8/7) : 2^(−1/7) = 1 : 2 : 4 (each step is exactly one half-life),
    // so normalised 1/7, 2/7, 4/7.
    const touches = [15, 8, 1].map((days, i) => ({ channel: `C${i}`, ts: CONVERSION_TS - days * DAY }));
    const weights = touchWeights('time_decay', touches, CONVERSION_TS, 7);
    expectShares(normalise(weights), [1 / 7, 2 / 7, 4 / 7]);
    // In credit units: 1e9/7 = 142857142.857…, 2e9/7 = 285714285.714…, 4e9/7 = 571428571.428…;
    // floors 142857142 + 285714285 + 571428571 = 999999998; the 2 left over go to the two
    // largest fractions (.857 at index 0, .714 at index 1, not .428 at index 2).
    expect(apportion(CREDIT_UNIT, weights)).toEqual([142_857_143, 285_714_286, 571_428_571]);
  });

  it('halves the weight per half-life back from the conversion: 0, 7 and 14 days → 4/7, 2/7, 1/7', () => {
    // 2^0 = 1; 2^(−7/7) = 0.5; 2^(−14/7) = 0.25 → 1 : 2 : 4 over 1.75 (weights are relative; only
    // the normalised shares are specified).
    const touches = [14, 7, 0].map((days) => ({ channel: 'A', ts: CONVERSION_TS - days * DAY }));
    expectShares(normalise(touchWeights('time_decay', touches, CONVERSION_TS, 7)), [1 / 7, 2 / 7, 4 / 7]);
  });

  it('still gives the newest touch the most credit when every touch is hundreds of half-lives old', () => {
    // The config allows lookbackDays up to 365 and any positive half-life. With half-life 0.25 days,
    // touches 300 and 290 days before weigh 2^−1200 : 2^−1160 = 1 : 2^40, so the newer touch
    // should take 2^40 / (1 + 2^40) of the conversion: 999999999.999… → 1e9 units, the older 0.
    // (Both powers underflow to 0 in doubles if computed from the conversion instant; weights
    // relative to the newest touch, 2^−(t_last − t)/h, are the same shares without underflow.)
    const touches = [
      { channel: 'A', ts: CONVERSION_TS - 300 * DAY },
      { channel: 'B', ts: CONVERSION_TS - 290 * DAY },
    ];
    const weights = touchWeights('time_decay', touches, CONVERSION_TS, 0.25);
    expect(apportion(CREDIT_UNIT, weights)).toEqual([0, CREDIT_UNIT]);
  });

  it('weighs a 300,000-touch journey (one bot-like user) without throwing', () => {
    // 300k touches 5 s apart, the newest 1 s before the conversion; half-life 7 days. Over ≈ 17 days
    // the oldest weighs ≈ 2^−(17.4/7) ≈ 0.18 of the newest, so every weight is positive, finite, and
    // the newest is the largest.
    const n = 300_000;
    const touches = Array.from({ length: n }, (_, i) => ({
      channel: i % 2 ? 'A' : 'B',
      ts: CONVERSION_TS - 1000 - (n - 1 - i) * 5000,
    }));
    const weights = touchWeights('time_decay', touches, CONVERSION_TS, 7);
    expect(weights).toHaveLength(n);
    expect(weights.every((w) => Number.isFinite(w) && w > 0)).toBe(true);
    expect(weights[n - 1]).toBe(1);
    expect((weights[0] as number) / (weights[n - 1] as number)).toBeCloseTo(
      2 ** (-((n - 1) * 5000) / (7 * DAY)),
      9,
    );
  });

  it('scales with the half-life', () => {
    // Half-life 1 day: touches 2 and 1 days before → 2^−2 : 2^−1 = 1 : 2 → 1/3, 2/3.
    const touches = [2, 1].map((days) => ({ channel: 'A', ts: CONVERSION_TS - days * DAY }));
    expectShares(normalise(touchWeights('time_decay', touches, CONVERSION_TS, 1)), [1 / 3, 2 / 3]);
  });
});

describe('touchWeights: position based', () => {
  it('gives one step 100%', () => {
    expectShares(shares('position_based', journey('A')), [1]);
  });

  it('splits one step of several same-channel touches equally over them', () => {
    // A, A, A collapse to one step (100%), shared 1/3 each.
    expectShares(shares('position_based', journey('A', 'A', 'A')), [1 / 3, 1 / 3, 1 / 3]);
  });

  it('gives two steps 50/50', () => {
    expectShares(shares('position_based', journey('A', 'B')), [0.5, 0.5]);
  });

  it('gives four steps 40/10/10/40', () => {
    // First and last 40%, the 20% middle split over two middle steps: 10% each.
    expectShares(shares('position_based', journey('A', 'B', 'C', 'D')), [0.4, 0.1, 0.1, 0.4]);
  });

  it('gives five steps 40, 20/3 ×3, 40', () => {
    const third = 0.2 / 3;
    expectShares(shares('position_based', journey('A', 'B', 'C', 'D', 'E')), [0.4, third, third, third, 0.4]);
  });

  it('collapses consecutive same-channel touches: A, A, B → each A 25%, B 50%', () => {
    // Steps [A×2, B]: two steps 50/50; the A step's 50% split over its two touches.
    expectShares(shares('position_based', journey('A', 'A', 'B')), [0.25, 0.25, 0.5]);
  });

  it('treats a channel that comes back as a new step: A, B, A → 40/20/40 on three steps', () => {
    // Not consecutive, so not collapsed: three steps, 40% first, 20% middle, 40% last.
    expectShares(shares('position_based', journey('A', 'B', 'A')), [0.4, 0.2, 0.4]);
  });

  it('splits a collapsed middle step over its touches: A, B, B, C → 40/10/10/40', () => {
    // Steps [A, B×2, C]: 40%, 20%, 40%; the B step's 20% split over two touches.
    expectShares(shares('position_based', journey('A', 'B', 'B', 'C')), [0.4, 0.1, 0.1, 0.4]);
  });

  it('collapses a repeated first and last step: A, A, B, C, C → 20/20/20/20/20', () => {
    // Steps [A×2, B, C×2]: 40%, 20%, 40% → A touches 20% each, B 20%, C touches 20% each.
    expectShares(shares('position_based', journey('A', 'A', 'B', 'C', 'C')), [0.2, 0.2, 0.2, 0.2, 0.2]);
  });
});

describe('apportion', () => {
  it('splits exactly in proportion when the shares are whole', () => {
    // 12 over 1:2:3 → 2, 4, 6.
    expect(apportion(12, [1, 2, 3])).toEqual([2, 4, 6]);
  });

  it('hands the remainder to the largest fractional parts', () => {
    // 100 over 1:2:3 → 16.67, 33.33, 50 → floors 16, 33, 50 (99); the 1 left goes to .67 → 17.
    expect(apportion(100, [1, 2, 3])).toEqual([17, 33, 50]);
    // 7 over 0.5:0.3:0.2 → 3.5, 2.1, 1.4 → floors 3, 2, 1 (6); the 1 left goes to .5 → 4.
    expect(apportion(7, [0.5, 0.3, 0.2])).toEqual([4, 2, 1]);
  });

  it('breaks ties on the fraction by earlier index', () => {
    // 10 over three equal weights → 3.33 each → floors 9; the 1 left goes to index 0.
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    // 10 over six equal weights → 1.67 each → floors 6; 4 left go to indices 0..3.
    // (Rounding each share would have given 2 × 6 = 12.)
    expect(apportion(10, [1, 1, 1, 1, 1, 1])).toEqual([2, 2, 2, 2, 1, 1]);
  });

  it('gives nothing to zero weights', () => {
    // 3 over 0:1:0 → 0, 3, 0.
    expect(apportion(3, [0, 1, 0])).toEqual([0, 3, 0]);
  });

  it('puts everything on the first part when every weight is zero, and zero everywhere for a zero total', () => {
    expect(apportion(5, [0, 0])).toEqual([5, 0]);
    expect(apportion(0, [1, 2])).toEqual([0, 0]);
  });

  it('splits a credit unit over four position-based weights exactly', () => {
    // 0.2, 0.2, 0.2, 0.4 (A, A, B, A with A×2 collapsed) → 2e8, 2e8, 2e8, 4e8 whatever the float noise.
    expect(apportion(CREDIT_UNIT, [0.2, 0.2, 0.2, 0.4])).toEqual([
      200_000_000, 200_000_000, 200_000_000, 400_000_000,
    ]);
  });

  it('splits a credit over a long journey: 60,000 equal weights, the remainder to the earliest', () => {
    // 1e9 / 60000 = 16666.67 → floors 16666 each (999960000), 40000 units left: the 40000 parts
    // with the largest fraction (all equal: the first 40000 by index) get one more.
    const n = 60_000;
    const parts = apportion(CREDIT_UNIT, new Array<number>(n).fill(1));
    expect(parts[0]).toBe(16_667);
    expect(parts[39_999]).toBe(16_667);
    expect(parts[40_000]).toBe(16_666);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(CREDIT_UNIT);
  });

  it('always sums exactly to the total and never goes negative, for any non-negative weights', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.nat(1000),
          fc.integer({ min: 1, max: 20 }).map((n) => n * CREDIT_UNIT),
        ),
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 1,
          maxLength: 8,
        }),
        (total, weights) => {
          const parts = apportion(total, weights);
          expect(parts).toHaveLength(weights.length);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          for (const part of parts) {
            expect(Number.isInteger(part)).toBe(true);
            expect(part).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is largest remainder: every part is the floor or the ceiling of its exact share', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 8 }),
        (total, weights) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          const parts = apportion(total, weights);
          parts.forEach((part, i) => {
            const exact = (total * (weights[i] as number)) / sum;
            expect(part === Math.floor(exact) || part === Math.ceil(exact)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

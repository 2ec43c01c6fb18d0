import { describe, expect, it } from 'vitest';
import { medianOf } from '#domain/journey/funnel.ts';

describe('medianOf (a histogram of whole days)', () => {
  it.each([
    ['nothing', new Map<number, number>(), null],
    ['one value', new Map([[4, 1]]), 4],
    // 0, 2, 2 → the middle one is 2.
    [
      'an odd count',
      new Map([
        [2, 2],
        [0, 1],
      ]),
      2,
    ],
    // 1, 1, 3, 9 → (1 + 3) / 2 = 2.
    [
      'an even count',
      new Map([
        [9, 1],
        [1, 2],
        [3, 1],
      ]),
      2,
    ],
    // 0 … 0 (5 times), 30 → the middle of 6 is (0 + 0) / 2.
    [
      'a long tail',
      new Map([
        [0, 5],
        [30, 1],
      ]),
      0,
    ],
  ])('gives the median of %s', (_, histogram, expected) => {
    expect(medianOf(histogram)).toBe(expected);
  });
});

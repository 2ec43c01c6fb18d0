import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween } from '#domain/dates.ts';
import { blockEnd, blockOf, blocksHolding, childrenOf, coverOf } from '#domain/day-blocks.ts';

// 2026-01-01 is day 20,454 from 1970-01-01 (56 years × 365 + 14 leap days): 20,454 = 4 × 5,113 + 2
// = 16 × 1,278 + 6 = 64 × 319 + 38 = 256 × 79 + 230, so its blocks start 2, 6, 38 and 230 days
// earlier.
describe('day blocks', () => {
  it('aligns every block on day numbers from 1970-01-01', () => {
    expect(blockOf('2026-01-01', 1)).toEqual({ size: 1, start: '2026-01-01' });
    expect(blockOf('2026-01-01', 4)).toEqual({ size: 4, start: '2025-12-30' });
    expect(blockOf('2026-01-01', 16)).toEqual({ size: 16, start: '2025-12-26' });
    expect(blockOf('2026-01-01', 64)).toEqual({ size: 64, start: '2025-11-24' });
    // 230 days before 2026-01-01: May 1 is 245 days before, so May 16.
    expect(blockOf('2026-01-01', 256)).toEqual({ size: 256, start: '2025-05-16' });
    expect(blockEnd({ size: 16, start: '2025-12-26' })).toBe('2026-01-10');
  });

  it('covers the first quarter of 2026 with six items instead of 90 days', () => {
    // Day 20,454 and 20,455 start no block of 4; 20,456 and 20,460 start blocks of 4 but not of 16;
    // 20,464 starts one of 16 (48 days after a 64-block); 20,480 starts a block of 256, too long,
    // and of 64 ending on day 20,543 = 2026-03-31.
    expect(coverOf('2026-01-01', '2026-03-31')).toEqual([
      { size: 1, start: '2026-01-01' },
      { size: 1, start: '2026-01-02' },
      { size: 4, start: '2026-01-03' },
      { size: 4, start: '2026-01-07' },
      { size: 16, start: '2026-01-11' },
      { size: 64, start: '2026-01-27' },
    ]);
    expect(coverOf('2026-01-01', '2026-03-31', 4)).toHaveLength(2 + 88 / 4);
    expect(coverOf('2026-01-01', '2026-03-31', 1)).toHaveLength(90);
  });

  it('splits a block into its four children and finds the blocks holding days', () => {
    expect(childrenOf({ size: 16, start: '2025-12-26' })).toEqual([
      { size: 4, start: '2025-12-26' },
      { size: 4, start: '2025-12-30' },
      { size: 4, start: '2026-01-03' },
      { size: 4, start: '2026-01-07' },
    ]);
    expect(blocksHolding(['2026-01-01', '2026-01-03'])).toEqual([
      { size: 4, start: '2025-12-30' },
      { size: 4, start: '2026-01-03' },
      { size: 16, start: '2025-12-26' },
      { size: 64, start: '2025-11-24' },
      { size: 256, start: '2025-05-16' },
    ]);
  });

  it('covers any range exactly, in order, with aligned blocks and a bounded number of items', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.integer({ min: 0, max: 2_000 }),
        (offset, length) => {
          const from = addDays('1970-01-01', offset);
          const to = addDays(from, length);
          const cover = coverOf(from, to);
          let next = from;
          for (const block of cover) {
            expect(block.start).toBe(next);
            expect(blockOf(block.start, block.size).start).toBe(block.start);
            next = addDays(blockEnd(block), 1);
          }
          expect(next).toBe(addDays(to, 1));
          // At most 3 blocks of each smaller size at either end, and whole blocks of 256 between.
          expect(cover.length).toBeLessThanOrEqual(2 * 3 * 4 + Math.ceil((daysBetween(from, to) + 1) / 256));
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  AUTO_BUCKET_BYTES,
  bucketsFor,
  computeBucketsSchema,
  computeWindow,
  MAX_AUTO_BUCKETS,
} from '#domain/compute-window.ts';

describe('computeWindow', () => {
  it('widens the range by the lookback and names the UTC days holding it', () => {
    const window = computeWindow(
      { from: '2026-07-10', to: '2026-07-12' },
      { timeZone: 'UTC', lookbackDays: 3 },
    );
    // 2026-07-07T00:00Z … 2026-07-12T23:59:59.999Z
    expect(window.lo).toBe(Date.parse('2026-07-07T00:00:00Z'));
    expect(window.hi).toBe(Date.parse('2026-07-13T00:00:00Z') - 1);
    expect(window.utcDates).toEqual([
      '2026-07-07',
      '2026-07-08',
      '2026-07-09',
      '2026-07-10',
      '2026-07-11',
      '2026-07-12',
    ]);
  });

  it('reaches into the UTC days either side of a zone’s local days', () => {
    // New York is UTC−4 in July: local 2026-07-09 00:00 is 04:00Z, local 2026-07-10 ends at 03:59:59.999Z on the 11th.
    const window = computeWindow(
      { from: '2026-07-10', to: '2026-07-10' },
      { timeZone: 'America/New_York', lookbackDays: 1 },
    );
    expect(window.lo).toBe(Date.parse('2026-07-09T04:00:00Z'));
    expect(window.hi).toBe(Date.parse('2026-07-11T04:00:00Z') - 1);
    expect(window.utcDates).toEqual(['2026-07-09', '2026-07-10', '2026-07-11']);
  });
});

describe('bucketsFor', () => {
  it('keeps a number as it is set, whatever the window holds', () => {
    expect(bucketsFor(3, 0)).toBe(3);
    expect(bucketsFor(1, 50 * AUTO_BUCKET_BYTES)).toBe(1);
  });

  it('under auto, takes one bucket per AUTO_BUCKET_BYTES of events Parquet, at least one and at most MAX_AUTO_BUCKETS', () => {
    expect(bucketsFor('auto', 0)).toBe(1);
    expect(bucketsFor('auto', AUTO_BUCKET_BYTES)).toBe(1);
    expect(bucketsFor('auto', AUTO_BUCKET_BYTES + 1)).toBe(2);
    // The cost model's 100M events a month: 123,333,333 events of window × 42.9 B = 5.29 GB → 13 buckets.
    expect(bucketsFor('auto', 123_333_333 * 42.9)).toBe(13);
    expect(bucketsFor('auto', 1000 * AUTO_BUCKET_BYTES)).toBe(MAX_AUTO_BUCKETS);
  });
});

describe('computeBucketsSchema', () => {
  it('reads `auto` or a whole number of buckets, from JSON or from an environment string', () => {
    expect(computeBucketsSchema.parse('auto')).toBe('auto');
    expect(computeBucketsSchema.parse(4)).toBe(4);
    expect(computeBucketsSchema.parse('4')).toBe(4);
    expect(computeBucketsSchema.safeParse('some').success).toBe(false);
    expect(computeBucketsSchema.safeParse(0).success).toBe(false);
    expect(computeBucketsSchema.safeParse(1.5).success).toBe(false);
    expect(computeBucketsSchema.safeParse(101).success).toBe(false);
  });
});

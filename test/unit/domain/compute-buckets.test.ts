import { describe, expect, it } from 'vitest';
import {
  AUTO_BUCKET_BYTES,
  bucketsFor,
  computeBucketsSchema,
  EVENTS_PARQUET_BYTES,
  MAX_AUTO_BUCKETS,
} from '#domain/compute-buckets.ts';

describe('bucketsFor', () => {
  it('keeps a number as it is set, whatever the window holds', () => {
    expect(bucketsFor(3, 0)).toBe(3);
    expect(bucketsFor(1, 50 * AUTO_BUCKET_BYTES)).toBe(1);
  });

  it('under auto, takes one bucket per AUTO_BUCKET_BYTES of events Parquet, at least one and at most MAX_AUTO_BUCKETS', () => {
    expect(bucketsFor('auto', 0)).toBe(1);
    expect(bucketsFor('auto', AUTO_BUCKET_BYTES)).toBe(1);
    expect(bucketsFor('auto', AUTO_BUCKET_BYTES + 1)).toBe(2);
    // The cost model's 100M events a month: a window of 123,333,333 events is 12.3 buckets of 10M → 13.
    expect(bucketsFor('auto', 123_333_333 * EVENTS_PARQUET_BYTES)).toBe(13);
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

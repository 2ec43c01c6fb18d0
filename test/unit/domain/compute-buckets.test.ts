import { describe, expect, it } from 'vitest';
import {
  AUTO_BUCKET_BYTES,
  autoBuckets,
  computeBucketsSchema,
  computeBucketsVariableSchema,
  EVENTS_PARQUET_BYTES,
  MAX_AUTO_BUCKETS,
  windowFits,
  workBytesFor,
} from '#domain/compute-buckets.ts';

describe('autoBuckets', () => {
  it('under auto, takes one bucket per AUTO_BUCKET_BYTES of events Parquet, at least one and at most MAX_AUTO_BUCKETS', () => {
    expect(autoBuckets(0)).toBe(1);
    expect(autoBuckets(AUTO_BUCKET_BYTES)).toBe(1);
    expect(autoBuckets(AUTO_BUCKET_BYTES + 1)).toBe(2);
    // The cost model's 100M events a month: a window of 123,333,333 events is 12.3 buckets of 10M → 13.
    expect(autoBuckets(123_333_333 * EVENTS_PARQUET_BYTES)).toBe(13);
    expect(autoBuckets(1000 * AUTO_BUCKET_BYTES)).toBe(MAX_AUTO_BUCKETS);
  });
});

describe('computeBucketsSchema', () => {
  it('reads `auto` or a whole number of buckets from JSON, and nothing that only looks like one', () => {
    expect(computeBucketsSchema.parse('auto')).toBe('auto');
    expect(computeBucketsSchema.parse(4)).toBe(4);
    expect(computeBucketsSchema.safeParse('4').success).toBe(false);
    expect(computeBucketsSchema.safeParse(true).success).toBe(false);
    expect(computeBucketsSchema.safeParse('some').success).toBe(false);
    expect(computeBucketsSchema.safeParse(0).success).toBe(false);
    expect(computeBucketsSchema.safeParse(1.5).success).toBe(false);
    expect(computeBucketsSchema.safeParse(101).success).toBe(false);
  });
});

describe('computeBucketsVariableSchema', () => {
  it('reads `auto` or a whole number from an environment variable’s text', () => {
    expect(computeBucketsVariableSchema.parse('auto')).toBe('auto');
    expect(computeBucketsVariableSchema.parse('4')).toBe(4);
    expect(computeBucketsVariableSchema.safeParse('').success).toBe(false);
    expect(computeBucketsVariableSchema.safeParse('four').success).toBe(false);
    expect(computeBucketsVariableSchema.safeParse('1.5').success).toBe(false);
  });
});

describe('windowFits', () => {
  it('counts the cached window and 16 bytes of spill per event (at 40 bytes per event) against 90% of the work folder', () => {
    // 40 B of Parquet per event + 16 B of spill per event: 1.4 bytes of work per byte of window.
    expect(workBytesFor(1_000_000_000)).toBe(1_400_000_000);
    const tenGiB = 10 * 1024 ** 3;
    // 90% of 10 GiB = 9,663,676,416 B of work → at most 6,902,626,011 B of window (÷ 1.4), about
    // 172M events at 40 B: the cost model's 100M-events-a-month window (123,333,333 events) fits.
    expect(windowFits(123_333_333 * EVENTS_PARQUET_BYTES, tenGiB)).toBe(true);
    expect(windowFits(6_902_626_011, tenGiB)).toBe(true);
    expect(windowFits(6_902_626_012, tenGiB)).toBe(false);
    expect(windowFits(0, 1)).toBe(true);
  });
});

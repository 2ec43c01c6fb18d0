import type { z } from 'zod';
import { addDays, daysBetween } from './dates.ts';

/**
 * Stored results are kept per day and, merged, per aligned block of 4, 16, 64 and 256 days, so a
 * query reads a handful of items whatever its range: any range is covered by at most 3 blocks of
 * each size at either end plus whole blocks of the largest size (a segment tree over the days).
 * Blocks are aligned on day numbers counted from 1970-01-01, so every date belongs to exactly one
 * block of each size and a block is exactly its four children.
 */
export const BLOCK_SIZES = [1, 4, 16, 64, 256] as const;
export type BlockSize = (typeof BLOCK_SIZES)[number];

/** A run of `size` calendar days starting at `start` (a day is a block of size 1). */
export interface DayBlock {
  readonly size: BlockSize;
  readonly start: string;
}

const EPOCH = '1970-01-01';

/** The last date of a block. */
export function blockEnd(block: DayBlock): string {
  return addDays(block.start, block.size - 1);
}

/** The block of `size` days holding `date`. */
export function blockOf(date: string, size: BlockSize): DayBlock {
  const day = daysBetween(EPOCH, date);
  return { size, start: addDays(EPOCH, day - mod(day, size)) };
}

/** The four blocks a block is made of (a block of 4 days: its days). */
export function childrenOf(block: DayBlock): DayBlock[] {
  const size = (block.size / 4) as BlockSize;
  return [0, 1, 2, 3].map((n) => ({ size, start: addDays(block.start, n * size) }));
}

/**
 * The fewest aligned blocks of at most `largest` days that exactly cover `from`…`to`, in date
 * order: from each date, the largest block that starts there and ends within the range.
 */
export function coverOf(from: string, to: string, largest: BlockSize = 256): DayBlock[] {
  const blocks: DayBlock[] = [];
  const last = daysBetween(EPOCH, to);
  for (let day = daysBetween(EPOCH, from); day <= last; ) {
    let size: BlockSize = 1;
    for (const candidate of BLOCK_SIZES) {
      if (candidate <= largest && mod(day, candidate) === 0 && day + candidate - 1 <= last) size = candidate;
    }
    blocks.push({ size, start: addDays(EPOCH, day) });
    day += size;
  }
  return blocks;
}

/** Every block larger than a day that holds one of `dates`, smaller sizes first. */
export function blocksHolding(dates: Iterable<string>): DayBlock[] {
  const list = [...dates];
  return BLOCK_SIZES.filter((size) => size > 1).flatMap((size) => {
    const starts = new Set(list.map((date) => blockOf(date, size).start));
    return [...starts].sort().map((start) => ({ size, start }));
  });
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/** One section of a stored day: read apart from the others, so a query reads only what it needs. */
export interface ResultSection<T> {
  /** Validates the section read back from the table. */
  readonly schema: z.ZodType<T, unknown>;
  /** Merges consecutive days (keyed by their first day) into one; without it, only days are stored. */
  readonly mergeDays?: (parts: ReadonlyMap<string, T>) => T;
}

/** The sections of a stored day `T`: one per property. */
export type ResultSections<T> = { readonly [K in keyof T]: ResultSection<T[K]> };

/** What a read gives: per section read, its parts keyed by their first day, in date order. */
export type SectionParts<T, K extends keyof T> = { [S in K]: Map<string, T[S]> };

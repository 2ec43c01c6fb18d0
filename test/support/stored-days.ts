import type { SectionParts } from '#domain/day-blocks.ts';
import {
  type DayResult,
  STORED_SECTIONS,
  type StoredDay,
  type StoredSection,
  toStoredDay,
} from '#domain/day-result.ts';

const SECTIONS = Object.keys(STORED_SECTIONS) as StoredSection[];

/** Day results (or blocks of them, keyed by their first day) as the store reads them back: per section. */
export function storedParts(
  days: ReadonlyMap<string, DayResult | StoredDay>,
): SectionParts<StoredDay, StoredSection> {
  const stored = [...days].map(([date, day]): [string, StoredDay] => [
    date,
    // A stored day has its journey in sections (`ads`, …); a day result has it whole.
    'ads' in day ? day : toStoredDay(day, date),
  ]);
  return Object.fromEntries(
    SECTIONS.map((section) => [section, new Map(stored.map(([date, day]) => [date, day[section]]))]),
  ) as SectionParts<StoredDay, StoredSection>;
}

/**
 * Consecutive days merged as the store merges a block: each section by its own merge; a section
 * without one (kept in days only) is left out of the block, as the store leaves it.
 */
export function mergeStored(days: ReadonlyMap<string, DayResult | StoredDay>): Partial<StoredDay> {
  const parts = storedParts(days);
  const block: Record<string, unknown> = {};
  for (const section of SECTIONS) {
    const merge = STORED_SECTIONS[section].mergeDays as
      | ((p: ReadonlyMap<string, unknown>) => unknown)
      | undefined;
    if (merge) block[section] = merge(parts[section]);
  }
  return block as Partial<StoredDay>;
}

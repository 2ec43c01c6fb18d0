import { z } from 'zod';

/**
 * Calendar helpers. Metrics are reported per calendar day in the configured time zone; the
 * raw zone is partitioned by UTC date and hour (what Athena and Glue expect).
 */

const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The longest range one query or job may span, in days. */
export const MAX_RANGE_DAYS = 400;

/**
 * Dates a boundary takes: wide enough for any question about events (2000–2099), narrow enough
 * that a range and its lookback never leave the four-digit years `YYYY-MM-DD` holds (past 9999
 * a day's ISO string gains a sign and stops sorting, and a walk over the days never ends).
 */
const FIRST_DATE = '1970-01-01';
const LAST_DATE = '2999-12-31';

/** A real calendar date written `YYYY-MM-DD`, for every boundary that takes one. */
export const calendarDateSchema = z
  .string()
  .refine((value) => isCalendarDate(value), {
    message: 'must be a real date written YYYY-MM-DD',
    abort: true,
  })
  .refine(
    (value) => value >= FIRST_DATE && value <= LAST_DATE,
    `must be a date from ${FIRST_DATE} to ${LAST_DATE}`,
  );

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (rejects 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * Whether an ISO-8601 timestamp names a real instant: the date part is a calendar date and the
 * time part is in range (zod checks the shape, this checks that 2026-02-30T10:00:00Z is refused).
 */
export function isRealTimestamp(value: string): boolean {
  return isCalendarDate(value.slice(0, 10)) && Number.isFinite(Date.parse(value));
}

/** The calendar date (`YYYY-MM-DD`) of an instant in a time zone. */
export function localDate(epochMs: number, timeZone: string): string {
  if (timeZone === 'UTC') return new Date(epochMs).toISOString().slice(0, 10);
  const parts = partsOf(epochMs, timeZone);
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** The UTC date and hour of an instant, for Hive-style raw partitions. */
export function utcPartition(epochMs: number): { readonly date: string; readonly hour: string } {
  const iso = new Date(epochMs).toISOString();
  return { date: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/**
 * The instant at which calendar day `date` starts in `timeZone`: local midnight, or, where a DST
 * change skips midnight, the first instant that belongs to the day.
 */
export function startOfDay(date: string, timeZone: string): number {
  const utcMidnight = Date.parse(`${date}T00:00:00Z`);
  if (timeZone === 'UTC') return utcMidnight;
  // The offset can differ between the guess and the answer around DST changes: settle twice.
  let start = utcMidnight - offsetMs(utcMidnight, timeZone);
  start = utcMidnight - offsetMs(start, timeZone);
  // Every offset is a multiple of 15 minutes, so day boundaries fall on 15-minute steps.
  while (localDate(start, timeZone) < date) start += QUARTER_HOUR_MS;
  while (localDate(start - QUARTER_HOUR_MS, timeZone) === date) start -= QUARTER_HOUR_MS;
  return start;
}

/** Every date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    dates.push(new Date(t).toISOString().slice(0, 10));
  }
  return dates;
}

/** `date` moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Number of days from `from` to `to` (0 when equal). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export { DAY_MS };

function partsOf(epochMs: number, timeZone: string): Record<string, string> {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) parts[part.type] = part.value;
  return parts;
}

function offsetMs(epochMs: number, timeZone: string): number {
  const p = partsOf(epochMs, timeZone);
  const asUtc = Date.UTC(
    +(p.year ?? 0),
    +(p.month ?? 1) - 1,
    +(p.day ?? 1),
    +(p.hour ?? 0),
    +(p.minute ?? 0),
    +(p.second ?? 0),
  );
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * `localDate` with a cache per 15-minute bucket (every UTC offset in use is a multiple of 15
 * minutes, so a bucket never straddles a local midnight): one Intl call per bucket, not per event.
 */
export function createLocalDateCache(timeZone: string): (epochMs: number) => string {
  const cache = new Map<number, string>();
  return (epochMs) => {
    const bucket = Math.floor(epochMs / QUARTER_HOUR_MS);
    let date = cache.get(bucket);
    if (date === undefined) {
      date = localDate(bucket * QUARTER_HOUR_MS, timeZone);
      if (cache.size > 100_000) cache.clear();
      cache.set(bucket, date);
    }
    return date;
  };
}

export const INTERVALS = ['day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

/**
 * A date range cut into days, ISO weeks (Monday to Sunday) or calendar months, the first and last
 * clipped to the range: for a chart's points, one request for any range.
 */
export function intervalsOf(
  from: string,
  to: string,
  interval: Interval,
): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  let start = from;
  while (start <= to) {
    let end = start;
    if (interval === 'week') {
      // getUTCDay: 0 is Sunday; a week ends on the Sunday on or after its start.
      const weekday = new Date(`${start}T00:00:00Z`).getUTCDay();
      end = addDays(start, (7 - weekday) % 7);
    } else if (interval === 'month') {
      const [year, month] = start.split('-').map(Number) as [number, number];
      end = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
    }
    if (end > to) end = to;
    out.push({ from: start, to: end });
    start = addDays(end, 1);
  }
  return out;
}

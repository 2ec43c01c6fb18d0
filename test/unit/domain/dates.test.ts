import { describe, expect, it } from 'vitest';
import {
  addDays,
  calendarDateSchema,
  DAY_MS,
  datesBetween,
  daysBetween,
  intervalsOf,
  isCalendarDate,
  isRealTimestamp,
  isValidTimeZone,
  localDate,
  startOfDay,
  utcPartition,
} from '#domain/dates.ts';

const at = (iso: string) => Date.parse(iso);
const HOUR_MS = 3_600_000;

describe('localDate', () => {
  it('is the UTC date in UTC', () => {
    expect(localDate(at('2026-03-01T00:00:00Z'), 'UTC')).toBe('2026-03-01');
    expect(localDate(at('2026-02-28T23:59:59.999Z'), 'UTC')).toBe('2026-02-28');
  });

  it('moves the day boundary by the zone offset', () => {
    // 2026-03-01T07:59Z is 23:59 on 2026-02-28 in Los Angeles (UTC−8 in winter).
    expect(localDate(at('2026-03-01T07:59:59Z'), 'America/Los_Angeles')).toBe('2026-02-28');
    expect(localDate(at('2026-03-01T08:00:00Z'), 'America/Los_Angeles')).toBe('2026-03-01');
  });

  it('follows New York across the spring-forward change (2026-03-08, EST −5 → EDT −4)', () => {
    // Midnight of 03-08 is still EST: 00:00 + 5 h = 05:00Z.
    expect(localDate(at('2026-03-08T04:59:59Z'), 'America/New_York')).toBe('2026-03-07');
    expect(localDate(at('2026-03-08T05:00:00Z'), 'America/New_York')).toBe('2026-03-08');
    // Midnight of 03-09 is EDT: 00:00 + 4 h = 04:00Z.
    expect(localDate(at('2026-03-09T03:59:59Z'), 'America/New_York')).toBe('2026-03-08');
    expect(localDate(at('2026-03-09T04:00:00Z'), 'America/New_York')).toBe('2026-03-09');
  });

  it('follows Berlin across the spring-forward change (2026-03-29, CET +1 → CEST +2)', () => {
    // Midnight of 03-29 is CET: 00:00 − 1 h = 03-28T23:00Z. Midnight of 03-30 is CEST: 03-29T22:00Z.
    expect(localDate(at('2026-03-28T22:59:59Z'), 'Europe/Berlin')).toBe('2026-03-28');
    expect(localDate(at('2026-03-28T23:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(localDate(at('2026-03-29T21:59:59Z'), 'Europe/Berlin')).toBe('2026-03-29');
    expect(localDate(at('2026-03-29T22:00:00Z'), 'Europe/Berlin')).toBe('2026-03-30');
  });

  it('handles a zone with a non-hour offset (Asia/Kathmandu, +05:45)', () => {
    // Midnight of 03-02 in Kathmandu is 03-01T24:00 − 5:45 = 03-01T18:15Z.
    expect(localDate(at('2026-03-01T18:14:59Z'), 'Asia/Kathmandu')).toBe('2026-03-01');
    expect(localDate(at('2026-03-01T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-03-02');
  });
});

describe('startOfDay', () => {
  it('is UTC midnight in UTC', () => {
    expect(startOfDay('2026-03-01', 'UTC')).toBe(at('2026-03-01T00:00:00Z'));
  });

  it('starts the New York spring-forward day at 05:00Z and the next day at 04:00Z: a 23-hour day', () => {
    const start = startOfDay('2026-03-08', 'America/New_York');
    const next = startOfDay('2026-03-09', 'America/New_York');
    expect(new Date(start).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(next).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(next - start).toBe(23 * HOUR_MS);
  });

  it('starts the New York fall-back day (2026-11-01) at 04:00Z and the next at 05:00Z: a 25-hour day', () => {
    const start = startOfDay('2026-11-01', 'America/New_York');
    const next = startOfDay('2026-11-02', 'America/New_York');
    expect(new Date(start).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(next).toISOString()).toBe('2026-11-02T05:00:00.000Z');
    expect(next - start).toBe(25 * HOUR_MS);
  });

  it('starts a Kathmandu day at 18:15Z the day before', () => {
    expect(new Date(startOfDay('2026-03-02', 'Asia/Kathmandu')).toISOString()).toBe(
      '2026-03-01T18:15:00.000Z',
    );
  });

  it('starts the Berlin days around the spring-forward change at 23:00Z and then 22:00Z', () => {
    expect(new Date(startOfDay('2026-03-29', 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-28T23:00:00.000Z',
    );
    expect(new Date(startOfDay('2026-03-30', 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T22:00:00.000Z',
    );
  });

  it('is the first instant of its own local date and the previous instant is the day before', () => {
    for (const [date, zone] of [
      ['2026-03-08', 'America/New_York'],
      ['2026-11-01', 'America/New_York'],
      ['2026-03-29', 'Europe/Berlin'],
      ['2026-10-25', 'Europe/Berlin'],
      ['2026-03-02', 'Asia/Kathmandu'],
      ['2026-01-01', 'Pacific/Kiritimati'],
    ] as const) {
      const start = startOfDay(date, zone);
      expect(localDate(start, zone)).toBe(date);
      expect(localDate(start - 1, zone)).toBe(addDays(date, -1));
    }
  });

  it('starts a day whose midnight is skipped by DST at the first instant that exists (America/Santiago 2026-09-06)', () => {
    // Chile springs forward at local midnight: 2026-09-06 00:00 −04 becomes 01:00 −03, so the day's
    // first instant is 01:00 −03 = 04:00Z. The instant one hour earlier, 03:00Z, is 23:00 −04 on 09-05.
    const start = startOfDay('2026-09-06', 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06');
    expect(new Date(start).toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });
});

describe('datesBetween', () => {
  it('lists every date from `from` to `to`, both included, across a month end', () => {
    expect(datesBetween('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
  });

  it('includes February 29 in a leap year', () => {
    expect(datesBetween('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
  });

  it('crosses a year end', () => {
    expect(datesBetween('2025-12-30', '2026-01-02')).toEqual([
      '2025-12-30',
      '2025-12-31',
      '2026-01-01',
      '2026-01-02',
    ]);
  });

  it('is one date when from equals to and empty when from is after to', () => {
    expect(datesBetween('2026-03-01', '2026-03-01')).toEqual(['2026-03-01']);
    expect(datesBetween('2026-03-02', '2026-03-01')).toEqual([]);
  });

  it('lists 365 dates for the whole of 2026', () => {
    const dates = datesBetween('2026-01-01', '2026-12-31');
    expect(dates).toHaveLength(365);
    expect(dates.at(-1)).toBe('2026-12-31');
  });
});

describe('addDays and daysBetween', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-01'],
    ['2026-02-28', 1, '2026-03-01'],
    ['2024-02-28', 1, '2024-02-29'],
    ['2025-12-31', 1, '2026-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-03-01', 30, '2026-03-31'],
    ['2026-03-01', 0, '2026-03-01'],
    // 2026-01-01 + 365 days = 2027-01-01 (2026 is a common year).
    ['2026-01-01', 365, '2027-01-01'],
  ] as const)('moves %s by %i days to %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('counts days between dates, negative when backwards', () => {
    // March has 31 days: 03-01 → 03-31 is 30 days.
    expect(daysBetween('2026-03-01', '2026-03-31')).toBe(30);
    expect(daysBetween('2026-03-31', '2026-03-01')).toBe(-30);
    expect(daysBetween('2026-03-01', '2026-03-01')).toBe(0);
    // 2024 is a leap year: 366 days to the same date a year later.
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
  });

  it('exposes one day in milliseconds', () => {
    expect(DAY_MS).toBe(24 * HOUR_MS);
  });
});

describe('isCalendarDate', () => {
  it.each(['2024-02-29', '2000-02-29', '2026-12-31', '2026-01-01', '2026-04-30'])('accepts %s', (date) => {
    expect(isCalendarDate(date)).toBe(true);
  });

  it.each([
    ['2026-02-29', '2026 is not a leap year'],
    ['1900-02-29', 'century years are leap only when divisible by 400'],
    ['2026-02-30', 'February never has 30 days'],
    ['2026-04-31', 'April has 30 days'],
    ['2026-13-01', 'there is no month 13'],
    ['2026-00-10', 'there is no month 0'],
    ['2026-01-00', 'there is no day 0'],
    ['2026-3-01', 'the month needs two digits'],
    [' 2026-01-01', 'no surrounding spaces'],
    ['2026-01-01T00:00:00Z', 'a timestamp is not a date'],
  ])('rejects %s (%s)', (date) => {
    expect(isCalendarDate(date)).toBe(false);
  });
});

describe('calendarDateSchema', () => {
  const messagesOf = (date: string) => {
    const parsed = calendarDateSchema.safeParse(date);
    return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  };

  it('takes 1970-01-01 through 2999-12-31', () => {
    expect(messagesOf('1970-01-01')).toEqual([]);
    expect(messagesOf('2999-12-31')).toEqual([]);
  });

  it('refuses years a walk over the days could not leave (9999-12-31 + 1 day is +010000-01-01)', () => {
    expect(addDays('9999-12-31', 1)).toBe('+010000-01');
    expect(messagesOf('9999-12-31')).toEqual(['must be a date from 1970-01-01 to 2999-12-31']);
    expect(messagesOf('1969-12-31')).toEqual(['must be a date from 1970-01-01 to 2999-12-31']);
  });

  it('says only that a non-date is not a date', () => {
    expect(messagesOf('2026-02-30')).toEqual(['must be a real date written YYYY-MM-DD']);
  });
});

describe('isRealTimestamp, utcPartition and isValidTimeZone', () => {
  it('tells real timestamps from impossible ones', () => {
    expect(isRealTimestamp('2026-03-01T10:00:00+02:00')).toBe(true);
    expect(isRealTimestamp('2026-02-30T10:00:00Z')).toBe(false);
  });

  it('partitions by UTC date and hour', () => {
    // 23:30 at +02:00 is 21:30 UTC the same day.
    expect(utcPartition(at('2026-03-01T23:30:00+02:00'))).toEqual({ date: '2026-03-01', hour: '21' });
    // 01:30 at +02:00 is 23:30 UTC the day before.
    expect(utcPartition(at('2026-03-01T01:30:00+02:00'))).toEqual({ date: '2026-02-28', hour: '23' });
  });

  it('knows IANA zones and refuses made-up ones', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Asia/Kathmandu')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});

describe('intervalsOf', () => {
  it('cuts a range into days, ISO weeks and months, clipping the ends', () => {
    // 2026-02-25 is a Wednesday: its week ends on Sunday 2026-03-01.
    expect(intervalsOf('2026-02-25', '2026-03-10', 'week')).toEqual([
      { from: '2026-02-25', to: '2026-03-01' },
      { from: '2026-03-02', to: '2026-03-08' },
      { from: '2026-03-09', to: '2026-03-10' },
    ]);
    // February 2026 has 28 days; 2028 is a leap year.
    expect(intervalsOf('2026-01-15', '2026-03-02', 'month')).toEqual([
      { from: '2026-01-15', to: '2026-01-31' },
      { from: '2026-02-01', to: '2026-02-28' },
      { from: '2026-03-01', to: '2026-03-02' },
    ]);
    expect(intervalsOf('2028-02-01', '2028-02-29', 'month')).toEqual([
      { from: '2028-02-01', to: '2028-02-29' },
    ]);
    expect(intervalsOf('2026-03-01', '2026-03-03', 'day').map((i) => i.from)).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    // A Sunday alone is a week of one day.
    expect(intervalsOf('2026-03-01', '2026-03-01', 'week')).toEqual([
      { from: '2026-03-01', to: '2026-03-01' },
    ]);
  });
});

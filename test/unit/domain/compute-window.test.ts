import { describe, expect, it } from 'vitest';
import { computeWindow } from '#domain/compute-window.ts';

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

  it('looks a lookback past the range, from the last UTC day it reads (its hours after the range)', () => {
    // New York, lookback 1: the range ends 2026-07-11T03:59:59.999Z; its horizon a day later,
    // 2026-07-12T03:59:59.999Z. The hours after the range begin on the 11th, already read.
    const window = computeWindow(
      { from: '2026-07-10', to: '2026-07-10' },
      { timeZone: 'America/New_York', lookbackDays: 1 },
    );
    expect(window.horizon).toBe(Date.parse('2026-07-12T04:00:00Z') - 1);
    expect(window.laterUtcDates).toEqual(['2026-07-11', '2026-07-12']);
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

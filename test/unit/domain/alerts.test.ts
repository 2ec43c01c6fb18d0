import { describe, expect, it } from 'vitest';
import { alertsConfigSchema, baselineDates, checkKpis } from '#domain/alerts.ts';
import { addDays } from '#domain/dates.ts';
import { type DayResult, emptyDayResult, toComputePartial } from '#domain/day-result.ts';
import { storedParts } from '../../support/stored-days.ts';

const DAY = '2026-03-30'; // a Monday; its baseline: the four Mondays before
const config = alertsConfigSchema.parse({ kpis: ['conversions', 'spend', 'visits'] });

/** A stored day with these conversions (on paid search), spend and visits. */
function day(conversions: number, spendMicros: number, visits: number): DayResult {
  const result = emptyDayResult();
  if (conversions > 0) result.metrics.conversions = { paid_search: conversions };
  if (spendMicros > 0) result.metrics.spendMicros = { paid_search: spendMicros };
  result.journey.visits = { visits, pageViews: visits, bounces: 0, visitMs: 0 };
  return result;
}

describe('the daily KPI check', () => {
  it('reads the day and the same weekday of each baseline week', () => {
    expect(baselineDates(DAY, config)).toEqual([
      '2026-03-30',
      '2026-03-23',
      '2026-03-16',
      '2026-03-09',
      '2026-03-02',
    ]);
  });

  it('flags a KPI 50% or more away from the mean of its baseline weekdays, up or down', () => {
    // conversions: baseline (10 + 12 + 8 + 10) / 4 = 10, today 16 → +60%: an alert.
    // spend: baseline 100 each week, today 60 → −40%: within the threshold.
    // visits: baseline 40, today 10 → −75%: an alert.
    const stored = new Map<string, DayResult>([
      [addDays(DAY, -28), day(10, 100e6, 40)],
      [addDays(DAY, -21), day(12, 100e6, 40)],
      [addDays(DAY, -14), day(8, 100e6, 40)],
      [addDays(DAY, -7), day(10, 100e6, 40)],
      [DAY, day(16, 60e6, 10)],
    ]);
    expect(checkKpis(toComputePartial(storedParts(stored)), DAY, config, 'USD')).toEqual([
      { date: DAY, kpi: 'conversions', value: 16, baseline: 10, change: 0.6, direction: 'up' },
      { date: DAY, kpi: 'visits', value: 10, baseline: 40, change: -0.75, direction: 'down' },
    ]);
  });

  it('stays quiet without a baseline: fewer than two weeks with a value, or a baseline of 0', () => {
    const early = new Map<string, DayResult>([
      [addDays(DAY, -7), day(10, 0, 0)],
      [DAY, day(50, 0, 5)],
    ]);
    expect(checkKpis(toComputePartial(storedParts(early)), DAY, config, 'USD')).toEqual([]);
  });
});

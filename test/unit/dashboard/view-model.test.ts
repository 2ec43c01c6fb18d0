import { describe, expect, it } from 'vitest';
import { formatter, intervalFor } from '../../../dashboard/format.ts';
import { CONVERTED, NOT_CONVERTED, pathFlows } from '../../../dashboard/paths.ts';

describe('the dashboard view model', () => {
  it('groups a range by day up to 62 days, by week up to 366, by month beyond', () => {
    expect(intervalFor('2026-03-01', '2026-03-01')).toBe('day');
    expect(intervalFor('2026-01-01', '2026-03-03')).toBe('day'); // 62 days
    expect(intervalFor('2026-01-01', '2026-03-04')).toBe('week'); // 63 days
    expect(intervalFor('2024-01-01', '2024-12-31')).toBe('week'); // 366 days (a leap year)
    expect(intervalFor('2025-01-01', '2026-01-02')).toBe('month'); // 367 days
  });

  it('writes money in the currency, rates as percentages and a missing figure as a dash', () => {
    const format = formatter('en-US', 'EUR');
    expect(format('money', 1234.5)).toBe('€1,234.50');
    expect(format('percent', 0.1234)).toBe('12.3%');
    expect(format('days', 0.5)).toBe('0.5 d');
    expect(format('ratio', 2)).toBe('2.00');
    expect(format('money', null)).toBe('—');
  });

  it('turns paths into a Sankey without loops: a node per channel and step, each path into its outcome', () => {
    const { flows, labels, columns } = pathFlows([
      { path: ['paid_search', 'email', 'paid_search'], journeys: 5, conversions: 3 },
      { path: ['paid_search', 'email'], journeys: 2, conversions: 2 },
      { path: ['direct'], journeys: 4, conversions: 0 },
    ]);
    expect(flows).toEqual([
      { from: '1:paid_search', to: '2:email', flow: 7 },
      { from: '2:email', to: '3:paid_search', flow: 5 },
      { from: '3:paid_search', to: CONVERTED, flow: 3 },
      { from: '3:paid_search', to: NOT_CONVERTED, flow: 2 },
      { from: '2:email', to: CONVERTED, flow: 2 },
      { from: '1:direct', to: NOT_CONVERTED, flow: 4 },
    ]);
    expect(labels['3:paid_search']).toBe('paid_search');
    expect(labels[CONVERTED]).toBe('conversion');
    expect([
      columns['1:direct'],
      columns['3:paid_search'],
      columns[CONVERTED],
      columns[NOT_CONVERTED],
    ]).toEqual([0, 2, 3, 3]);
  });
});

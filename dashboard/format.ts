/**
 * How the dashboard writes numbers and groups a range: plain functions without the DOM, so the
 * browser tests format the API's own answers the same way and compare text with text.
 */

/** What a figure is, which decides how it is written. */
export type Kind = 'count' | 'decimal' | 'percent' | 'money' | 'ratio' | 'days';

/** A figure the API could not work out (a rate over 0, a stage without a previous one). */
export const NONE = '—';

export type Formatter = (kind: Kind, value: number | null) => string;

export function formatter(locale: string, currency: string): Formatter {
  const formats: Record<Exclude<Kind, 'days'>, Intl.NumberFormat> = {
    count: new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }),
    decimal: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
    percent: new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }),
    money: new Intl.NumberFormat(locale, { style: 'currency', currency }),
    ratio: new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  };
  return (kind, value) => {
    if (value === null) return NONE;
    if (kind === 'days') return `${formats.decimal.format(value)} d`;
    return formats[kind].format(value);
  };
}

/** Days from `from` to `to`, both included. */
export function daysIn(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/**
 * The points of a time chart: days up to two months, ISO weeks up to a year, months beyond, so a
 * chart has at most about 60 bars.
 */
export function intervalFor(from: string, to: string): 'day' | 'week' | 'month' {
  const days = daysIn(from, to);
  if (days <= 62) return 'day';
  return days <= 366 ? 'week' : 'month';
}

import { z } from 'zod';
import { addDays } from './dates.ts';
import type { ComputePartial, StoredSection } from './day-result.ts';
import { adsRates } from './journey/ads.ts';
import { cartAbandonment } from './journey/cart.ts';
import { emailFunnel } from './journey/email-funnel.ts';
import { visitorsSummary } from './journey/visitors.ts';
import { channelShare, cpaByStage } from './metrics/index.ts';

/** The KPIs a daily check can watch (README: Alerts). */
export const KPI_NAMES = [
  'conversions',
  'value',
  'spend',
  'cpa',
  'touches',
  'visits',
  'visitors',
  'bounceRate',
  'openRate',
  'ctr',
  'cartAbandonment',
] as const;
export type KpiName = (typeof KPI_NAMES)[number];

export const alertsConfigSchema = z.strictObject({
  /** The KPIs checked every day. */
  kpis: z
    .array(z.enum(KPI_NAMES))
    .max(KPI_NAMES.length)
    .default(['conversions', 'value', 'spend', 'cpa', 'visits']),
  /** A KPI breaches when it is this far from its baseline, as a share of it (0.5: 50% up or down). */
  changeThreshold: z.number().gt(0).max(100).default(0.5),
  /** The baseline: the same weekday of this many weeks before (a seasonal moving average). */
  baselineWeeks: z.int().min(2).max(12).default(4),
});
export type AlertsConfig = z.output<typeof alertsConfigSchema>;

/** A KPI of a day that moved away from its baseline. */
export interface Alert {
  date: string;
  kpi: KpiName;
  value: number;
  /** Mean of the same weekday in the baseline weeks that had a value. */
  baseline: number;
  /** (value − baseline) / baseline, to 4 decimals. */
  change: number;
  direction: 'up' | 'down';
}

export const alertSchema: z.ZodType<Alert> = z.object({
  date: z.iso.date(),
  kpi: z.enum(KPI_NAMES),
  value: z.number(),
  baseline: z.number(),
  change: z.number(),
  direction: z.enum(['up', 'down']),
});

/** The stored sections the KPIs are worked out from (day-result.ts). */
export const KPI_SECTIONS = [
  'metrics',
  'journey',
  'email',
  'ads',
] as const satisfies readonly StoredSection[];

/** A KPI of one day from its stored results (days only); `null` where it has no denominator. */
export function kpiOf(kpi: KpiName, data: ComputePartial, date: string, currency: string): number | null {
  // A day never computed has no figures (a deployment's first weeks have no baseline), not zeros.
  if (!Object.hasOwn(data.metrics.days, date)) return null;
  const day = { from: date, to: date };
  switch (kpi) {
    case 'conversions':
      return channelShare(data.metrics, { ...day, basis: 'conversions' }).total;
    case 'touches':
      return channelShare(data.metrics, { ...day, basis: 'touches' }).total;
    case 'spend':
      return cpaByStage(data.metrics, { ...day, currency }).spend;
    case 'value': {
      const values = Object.values(data.metrics.days[date]?.valueMicros ?? {});
      return values.reduce((sum, micros) => sum + micros, 0) / 1e6;
    }
    case 'cpa': {
      const conversions = channelShare(data.metrics, { ...day, basis: 'conversions' }).total;
      return conversions > 0 ? cpaByStage(data.metrics, { ...day, currency }).spend / conversions : null;
    }
    case 'visits':
      return visitorsSummary(data.journey, day).visits;
    case 'visitors':
      return visitorsSummary(data.journey, day).visitors;
    case 'bounceRate':
      return visitorsSummary(data.journey, day).bounceRate;
    case 'openRate':
      return emailFunnel(data.journey, { ...day, groupBy: 'campaign' }).totals.openRate;
    case 'ctr': {
      const rows = adsRates(data.journey, { ...day, groupBy: 'platform', currency }).rows;
      const impressions = rows.reduce((sum, r) => sum + r.impressions, 0);
      return impressions > 0 ? rows.reduce((sum, r) => sum + r.clicks, 0) / impressions : null;
    }
    case 'cartAbandonment':
      return cartAbandonment(data.journey, day).abandonmentRate;
  }
}

/** The days a check of `date` reads: the day and the same weekday of each baseline week. */
export function baselineDates(date: string, config: AlertsConfig): string[] {
  return [date, ...Array.from({ length: config.baselineWeeks }, (_, k) => addDays(date, -7 * (k + 1)))];
}

/**
 * The KPIs of `date` that breach: compared with the mean of the same weekday in the
 * `baselineWeeks` before (weekly seasonality is the strongest in marketing data). A KPI needs a
 * value on the day, at least two computed baseline weeks with a value and a baseline above 0.
 */
export function checkKpis(
  data: ComputePartial,
  date: string,
  config: AlertsConfig,
  currency: string,
): Alert[] {
  const [, ...before] = baselineDates(date, config);
  const alerts: Alert[] = [];
  for (const kpi of config.kpis) {
    const value = kpiOf(kpi, data, date, currency);
    const samples = before.map((d) => kpiOf(kpi, data, d, currency)).filter((v): v is number => v !== null);
    if (value === null || samples.length < 2) continue;
    const baseline = samples.reduce((sum, v) => sum + v, 0) / samples.length;
    if (baseline <= 0) continue;
    const change = (value - baseline) / baseline;
    if (Math.abs(change) >= config.changeThreshold) {
      alerts.push({
        date,
        kpi,
        value: round(value),
        baseline: round(baseline),
        change: Math.round(change * 1e4) / 1e4,
        direction: change > 0 ? 'up' : 'down',
      });
    }
  }
  return alerts;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

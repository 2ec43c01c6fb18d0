import type { AlertPublisher } from '#adapters/alert-publisher.ts';
import type { AlertStore } from '#adapters/alert-store.ts';
import type { DayPartialStore } from '#adapters/results-store.ts';
import { type Alert, baselineDates, checkKpis, KPI_SECTIONS } from '#domain/alerts.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { type StoredDay, toComputePartial } from '#domain/day-result.ts';

export interface AlertCheckDeps {
  readonly results: DayPartialStore<StoredDay>;
  readonly alerts: AlertStore;
  readonly publisher: AlertPublisher;
  readonly config: AttributionConfig;
}

/**
 * The daily check: the configured KPIs of `date` against their baseline (the same weekday of the
 * weeks before), from the stored days; the alerts are kept for `GET /v1/alerts` (a check run again
 * replaces its day's) and published.
 */
export async function checkAlerts(date: string, deps: AlertCheckDeps): Promise<Alert[]> {
  const dates = baselineDates(date, deps.config.alerts);
  // The day and its baseline weekdays only, each a range of one day, in one read.
  const reads = await deps.results.readRanges(
    dates.map((day) => ({ from: day, to: day })),
    { sections: KPI_SECTIONS, largest: 1 },
  );
  const data = toComputePartial(
    Object.fromEntries(
      KPI_SECTIONS.map((section) => [
        section,
        new Map<string, unknown>(reads.flatMap((read) => [...read[section]])),
      ]),
    ),
  );
  const alerts = checkKpis(data, date, deps.config.alerts, deps.config.currency);
  await deps.alerts.putDay(date, alerts);
  await deps.publisher.publish(date, alerts);
  return alerts;
}

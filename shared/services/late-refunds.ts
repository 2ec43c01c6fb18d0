import { logger } from '#adapters/observability.ts';
import { addDays, localDate, MAX_RANGE_DAYS, startOfDay } from '#domain/dates.ts';
import { versionReadAt } from '#domain/jobs.ts';
import { CONVERSION_COLUMNS, LATEST_COPY_FIRST, REFUND_COLUMNS } from '#lake/lake-tables.ts';
import { type ComputeDeps, type ComputeRange, registerTable } from './compute.ts';

/**
 * A refund stamped this long before a job read the lake may still have been written after it: the
 * stamp is taken just before the refunds file is written (a few seconds), and clocks of two
 * functions may differ a little.
 */
const BUILD_MARGIN_MS = 5 * 60_000;

/**
 * The first day a compute of `range` must cover so that every refund is netted: `range.from`, or
 * the earliest day before it whose conversions have a refund built since that day was stored (the
 * time its version read the lake, less {@link BUILD_MARGIN_MS}): at most `lateRefundDays` before
 * `range.from`, and {@link MAX_RANGE_DAYS} back from `range.to`. A refund usually comes days or
 * weeks after its purchase, when the purchase's day has left the window the schedule computes; the
 * day computed again nets it, and then no longer widens a plan. Late days further back are logged
 * (a compute over them nets them). Days never computed, and days stored before versions carried
 * their time, are left as they are. Reads every refund and conversion index partition (a small
 * share of the lake) and the versions items of the refunded days.
 */
export async function refundedFrom(
  range: ComputeRange,
  deps: Pick<ComputeDeps, 'lakeStore' | 'dayStore' | 'config' | 'openEngine'>,
): Promise<string> {
  const cap = addDays(range.from, -deps.config.lateRefundDays);
  const longest = addDays(range.to, 1 - MAX_RANGE_DAYS);
  const earliest = cap > longest ? cap : longest;
  if (range.from <= earliest) return range.from;
  // Most plans of a young or refund-free lake stop here, before the conversion index is listed.
  const refundFiles = await deps.lakeStore.fetchPartitions('refunds');
  if (refundFiles.length === 0) return range.from;
  const conversionFiles = await deps.lakeStore.fetchPartitions('conversions');
  if (conversionFiles.length === 0) return range.from;
  const { timeZone } = deps.config;
  const engine = await deps.openEngine();
  let rows: Array<{ ts: bigint; built_at: string }>;
  try {
    await registerTable(engine, 'lake_refunds', REFUND_COLUMNS, refundFiles);
    await registerTable(engine, 'lake_conversions', CONVERSION_COLUMNS, conversionFiles);
    // Every copy of a refund counts (a rebuilt partition is a new chance the job missed it); a
    // conversion is where its latest copy puts it. A partition written before built_at existed
    // falls back to when the refund was received.
    rows = await engine.all(
      `SELECT c.ts, max(coalesce(r.built_at, r.received_at)) AS built_at
       FROM lake_refunds r
       JOIN (SELECT event_id, ts FROM lake_conversions
             QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ${LATEST_COPY_FIRST}) = 1) c
         ON c.event_id = r.refund_of
       WHERE c.ts < $hi
       GROUP BY c.ts`,
      { hi: startOfDay(range.from, timeZone) },
    );
  } finally {
    await engine.close();
  }
  const lastBuilt = new Map<string, number>();
  for (const row of rows) {
    const day = localDate(Number(row.ts), timeZone);
    lastBuilt.set(day, Math.max(lastBuilt.get(day) ?? 0, Date.parse(row.built_at)));
  }
  const versions = await deps.dayStore.readVersions([...lastBuilt.keys()]);
  let from = range.from;
  const beyond: string[] = [];
  for (const [day, built] of lastBuilt) {
    const version = versions.get(day);
    const stored = version === undefined ? undefined : versionReadAt(version);
    if (stored === undefined || built < stored - BUILD_MARGIN_MS) continue;
    if (day < earliest) beyond.push(day);
    else if (day < from) from = day;
  }
  if (beyond.length > 0) {
    logger.warn('refunds of conversions older than lateRefundDays are netted by a compute over their days', {
      days: beyond.sort(),
    });
  }
  return from;
}

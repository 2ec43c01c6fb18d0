import { localDate } from '#domain/dates.ts';
import { ApiClient } from './api-client.ts';
import { generateDemoMonth } from './demo-data.ts';
import { printReport } from './report.ts';
import type { LocalRuntime } from './runtime.ts';

/**
 * `npm start -- --demo`: sends a synthetic month through the HTTP API, runs a compute job and
 * prints the CLI's report, so a newcomer sees real numbers from the real pipeline.
 */
export async function runDemo(runtime: LocalRuntime): Promise<void> {
  const started = Date.now();
  const month = generateDemoMonth(localDate(Date.now(), runtime.pipeline.config.timeZone));
  const ingest = new ApiClient({ url: runtime.url, key: runtime.keys.ingest });
  const query = new ApiClient({ url: runtime.url, key: runtime.keys.query });

  let accepted = 0;
  for (let i = 0; i < month.events.length; i += 500) {
    const result = await ingest.request<{ accepted: number }>('POST', '/v1/events', {
      events: month.events.slice(i, i + 500),
    });
    accepted += result.accepted;
  }
  await ingest.request('POST', '/v1/spend', { rows: month.spend });
  console.log(
    `demo: sent ${accepted} events and ${month.spend.length} spend rows for ${month.from} .. ${month.to}`,
  );
  await runtime.queue.idle();
  const job = await query.runJob('compute', { from: month.from, to: month.to });
  console.log(`demo: compute job ${job.jobId} scanned ${job.stats?.events ?? 0} events`);

  await printReport(query, { from: month.from, to: month.to });
  console.log(
    `demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; the API stays up at ${runtime.url} (Ctrl-C to stop)`,
  );
}

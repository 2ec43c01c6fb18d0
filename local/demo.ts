import { localDate } from '#domain/dates.ts';
import { ApiClient } from './api-client.ts';
import { generateDemoMonth } from './demo-data.ts';
import type { LocalRuntime } from './runtime.ts';

interface Share {
  channels: Array<{ channel: string; count: number; share: number }>;
  total: number;
}
interface Voice {
  entries: Array<{ name: string; isBrand: boolean; count: number; share: number }>;
}
interface Referral {
  total: number;
  domains: Array<{ domain: string; category: string; visits: number; share: number; conversions: number }>;
}
interface Comparison {
  conversions: number;
  rows: Array<{ channel: string; spend: number; conversions: Record<string, number> }>;
}
interface Cpa {
  currency: string;
  spend: number;
  stages: Array<{
    stage: string;
    events: number;
    users: number;
    costPerEvent: number | null;
    costPerUser: number | null;
  }>;
}

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const money = (value: number | null) => (value === null ? '—' : value.toFixed(2));

/**
 * `npm start -- --demo`: sends a synthetic month through the HTTP API, runs a compute job and
 * prints the four metrics, so a newcomer sees real numbers from the real pipeline.
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

  const range = `from=${month.from}&to=${month.to}`;
  const touches = await query.request<Share>('GET', `/v1/metrics/channel-share?basis=touches&${range}`);
  const conversions = await query.request<Share>(
    'GET',
    `/v1/metrics/channel-share?basis=conversions&${range}`,
  );
  const voice = await query.request<Voice>('GET', `/v1/metrics/share-of-voice?source=all&${range}`);
  const referral = await query.request<Referral>('GET', `/v1/metrics/referral-traffic?limit=5&${range}`);
  const cpa = await query.request<Cpa>('GET', `/v1/metrics/cpa-by-stage?${range}`);
  const models = await query.request<Comparison>('GET', `/v1/attribution/compare?${range}`);

  console.log(`\nChannel share by touches (${touches.total} touches)`);
  console.table(touches.channels.map((c) => ({ channel: c.channel, touches: c.count, share: pct(c.share) })));
  console.log(`Channel share by conversions, last touch (${conversions.total} conversions)`);
  console.table(
    conversions.channels.map((c) => ({ channel: c.channel, conversions: c.count, share: pct(c.share) })),
  );
  console.log('Share of voice (ad impressions and searches)');
  console.table(
    voice.entries.map((e) => ({
      name: e.name,
      brand: e.isBrand ? 'yes' : '',
      count: e.count,
      share: pct(e.share),
    })),
  );
  console.log(`Referral traffic, top domains (${referral.total} visits)`);
  console.table(
    referral.domains.map((d) => ({
      domain: d.domain,
      category: d.category,
      visits: d.visits,
      share: pct(d.share),
      conversions: d.conversions,
    })),
  );
  console.log(`Cost per acquisition by funnel stage (spend ${money(cpa.spend)} ${cpa.currency})`);
  console.table(
    cpa.stages.map((s) => ({
      stage: s.stage,
      events: s.events,
      users: s.users,
      'cost/event': money(s.costPerEvent),
      'cost/user': money(s.costPerUser),
    })),
  );
  console.log(
    `Attribution: conversions credited per channel under each model (${models.conversions} conversions)`,
  );
  console.table(
    models.rows.map((row) => ({
      channel: row.channel,
      ...Object.fromEntries(Object.entries(row.conversions).map(([model, n]) => [model, n.toFixed(1)])),
      spend: row.spend.toFixed(0),
    })),
  );
  console.log(
    `demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; the API stays up at ${runtime.url} (Ctrl-C to stop)`,
  );
}

import Table from 'cli-table3';
import type { ApiClient } from './api-client.ts';

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const fixed = (n: number | null) => (n === null ? '-' : n.toFixed(2));

/** A titled terminal table. */
export function printTable(title: string, head: string[], rows: Array<Array<string | number>>): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  table.push(...rows);
  console.log(`${title}\n${table.toString()}`);
}

/** The four metrics and the model comparison of a range, as terminal tables (CLI `report`, demo). */
export async function printReport(api: ApiClient, range: { from?: string; to?: string }): Promise<void> {
  const query = new URLSearchParams(range).toString();
  type Share = {
    from: string;
    to: string;
    total: number;
    channels: Array<{ channel: string; count: number; share: number }>;
  };
  const touches = await api.request<Share>('GET', `/v1/metrics/channel-share?basis=touches&${query}`);
  const conversions = await api.request<Share>('GET', `/v1/metrics/channel-share?basis=conversions&${query}`);
  const voice = await api.request<{ entries: Array<{ name: string; count: number; share: number }> }>(
    'GET',
    `/v1/metrics/share-of-voice?${query}`,
  );
  const referral = await api.request<{
    domains: Array<{ domain: string; category: string; visits: number; conversions: number }>;
  }>('GET', `/v1/metrics/referral-traffic?${query}`);
  const cpa = await api.request<{
    currency: string;
    spend: number;
    stages: Array<{
      stage: string;
      events: number;
      users: number;
      costPerEvent: number | null;
      costPerUser: number | null;
    }>;
  }>('GET', `/v1/metrics/cpa-by-stage?${query}`);
  const models = await api.request<{
    models: string[];
    rows: Array<{ channel: string; spend: number; conversions: Record<string, number> }>;
  }>('GET', `/v1/attribution/compare?${query}`);
  console.log(`report ${touches.from} .. ${touches.to}`);
  printTable(
    `channel share by touches (${touches.total})`,
    ['channel', 'touches', 'share'],
    touches.channels.map((c) => [c.channel, c.count, pct(c.share)]),
  );
  printTable(
    `channel share by conversions (${conversions.total})`,
    ['channel', 'conversions', 'share'],
    conversions.channels.map((c) => [c.channel, c.count, pct(c.share)]),
  );
  printTable(
    'share of voice',
    ['name', 'count', 'share'],
    voice.entries.map((e) => [e.name, e.count, pct(e.share)]),
  );
  printTable(
    'referral traffic',
    ['domain', 'category', 'visits', 'conversions'],
    referral.domains.map((d) => [d.domain, d.category, d.visits, d.conversions]),
  );
  printTable(
    `CPA by stage (spend ${fixed(cpa.spend)} ${cpa.currency})`,
    ['stage', 'events', 'users', 'cost/event', 'cost/user'],
    cpa.stages.map((s) => [s.stage, s.events, s.users, fixed(s.costPerEvent), fixed(s.costPerUser)]),
  );
  printTable(
    'attribution models',
    ['channel', ...models.models, 'spend'],
    models.rows.map((r) => [
      r.channel,
      ...models.models.map((m) => (r.conversions[m] ?? 0).toFixed(2)),
      fixed(r.spend),
    ]),
  );
}

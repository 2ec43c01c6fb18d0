import Table from 'cli-table3';
import type { z } from 'zod';
import type { ChannelId } from '#domain/channel-ids.ts';
import type { Stage } from '#domain/event-schema.ts';
import {
  adsResponseSchema,
  attributionCompareResponseSchema,
  cartResponseSchema,
  channelShareResponseSchema,
  cpaByStageResponseSchema,
  emailResponseSchema,
  npsResponseSchema,
  referralTrafficResponseSchema,
  shareOfVoiceResponseSchema,
  visitorsResponseSchema,
} from '#http/api-schemas.ts';
import type { ApiClient } from './api-client.ts';

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = (n: number) => counts.format(n);
const money = (n: number | null) => (n === null ? '-' : decimals.format(n));
const pct = (share: number | null, digits = 1) =>
  share === null ? '-' : `${(share * 100).toFixed(digits)}%`;

/**
 * A titled terminal table, one line per row; columns after the first `textColumns` hold numbers
 * and are right-aligned.
 */
export function formatTable(
  title: string,
  head: string[],
  rows: Array<Array<string | number>>,
  textColumns = 1,
): string {
  const table = new Table({
    head,
    colAligns: head.map((_, i) => (i < textColumns ? 'left' : 'right')),
    style: { head: [], border: [], compact: true },
  });
  table.push(...rows);
  return `${title}\n${table.toString()}`;
}

export function printTable(title: string, head: string[], rows: Array<Array<string | number>>): void {
  console.log(formatTable(title, head, rows, head.length));
}

type Stages = z.output<typeof cpaByStageResponseSchema>;

/** The API's answers a report is made of. */
export interface ReportData {
  readonly touches: z.output<typeof channelShareResponseSchema>;
  readonly conversions: z.output<typeof channelShareResponseSchema>;
  /** cpa-by-stage of each channel with touches or conversions: its touches by stage. */
  readonly stagesByChannel: ReadonlyMap<ChannelId, Stages>;
  readonly cpa: Stages;
  readonly ads: z.output<typeof adsResponseSchema>;
  readonly adVoice: z.output<typeof shareOfVoiceResponseSchema>;
  readonly searchVoice: z.output<typeof shareOfVoiceResponseSchema>;
  readonly referral: z.output<typeof referralTrafficResponseSchema>;
  readonly email: z.output<typeof emailResponseSchema>;
  readonly models: z.output<typeof attributionCompareResponseSchema>;
  /** Visits (sessions of page views), visitors, bounce rate and pages per visit. */
  readonly visitors: z.output<typeof visitorsResponseSchema>;
  readonly nps: z.output<typeof npsResponseSchema>;
  readonly cart: z.output<typeof cartResponseSchema>;
}

/** Asks the API for everything a report of the range shows, the requests side by side. */
export async function fetchReport(
  api: ApiClient,
  range: { from?: string; to?: string },
): Promise<ReportData> {
  const query = new URLSearchParams(range).toString();
  const get = <S extends z.ZodType>(path: string, schema: S) =>
    api.get(`${path}${path.includes('?') ? '&' : '?'}${query}`, schema);
  const [touches, conversions, cpa, ads, adVoice, searchVoice, referral, email, models, visitors, nps, cart] =
    await Promise.all([
      get('/v1/metrics/channel-share?basis=touches', channelShareResponseSchema),
      get('/v1/metrics/channel-share?basis=conversions', channelShareResponseSchema),
      get('/v1/metrics/cpa-by-stage', cpaByStageResponseSchema),
      get('/v1/metrics/ads?groupBy=platform', adsResponseSchema),
      get('/v1/metrics/share-of-voice?source=ads', shareOfVoiceResponseSchema),
      get('/v1/metrics/share-of-voice?source=search', shareOfVoiceResponseSchema),
      get('/v1/metrics/referral-traffic', referralTrafficResponseSchema),
      get('/v1/metrics/email?groupBy=campaign', emailResponseSchema),
      get('/v1/attribution/compare', attributionCompareResponseSchema),
      get('/v1/metrics/visitors', visitorsResponseSchema),
      get('/v1/metrics/nps', npsResponseSchema),
      get('/v1/metrics/cart', cartResponseSchema),
    ]);
  const channels = [...new Set([...touches.channels, ...conversions.channels].map((c) => c.channel))];
  const stagesByChannel = new Map(
    await Promise.all(
      channels.map(
        async (channel) =>
          [
            channel,
            await get(`/v1/metrics/cpa-by-stage?channel=${channel}`, cpaByStageResponseSchema),
          ] as const,
      ),
    ),
  );
  return {
    touches,
    conversions,
    stagesByChannel,
    cpa,
    ads,
    adVoice,
    searchVoice,
    referral,
    email,
    models,
    visitors,
    nps,
    cart,
  };
}

const eventsIn = (stages: Stages, stage: Stage) => stages.stages.find((s) => s.stage === stage);

/** A duration in whole seconds as `4m 05s` (or `35s`). */
const duration = (seconds: number | null) => {
  if (seconds === null) return '-';
  const whole = Math.round(seconds);
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
};

/**
 * The report as text. Visits and visitors are those of `GET /v1/metrics/visitors` (sessions of
 * page views). Traffic by channel counts consideration-stage touches (page views, ad clicks,
 * e-mail opens and clicks), with impressions and searches in a column of their own: as "touches"
 * they outnumber the others a hundred to one and would rank display first. Every title says what
 * its numbers count.
 */
export function formatReport(data: ReportData): string {
  const { touches, conversions, cpa, ads, models, visitors, nps, cart } = data;
  const currency = cpa.currency;
  const consideration = eventsIn(cpa, 'consideration');
  const awareness = eventsIn(cpa, 'awareness');
  const considerationTouches = consideration?.events ?? 0;
  const conversionsOf = new Map(conversions.channels.map((c) => [c.channel, c.count]));
  const traffic = [...data.stagesByChannel].map(([channel, stages]) => ({
    channel,
    touches: eventsIn(stages, 'consideration')?.events ?? 0,
    people: eventsIn(stages, 'consideration')?.users ?? 0,
    reach: eventsIn(stages, 'awareness')?.events ?? 0,
    conversions: conversionsOf.get(channel) ?? 0,
  }));
  // Most touches first; ties keep the API's order (channel-id order).
  traffic.sort((a, b) => b.touches - a.touches);
  const share = (n: number, total: number) => (total > 0 ? n / total : null);

  const adTotals = ads.rows.reduce(
    (sum, r) => ({
      impressions: sum.impressions + r.impressions,
      clicks: sum.clicks + r.clicks,
      spend: sum.spend + r.spend,
      conversions: sum.conversions + r.conversions,
    }),
    { impressions: 0, clicks: 0, spend: 0, conversions: 0 },
  );
  const voice = (title: string, unit: string, answer: ReportData['adVoice']) =>
    formatTable(
      `share of voice in ${title}: ${count(answer.total)} ${unit} naming a brand`,
      ['brand', unit, 'share'],
      answer.entries.map((e) => [e.isBrand ? `${e.name} (yours)` : e.name, count(e.count), pct(e.share)]),
    );
  const e = data.email.totals;
  const reported = models.selfReported;

  return [
    `report ${touches.from} .. ${touches.to}`,
    `visits (sessions of page views): ${count(visitors.visits)} visits by ${count(visitors.visitors)} visitors (${count(visitors.newVisitors)} new, ${count(visitors.returningVisitors)} returning), ${visitors.pagesPerVisit === null ? '-' : decimals.format(visitors.pagesPerVisit)} pages per visit, bounce rate ${pct(visitors.bounceRate)}, ${duration(visitors.avgVisitSeconds)} average visit`,
    formatTable(
      `traffic by channel: ${count(considerationTouches)} touches by ${count(consideration?.users ?? 0)} people, ${count(conversions.total)} conversions, ${count(awareness?.events ?? 0)} impressions+searches`,
      ['channel', 'touches', 'share', 'people', 'conversions', 'share', 'impressions+searches'],
      traffic.map((t) => [
        t.channel,
        count(t.touches),
        pct(share(t.touches, considerationTouches)),
        count(t.people),
        count(t.conversions),
        pct(share(t.conversions, conversions.total)),
        count(t.reach),
      ]),
    ),
    '  touches are page views (not internal navigation), ad clicks and e-mail opens and clicks; a conversion counts for its last touch',
    `carts: ${count(cart.carts)} people added to a cart, ${count(cart.checkouts)} checked out, ${count(cart.purchases)} bought; cart abandonment ${pct(cart.abandonmentRate)}`,
    formatTable(
      `ads by platform: ${count(adTotals.impressions)} impressions, ${count(adTotals.clicks)} clicks, ${money(adTotals.spend)} ${currency} spend, ${count(adTotals.conversions)} conversions with an ad as last touch`,
      ['platform', 'impressions', 'clicks', 'CTR', 'spend', 'CPC', 'CPM', 'conversions', 'CPA'],
      ads.rows.map((r) => [
        r.key,
        count(r.impressions),
        count(r.clicks),
        pct(r.ctr, 2),
        money(r.spend),
        money(r.cpc),
        money(r.cpm),
        count(r.conversions),
        money(r.cpa),
      ]),
    ),
    voice('ads', 'impressions', data.adVoice),
    voice('search', 'searches', data.searchVoice),
    formatTable(
      `referral traffic: ${count(data.referral.total)} visits from other sites (page views), the top ${data.referral.domains.length}`,
      ['domain', 'category', 'visits', 'conversions'],
      data.referral.domains.map((d) => [d.domain, d.category, count(d.visits), count(d.conversions)]),
      2,
    ),
    formatTable(
      `e-mail by campaign (distinct recipients): ${count(e.delivered)} delivered, ${count(e.opened)} opened (${pct(e.openRate)}), ${count(e.clicked)} clicked (${pct(e.clickRate)})`,
      ['campaign', 'sent', 'delivered', 'opened', 'clicked', 'unsubscribed', 'open rate', 'click rate'],
      data.email.rows.map((r) => [
        r.key,
        count(r.sent),
        count(r.delivered),
        count(r.opened),
        count(r.clicked),
        count(r.unsubscribed),
        pct(r.openRate),
        pct(r.clickRate),
      ]),
    ),
    `NPS: ${nps.score === null ? '-' : nps.score.toFixed(1)} from ${count(nps.responses)} responses (${count(nps.promoters)} promoters, ${count(nps.passives)} passives, ${count(nps.detractors)} detractors)`,
    formatTable(
      `cost per funnel stage: ${money(cpa.spend)} ${currency} spend over the range`,
      ['stage', 'events', 'users', 'per event', 'per user'],
      cpa.stages.map((s) => [
        s.stage,
        count(s.events),
        count(s.users),
        money(s.costPerEvent),
        money(s.costPerUser),
      ]),
    ),
    formatTable(
      `conversions credited to each channel, by model: ${count(models.conversions)} conversions, ${money(models.spend)} ${currency} spend`,
      ['channel', ...models.models, 'spend', 'self-reported'],
      models.rows.map((r) => [
        r.channel,
        ...models.models.map((m) => money(r.conversions[m] ?? 0)),
        money(r.spend),
        count(r.selfReported),
      ]),
    ),
    `self-reported ("how did you hear about us"): ${count(reported.responses)} responses${reported.answers.length > 0 ? ': ' : ''}${reported.answers.map((a) => `${a.answer} ${count(a.responses)} (${pct(a.share)}, ${a.channel ?? 'no channel'})`).join(', ')}`,
  ].join('\n');
}

/** The report of a range on the terminal (CLI `report`, demo). */
export async function printReport(api: ApiClient, range: { from?: string; to?: string }): Promise<void> {
  console.log(formatReport(await fetchReport(api, range)));
}

import { describe, expect, it } from 'vitest';
import { MODELS } from '#domain/attribution/models.ts';
import { formatReport, type ReportData } from '#local/report.ts';

/** The same figure for every model. */
const perModel = <T>(value: T) =>
  Object.fromEntries(MODELS.map((m) => [m, value])) as Record<(typeof MODELS)[number], T>;

const range = { from: '2026-03-01', to: '2026-03-07' };
const stages = (awareness: number, visits: number, visitors: number, spend = 0) => ({
  ...range,
  currency: 'USD',
  spend,
  stages: [
    { stage: 'awareness' as const, events: awareness, users: 0, costPerEvent: null, costPerUser: null },
    {
      stage: 'consideration' as const,
      events: visits,
      users: visitors,
      costPerEvent: null,
      costPerUser: null,
    },
  ],
});
const noEmail = {
  sent: 0,
  delivered: 0,
  bounced: 0,
  opened: 0,
  clicked: 0,
  unsubscribed: 0,
  complained: 0,
  subscribed: 0,
  deliveryRate: null,
  bounceRate: null,
  openRate: null,
  clickRate: null,
  clickToOpenRate: null,
  unsubscribeRate: null,
  complaintRate: null,
  listGrowth: 0,
};
const newsletter = {
  ...noEmail,
  sent: 10,
  delivered: 8,
  opened: 4,
  clicked: 2,
  openRate: 0.5,
  clickRate: 0.25,
};

/**
 * display: 990 impressions and 10 clicks (1,000 touches, 97% of them by touches), 1 conversion;
 * organic_search: 30 page views by 20 visitors, 3 conversions; direct: 1 conversion, no touch.
 * Visits 40 (display 10 = 25%, organic 30 = 75%) by 28 visitors (one visited by both); conversions 5.
 */
const DATA: ReportData = {
  touches: {
    ...range,
    basis: 'touches',
    total: 1030,
    channels: [
      { channel: 'display', count: 1000, share: 1000 / 1030 },
      { channel: 'organic_search', count: 30, share: 30 / 1030 },
    ],
  },
  conversions: {
    ...range,
    basis: 'conversions',
    total: 5,
    channels: [
      { channel: 'organic_search', count: 3, share: 0.6 },
      { channel: 'direct', count: 1, share: 0.2 },
      { channel: 'display', count: 1, share: 0.2 },
    ],
  },
  stagesByChannel: new Map([
    ['display', stages(990, 10, 9)],
    ['organic_search', stages(0, 30, 20)],
    ['direct', stages(0, 0, 0)],
  ]),
  cpa: stages(990, 40, 28, 50),
  // CTR 10 / 990 = 1.01%; CPC 50 / 10 = 5; CPM 1000 × 50 / 990 = 50.505…; CPA 50 / 1.
  ads: {
    ...range,
    currency: 'USD',
    groupBy: 'platform',
    rows: [
      {
        key: 'display',
        impressions: 990,
        clicks: 10,
        ctr: 10 / 990,
        spend: 50,
        cpc: 5,
        cpm: 50_000 / 990,
        conversions: 1,
        cpa: 50,
      },
    ],
  },
  adVoice: {
    ...range,
    source: 'ads',
    total: 990,
    entries: [
      { name: 'Acme', isBrand: true, count: 900, share: 900 / 990 },
      { name: 'Rival', isBrand: false, count: 90, share: 90 / 990 },
    ],
  },
  searchVoice: { ...range, source: 'search', total: 0, entries: [] },
  referral: {
    ...range,
    total: 30,
    domains: [{ domain: 'google.com', category: 'search', visits: 30, share: 1, conversions: 3 }],
    daily: [],
  },
  email: { ...range, groupBy: 'campaign', totals: newsletter, rows: [{ key: 'news', ...newsletter }] },
  models: {
    ...range,
    currency: 'USD',
    models: ['last_touch', 'linear'],
    conversions: 5,
    value: 0,
    spend: 50,
    rows: [
      {
        channel: 'display',
        spend: 50,
        conversions: {
          first_touch: 1,
          last_touch: 1,
          linear: 1.5,
          time_decay: 1,
          position_based: 1,
          markov: 1,
          shapley: 1,
        },
        value: perModel(0),
        cpa: perModel(null),
        roas: perModel(null),
        selfReported: 1,
      },
    ],
    selfReported: {
      responses: 4,
      answers: [
        { answer: 'podcast', channel: 'audio', responses: 3, share: 0.75 },
        { answer: 'a banner', channel: 'display', responses: 1, share: 0.25 },
      ],
    },
  },
  // 30 page views in 20 visits by 16 visitors, 12 of the visits a single page.
  visitors: {
    ...range,
    visitors: 16,
    newVisitors: 11,
    returningVisitors: 5,
    visits: 20,
    pagesPerVisit: 1.5,
    bounceRate: 0.6,
    avgVisitSeconds: 125.4,
  },
  nps: {
    ...range,
    groupBy: 'channel',
    responses: 10,
    promoters: 5,
    passives: 3,
    detractors: 2,
    score: 30,
    rows: [],
  },
  cart: { ...range, carts: 8, checkouts: 5, purchases: 2, abandonmentRate: 0.75 },
};

describe('the report', () => {
  const text = formatReport(DATA);
  const lines = text.split('\n');
  const row = (first: string) => lines.findIndex((line) => line.startsWith(`│ ${first} `));

  it('takes visits and visitors from the visitors metric, not from the touches', () => {
    expect(lines[1]).toBe(
      'visits (sessions of page views): 20 visits by 16 visitors (11 new, 5 returning), 1.50 pages per visit, bounce rate 60.0%, 2m 05s average visit',
    );
    expect(text).not.toMatch(/40 visits/);
  });

  it('ranks channels by touches, with impressions and searches in a column of their own', () => {
    expect(text).toContain(
      'traffic by channel: 40 touches by 28 people, 5 conversions, 990 impressions+searches',
    );
    expect(lines[row('organic_search')]).toMatch(/│\s+30 │\s+75\.0% │\s+20 │\s+3 │\s+60\.0% │\s+0 │$/);
    expect(lines[row('display')]).toMatch(/│\s+10 │\s+25\.0% │\s+9 │\s+1 │\s+20\.0% │\s+990 │$/);
    expect(lines[row('direct')]).toMatch(/│\s+0 │\s+0\.0% │\s+0 │\s+1 │\s+20\.0% │\s+0 │$/);
    // By touches display would come first with 97.1%; by visits organic search does.
    expect(row('organic_search')).toBeLessThan(row('display'));
    expect(row('display')).toBeLessThan(row('direct'));
  });

  it('shows ads by platform and share of voice per source, each total saying what it counts', () => {
    expect(text).toContain(
      'ads by platform: 990 impressions, 10 clicks, 50.00 USD spend, 1 conversions with an ad as last touch',
    );
    expect(text).toMatch(
      /│ display\s+│\s+990 │\s+10 │\s+1\.01% │\s+50\.00 │\s+5\.00 │\s+50\.51 │\s+1 │\s+50\.00 │/,
    );
    expect(text).toContain('share of voice in ads: 990 impressions naming a brand');
    // 900 / 990 = 90.9%, 90 / 990 = 9.1%; the configured brand is marked.
    expect(text).toMatch(/│ Acme \(yours\) │\s+900 │\s+90\.9% │/);
    expect(text).toMatch(/│ Rival\s+│\s+90 │\s+9\.1% │/);
    expect(text).toContain('share of voice in search: 0 searches naming a brand');
  });

  it('labels the totals of referral traffic, e-mail, CPA and the model comparison', () => {
    expect(text).toContain('referral traffic: 30 visits from other sites (page views), the top 1');
    expect(text).toContain(
      'e-mail by campaign (distinct recipients): 8 delivered, 4 opened (50.0%), 2 clicked (25.0%)',
    );
    expect(text).toMatch(/│ news\s+│\s+10 │\s+8 │\s+4 │\s+2 │\s+0 │\s+50\.0% │\s+25\.0% │/);
    expect(text).toContain('cost per funnel stage: 50.00 USD spend over the range');
    expect(text).toContain('conversions credited to each channel, by model: 5 conversions, 50.00 USD spend');
    // Only the models asked for are columns, then the spend and the self-reported answers.
    expect(text).toMatch(/│ display\s+│\s+1\.00 │\s+1\.50 │\s+50\.00 │\s+1 │$/m);
  });

  it('prints cart abandonment, the NPS and the self-reported answers on labelled lines', () => {
    expect(text).toContain(
      'carts: 8 people added to a cart, 5 checked out, 2 bought; cart abandonment 75.0%',
    );
    expect(text).toContain('NPS: 30.0 from 10 responses (5 promoters, 3 passives, 2 detractors)');
    expect(text).toContain(
      'self-reported ("how did you hear about us"): 4 responses: podcast 3 (75.0%, audio), a banner 1 (25.0%, display)',
    );
    // The self-reported line follows the model table.
    const models = lines.findIndex((line) => line.startsWith('conversions credited to each channel'));
    const reported = lines.findIndex((line) => line.startsWith('self-reported'));
    expect(reported).toBeGreaterThan(models);
  });

  it('shows a dash for what has no answers yet', () => {
    const empty = formatReport({
      ...DATA,
      visitors: { ...DATA.visitors, visits: 0, pagesPerVisit: null, bounceRate: null, avgVisitSeconds: null },
      nps: { ...DATA.nps, responses: 0, promoters: 0, passives: 0, detractors: 0, score: null },
      cart: { ...DATA.cart, carts: 0, checkouts: 0, purchases: 0, abandonmentRate: null },
      models: { ...DATA.models, selfReported: { responses: 0, answers: [] } },
    });
    expect(empty).toContain(
      '0 visits by 16 visitors (11 new, 5 returning), - pages per visit, bounce rate -, - average visit',
    );
    expect(empty).toContain('NPS: - from 0 responses');
    expect(empty).toContain('cart abandonment -');
    expect(empty.split('\n').at(-1)).toBe('self-reported ("how did you hear about us"): 0 responses');
  });

  it('puts one line per row, with no rule between rows', () => {
    // The traffic table: title, top rule, head, rule under the head, 3 rows, bottom rule.
    const title = lines.findIndex((line) => line.startsWith('traffic by channel'));
    expect(lines.slice(title + 1, title + 8).map((line) => line[0])).toEqual([
      '┌',
      '│',
      '├',
      '│',
      '│',
      '│',
      '└',
    ]);
  });
});

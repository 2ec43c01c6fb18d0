import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner, createJobsHandler } from '#functions/jobs/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import {
  adsResponseSchema,
  attributionCompareResponseSchema,
  cartResponseSchema,
  cohortsResponseSchema,
  emailResponseSchema,
  funnelResponseSchema,
  journeySummaryResponseSchema,
  npsResponseSchema,
  pathsResponseSchema,
  seriesResponseSchema,
  visitorsResponseSchema,
} from '#http/api-schemas.ts';
import {
  apiEvent,
  bodyOf,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

let stack: TestStack;
let query: ReturnType<typeof createQueryHandler>;
const RANGE = { from: '2026-05-04', to: '2026-05-06' };

const get = (path: string, params: Record<string, string>) =>
  query(apiEvent({ path, query: { ...RANGE, ...params }, key: QUERY_KEY }), testContext('query'));

const mail = (n: number, action: string, to: string, day: string, campaign = 'may-news') => ({
  eventId: `journey-mail-${n}`,
  type: 'email',
  action,
  campaign,
  email: `${to}@example.com`,
  occurredAt: `${day}T09:00:0${n % 10}Z`,
});

describe('the e-mail and ads endpoints, over HTTP handlers and a real compute', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    query = createQueryHandler(stack.pipeline);
    const events = [
      // may-news: sent to ann, bo, cy; delivered to ann, bo; ann opens on May 4 and 5; bo subscribes.
      mail(1, 'sent', 'ann', '2026-05-04'),
      mail(2, 'sent', 'bo', '2026-05-04'),
      mail(3, 'sent', 'cy', '2026-05-04'),
      mail(4, 'delivered', 'ann', '2026-05-04'),
      mail(5, 'delivered', 'bo', '2026-05-04'),
      mail(6, 'bounce', 'cy', '2026-05-04'),
      mail(7, 'open', 'ann', '2026-05-04'),
      mail(8, 'open', 'ann', '2026-05-05'),
      mail(9, 'subscribe', 'bo', '2026-05-05', 'list'),
      {
        eventId: 'journey-ad-1',
        type: 'ad_impression',
        platform: 'google_ads',
        campaign: 'may-shoes',
        creative: 'red',
        count: 2000,
        cost: { amount: 5, currency: 'USD' },
        occurredAt: '2026-05-05T10:00:00Z',
      },
      {
        eventId: 'journey-ad-2',
        type: 'ad_click',
        platform: 'google_ads',
        campaign: 'may-shoes',
        creative: 'red',
        userId: 'dee',
        occurredAt: '2026-05-05T10:05:00Z',
      },
      // NPS: dee answers 6 then 9 (latest wins: a promoter, first touch the ad click → paid_search);
      // fay answers 4 (a detractor without any touch → direct).
      {
        eventId: 'journey-nps-1',
        type: 'survey',
        survey: 'nps',
        score: 6,
        userId: 'dee',
        occurredAt: '2026-05-05T11:00:00Z',
      },
      {
        eventId: 'journey-nps-2',
        type: 'survey',
        survey: 'nps',
        score: 9,
        userId: 'dee',
        occurredAt: '2026-05-06T11:00:00Z',
      },
      {
        eventId: 'journey-nps-3',
        type: 'survey',
        survey: 'nps',
        score: 4,
        userId: 'fay',
        occurredAt: '2026-05-06T12:00:00Z',
      },
      // Visits: gus views two pages 30 s apart in one session; hal one page (a bounce).
      {
        eventId: 'journey-pv-1',
        type: 'page_view',
        url: 'https://acme.example/',
        userId: 'gus',
        sessionId: 's-gus',
        occurredAt: '2026-05-04T08:00:00Z',
      },
      {
        eventId: 'journey-pv-2',
        type: 'page_view',
        url: 'https://acme.example/a',
        userId: 'gus',
        sessionId: 's-gus',
        occurredAt: '2026-05-04T08:00:30Z',
      },
      {
        eventId: 'journey-pv-3',
        type: 'page_view',
        url: 'https://acme.example/',
        userId: 'hal',
        occurredAt: '2026-05-06T08:00:00Z',
      },
      // "How did you hear about us": dee says paid search (a channel id), gus "A friend " (none).
      {
        eventId: 'journey-src-1',
        type: 'survey',
        survey: 'source',
        answer: 'paid_search',
        userId: 'dee',
        occurredAt: '2026-05-05T11:00:00Z',
      },
      {
        eventId: 'journey-src-2',
        type: 'survey',
        survey: 'source',
        answer: 'A friend ',
        userId: 'gus',
        occurredAt: '2026-05-04T09:00:00Z',
      },
      // Cart: dee adds before buying; eve adds and leaves.
      {
        eventId: 'journey-cart-1',
        type: 'cart',
        action: 'add',
        userId: 'dee',
        occurredAt: '2026-05-05T10:20:00Z',
      },
      {
        eventId: 'journey-cart-2',
        type: 'cart',
        action: 'add',
        anonymousId: 'eve',
        occurredAt: '2026-05-06T10:20:00Z',
      },
      {
        eventId: 'journey-buy-1',
        type: 'conversion',
        name: 'purchase',
        userId: 'dee',
        value: { amount: 40, currency: 'USD' },
        occurredAt: '2026-05-05T10:30:00Z',
      },
    ];
    const ingest = await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events } }),
      testContext(),
    );
    expect(bodyOf(ingest)).toMatchObject({ accepted: events.length, rejected: [] });
    const spend = await createSpendHandler(stack.pipeline)(
      apiEvent({
        path: '/v1/spend',
        body: {
          rows: [
            { date: '2026-05-05', platform: 'google_ads', campaign: 'may-shoes', amount: 8, currency: 'USD' },
          ],
        },
      }),
      testContext(),
    );
    expect(spend.statusCode).toBe(200);
    const runner = createInProcessRunner(stack.pipeline);
    const jobs = createJobsHandler({
      pipeline: stack.pipeline,
      runner: { start: async (job) => runner.start(job).then(() => runner.idle()) },
    });
    const started = await jobs(
      apiEvent({ path: '/v1/jobs/replay', body: RANGE, key: QUERY_KEY }),
      testContext('jobs'),
    );
    expect(started.statusCode).toBe(202);
  });
  afterAll(() => stack.close());

  it('answers the e-mail funnel by campaign and by day, as JSON and CSV', async () => {
    const byCampaign = emailResponseSchema.parse(bodyOf(await get('/v1/metrics/email', {})));
    // may-news: 3 sent, 2 delivered, 1 bounced, 1 opened (ann twice) → delivery 2/3, open 1/2.
    expect(byCampaign.rows.find((r) => r.key === 'may-news')).toMatchObject({
      sent: 3,
      delivered: 2,
      bounced: 1,
      opened: 1,
      deliveryRate: 0.666666666667,
      openRate: 0.5,
      clickToOpenRate: 0,
    });
    // "list" only has bo's subscribe: no sends, so its rates are null; list growth 1 − 0 − 0.
    expect(byCampaign.rows.find((r) => r.key === 'list')).toMatchObject({
      subscribed: 1,
      deliveryRate: null,
      listGrowth: 1,
    });
    expect(byCampaign.totals).toMatchObject({ sent: 3, opened: 1, subscribed: 1, listGrowth: 1 });
    const byDay = emailResponseSchema.parse(bodyOf(await get('/v1/metrics/email', { groupBy: 'day' })));
    // ann opened on both days: one opener each day.
    expect(byDay.rows.map((r) => [r.key, r.sent, r.opened, r.subscribed])).toEqual([
      ['2026-05-04', 3, 1, 0],
      ['2026-05-05', 0, 1, 1],
    ]);
    const csv = await get('/v1/metrics/email', { format: 'csv' });
    expect(csv.headers?.['content-type']).toMatch(/text\/csv/);
    const [header, ...lines] = String(csv.body).trim().split(/\r?\n/);
    expect(header).toBe(
      'campaign,sent,delivered,bounced,opened,clicked,unsubscribed,complained,subscribed,delivery_rate,bounce_rate,open_rate,click_rate,click_to_open_rate,unsubscribe_rate,complaint_rate,list_growth',
    );
    expect(lines).toHaveLength(2);
  });

  it('answers ads rates with the spend row over the event cost, and conversions by last touch', async () => {
    const ads = adsResponseSchema.parse(bodyOf(await get('/v1/metrics/ads', { groupBy: 'campaign' })));
    // may-shoes: 2,000 impressions, 1 click, spend 8 (the spend row, not the event's 5):
    // ctr 1/2000, cpc 8, cpm 1000 × 8 / 2000 = 4; dee's purchase follows the click → cpa 8.
    expect(ads.rows).toEqual([
      {
        key: 'may-shoes',
        impressions: 2000,
        clicks: 1,
        ctr: 0.0005,
        spend: 8,
        cpc: 8,
        cpm: 4,
        conversions: 1,
        cpa: 8,
      },
    ]);
    const creative = adsResponseSchema.parse(bodyOf(await get('/v1/metrics/ads', { groupBy: 'creative' })));
    expect(creative.rows.map((r) => [r.key, r.spend, r.cpm])).toEqual([['red', 5, 2.5]]);
  });

  it("answers NPS with each person's latest answer, by the channel of their first touch", async () => {
    const nps = npsResponseSchema.parse(bodyOf(await get('/v1/metrics/nps', {})));
    // dee 9 (promoter), fay 4 (detractor): 100 × (1 − 1) / 2 = 0.
    expect(nps).toMatchObject({ responses: 2, promoters: 1, passives: 0, detractors: 1, score: 0 });
    expect(nps.rows.map((r) => [r.key, r.responses, r.score])).toEqual([
      ['direct', 1, -100],
      ['paid_search', 1, 100],
    ]);
  });

  it('answers cart abandonment: two carts, one bought after its add', async () => {
    const cart = cartResponseSchema.parse(bodyOf(await get('/v1/metrics/cart', {})));
    expect(cart).toEqual({ ...RANGE, carts: 2, checkouts: 0, purchases: 1, abandonmentRate: 0.5 });
  });

  it('answers visitors: two new visitors, two visits, one bounce, 15 s on average', async () => {
    const visitors = visitorsResponseSchema.parse(bodyOf(await get('/v1/metrics/visitors', {})));
    // gus: 1 visit of 2 pages over 30 s; hal: 1 visit of 1 page → 3 pages / 2 visits = 1.5,
    // bounce 1 / 2, (30 + 0) / 2 = 15 s.
    expect(visitors).toEqual({
      ...RANGE,
      visitors: 2,
      newVisitors: 2,
      returningVisitors: 0,
      visits: 2,
      pagesPerVisit: 1.5,
      bounceRate: 0.5,
      avgVisitSeconds: 15,
    });
  });

  it('answers the funnel in funnel order, and on one channel', async () => {
    const all = funnelResponseSchema.parse(bodyOf(await get('/v1/metrics/funnel', {})));
    expect(all.stages.map((s) => s.stage)).toEqual([
      'awareness',
      'consideration',
      'decision',
      'retention',
      'advocacy',
    ]);
    // Considering: ann (opens), gus, hal (page views), dee (the ad click) = 4; deciding: dee, who
    // clicked 25 minutes before buying → 1 of 4, 0 whole days.
    expect(all.stages[1]).toMatchObject({ users: 4 });
    expect(all.stages[2]).toMatchObject({ users: 1, fromPrevious: 0.25, medianDaysFromPrevious: 0 });
    const paid = funnelResponseSchema.parse(
      bodyOf(await get('/v1/metrics/funnel', { channel: 'paid_search' })),
    );
    expect(paid.stages.slice(1, 3).map((s) => s.users)).toEqual([1, 1]);
  });

  it('shows self-reported sources beside the models, with CPA and ROAS per model', async () => {
    const compare = attributionCompareResponseSchema.parse(bodyOf(await get('/v1/attribution/compare', {})));
    // Two answers: "paid_search" stands for its channel; "a friend" (trimmed, lower-cased) for none.
    expect(compare.selfReported).toEqual({
      responses: 2,
      answers: [
        { answer: 'a friend', channel: null, responses: 1, share: 0.5 },
        { answer: 'paid_search', channel: 'paid_search', responses: 1, share: 0.5 },
      ],
    });
    const paid = compare.rows.find((r) => r.channel === 'paid_search');
    // dee's 40 USD purchase followed the paid-search click, and 8 USD was spent on it:
    // last touch credits 1 conversion and 40 → CPA 8 / 1 = 8, ROAS 40 / 8 = 5.
    expect(paid).toMatchObject({ spend: 8, selfReported: 1 });
    expect([
      paid?.conversions.last_touch,
      paid?.value.last_touch,
      paid?.cpa.last_touch,
      paid?.roas.last_touch,
    ]).toEqual([1, 40, 8, 5]);
    // The CSV carries the same figures: each model's conversions, then its value, CPA and ROAS.
    const [header, ...lines] = String((await get('/v1/attribution/compare', { format: 'csv' })).body)
      .trim()
      .split(/\r?\n/);
    const columns = header?.split(',') ?? [];
    const row = lines.map((line) => line.split(',')).find((cells) => cells[0] === 'paid_search') ?? [];
    const cell = (name: string) => row[columns.indexOf(name)];
    expect(columns.slice(0, 2)).toEqual(['channel', 'spend']);
    expect([
      cell('spend'),
      cell('self_reported'),
      cell('last_touch'),
      cell('last_touch_value'),
      cell('last_touch_cpa'),
      cell('last_touch_roas'),
    ]).toEqual(['8', '1', '1', '40', '8', '5']);
  });

  it('answers the converting paths and the journey summary, as JSON and CSV', async () => {
    // The one conversion is dee's 40 USD purchase (May 5 10:30); her only touch before it is the
    // paid-search ad click at 10:05 (carts and surveys are no touches): one path, 1 touch, 0 days.
    const paths = pathsResponseSchema.parse(bodyOf(await get('/v1/journeys/paths', { converting: 'true' })));
    expect(paths.paths).toEqual([{ path: ['paid_search'], journeys: 1, conversions: 1, value: 40 }]);
    const csv = String((await get('/v1/journeys/paths', { converting: 'true', format: 'csv' })).body);
    expect(csv.trim().split(/\r?\n/)).toEqual(['path,journeys,conversions,value', 'paid_search,1,1,40']);
    const summary = journeySummaryResponseSchema.parse(bodyOf(await get('/v1/journeys/summary', {})));
    expect(summary).toMatchObject({
      conversions: 1,
      touchesToConvert: [{ touches: 1, conversions: 1 }],
      daysToConvert: [{ days: 0, conversions: 1 }],
      assisted: [{ channel: 'paid_search', assisted: 0, lastTouch: 1 }],
    });
  });

  it('answers a metric per day, week or month in one request', async () => {
    const weekly = seriesResponseSchema.parse(
      bodyOf(await get('/v1/metrics/series', { metric: 'visitors', interval: 'week' })),
    );
    // 2026-05-04 is a Monday: May 4–6 is one week, and gus (May 4) and hal (May 6) visit in it.
    expect(weekly.points).toEqual([
      { from: '2026-05-04', to: '2026-05-06', value: expect.objectContaining({ visitors: 2, visits: 2 }) },
    ]);
    const daily = seriesResponseSchema.parse(
      bodyOf(await get('/v1/metrics/series', { metric: 'email', interval: 'day' })),
    );
    // may-news: 3 sent on May 4; bo's subscribe on May 5; nothing on May 6.
    expect(
      daily.points.map((p) => [
        p.from,
        (p.value as { sent: number; subscribed: number }).sent,
        (p.value as { subscribed: number }).subscribed,
      ]),
    ).toEqual([
      ['2026-05-04', 3, 0],
      ['2026-05-05', 0, 1],
      ['2026-05-06', 0, 0],
    ]);
    const csv = await get('/v1/metrics/series', {
      metric: 'channel-share',
      interval: 'month',
      format: 'csv',
    });
    expect(String(csv.body).split(/\r?\n/)[0]).toBe('from,to,key,value');
  });

  it('answers cohorts by month: dee, acquired by paid search in May', async () => {
    const result = cohortsResponseSchema.parse(bodyOf(await get('/v1/metrics/cohorts', {})));
    // dee's 40 USD purchase is the range's only conversion.
    expect(result.cohorts).toEqual([
      {
        cohort: '2026-05',
        channel: 'paid_search',
        users: 1,
        revenue: 40,
        revenuePerUser: 40,
        retention: [0],
      },
    ]);
  });

  it.each([
    ['/v1/metrics/cohorts', { period: 'quarter' }],
    ['/v1/metrics/series', { metric: 'cohorts' }],
    ['/v1/metrics/funnel', { channel: 'tv' }],
    ['/v1/metrics/ads', { groupBy: 'adset' }],
    ['/v1/metrics/email', { groupBy: 'week' }],
    ['/v1/metrics/nps', { groupBy: 'campaign' }],
  ])('answers 400 naming the parameter for %s with an unknown value', async (path, params) => {
    const result = await get(path, params);
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: { issues: Array<{ path: string }> } }>(result).error.issues[0]?.path).toBe(
      Object.keys(params)[0],
    );
  });
});

import { describe, expect, it } from 'vitest';
import { attribute } from '#domain/attribution/index.ts';
import { MODELS } from '#domain/attribution/models.ts';
import { CHANNEL_IDS, type ChannelId } from '#domain/channel-ids.ts';
import { addAdSpend, adsRates } from '#domain/journey/ads.ts';
import { cartAbandonment } from '#domain/journey/cart.ts';
import { cohorts } from '#domain/journey/cohorts.ts';
import { emailFunnel, withEmailDay } from '#domain/journey/email-funnel.ts';
import { funnel } from '#domain/journey/funnel.ts';
import { netPromoterScore } from '#domain/journey/nps.ts';
import { journeyPaths, journeySummary } from '#domain/journey/paths.ts';
import { visitorsSummary } from '#domain/journey/visitors.ts';
import { channelShare } from '#domain/metrics/index.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { computeLakeRows, type EngineProps } from '../../support/engine.ts';
import { conversion, event, touch } from '../../unit/domain/metrics/events.ts';

const UTC: EngineProps = { from: '2026-03-01', to: '2026-03-31', timeZone: 'UTC', lookbackDays: 30 };
const UTC_RANGE = { from: UTC.from, to: UTC.to };

const email = (
  id: string,
  user: string,
  at: string,
  action: NormalisedEvent['emailAction'],
  campaign: string,
) =>
  event(id, at, {
    type: 'email',
    userKey: user,
    emailAction: action,
    campaign,
    channel: 'email',
    touch: action === 'open' || action === 'click',
    stage: action === 'open' || action === 'click' ? 'consideration' : undefined,
  });

const ad = (
  id: string,
  type: 'ad_impression' | 'ad_click',
  at: string,
  fields: Partial<NormalisedEvent> & { platform: string; campaign: string },
) =>
  event(id, at, {
    type,
    channel: 'paid_search',
    stage: type === 'ad_impression' ? 'awareness' : 'consideration',
    ...fields,
  });

describe('the journey SQL over lake rows: e-mail funnel', () => {
  it('counts distinct recipients per campaign and action, and works out the rates', async () => {
    // Campaign "spring": sent to a, b, c, d (4); delivered to a, b, c (3; d bounced);
    // a opens three times (one recipient), b opens once → opened 2; a clicks → clicked 1;
    // c unsubscribes → 1. Campaign "news": sent to a (1), delivered to a, a complains; e subscribes.
    const rows = [
      ...['a', 'b', 'c', 'd'].map((u, i) =>
        email(`s${i}`, `u:${u}`, '2026-03-02T08:00:00Z', 'sent', 'spring'),
      ),
      ...['a', 'b', 'c'].map((u, i) =>
        email(`d${i}`, `u:${u}`, '2026-03-02T08:01:00Z', 'delivered', 'spring'),
      ),
      email('b0', 'u:d', '2026-03-02T08:01:00Z', 'bounce', 'spring'),
      email('o1', 'u:a', '2026-03-02T09:00:00Z', 'open', 'spring'),
      email('o2', 'u:a', '2026-03-02T10:00:00Z', 'open', 'spring'),
      email('o3', 'u:a', '2026-03-03T09:00:00Z', 'open', 'spring'),
      email('o4', 'u:b', '2026-03-03T09:00:00Z', 'open', 'spring'),
      email('k1', 'u:a', '2026-03-03T09:05:00Z', 'click', 'spring'),
      email('x1', 'u:c', '2026-03-04T09:00:00Z', 'unsubscribe', 'spring'),
      email('s9', 'u:a', '2026-03-05T08:00:00Z', 'sent', 'news'),
      email('d9', 'u:a', '2026-03-05T08:01:00Z', 'delivered', 'news'),
      email('c9', 'u:a', '2026-03-05T12:00:00Z', 'complaint', 'news'),
      email('j9', 'u:e', '2026-03-05T12:00:00Z', 'subscribe', 'news'),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    const byCampaign = emailFunnel(journey, { from: UTC.from, to: UTC.to, groupBy: 'campaign' });
    expect(byCampaign.rows.find((r) => r.key === 'spring')).toEqual({
      key: 'spring',
      sent: 4,
      delivered: 3,
      bounced: 1,
      opened: 2,
      clicked: 1,
      unsubscribed: 1,
      complained: 0,
      subscribed: 0,
      deliveryRate: 0.75, // 3 / 4
      bounceRate: 0.25, // 1 / 4
      openRate: 0.666666666667, // 2 / 3
      clickRate: 0.333333333333, // 1 / 3
      clickToOpenRate: 0.5, // 1 / 2
      unsubscribeRate: 0.333333333333, // 1 / 3
      complaintRate: 0, // 0 / 3
      listGrowth: -1, // 0 − 1 − 0
    });
    // Totals add the campaigns: sent 4 + 1, delivered 3 + 1, opened 2 + 0, complained 0 + 1,
    // subscribed 0 + 1 → list growth 1 − 1 − 1 = −1.
    expect(byCampaign.totals).toMatchObject({
      sent: 5,
      delivered: 4,
      opened: 2,
      complained: 1,
      subscribed: 1,
      openRate: 0.5, // 2 / 4
      complaintRate: 0.25, // 1 / 4
      listGrowth: -1,
    });
    // By day: a opened on Mar 2 and again on Mar 3 with b, so the days hold 1 and 2 openers
    // (3 in all) while the range holds 2 distinct openers.
    // Day rows are the counts each day is stored with.
    const stored = {
      days: Object.fromEntries(Object.entries(journey.days).map(([d, day]) => [d, withEmailDay(day, d)])),
    };
    const byDay = emailFunnel(stored, { from: UTC.from, to: UTC.to, groupBy: 'day' });
    expect(byDay.rows.map((r) => [r.key, r.sent, r.opened, r.clicked])).toEqual([
      ['2026-03-02', 4, 1, 0],
      ['2026-03-03', 0, 2, 1],
      ['2026-03-04', 0, 0, 0],
      ['2026-03-05', 1, 0, 0],
    ]);
    expect(byDay.rows[1]?.openRate).toBeNull(); // nothing delivered on Mar 3
    expect(byDay.totals).toEqual(byCampaign.totals);
  });
});

describe('the journey SQL over lake rows: ads rates', () => {
  it('weights impressions and clicks by count, credits last-touch conversions and takes spend rows over event cost', async () => {
    // google_ads "shoes": 1,000 impressions in one aggregated row (no user) costing 4 USD on the
    // event, creative "red"; ana clicks (creative "red", 0.50 USD on the event) and buys on Mar 3.
    // meta "socks": 500 impressions (creative "blue"), 10 aggregated clicks, 3 USD on the events.
    const rows = [
      ad('i1', 'ad_impression', '2026-03-02T08:00:00Z', {
        platform: 'google_ads',
        campaign: 'shoes',
        creative: 'red',
        count: 1000,
        costMicros: 4_000_000,
      }),
      ad('k1', 'ad_click', '2026-03-02T09:00:00Z', {
        platform: 'google_ads',
        campaign: 'shoes',
        creative: 'red',
        userKey: 'u:ana',
        costMicros: 500_000,
      }),
      ad('i2', 'ad_impression', '2026-03-02T08:00:00Z', {
        platform: 'meta',
        campaign: 'socks',
        creative: 'blue',
        count: 500,
        costMicros: 2_000_000,
        channel: 'paid_social',
      }),
      ad('k2', 'ad_click', '2026-03-02T08:30:00Z', {
        platform: 'meta',
        campaign: 'socks',
        creative: 'blue',
        count: 10,
        costMicros: 1_000_000,
        channel: 'paid_social',
      }),
      // A page view after the click is ana's last touch for c1: the ad gets no conversion for it.
      conversion('c1', 'u:ana', '2026-03-02T09:30:00Z'),
      touch('p1', 'u:ana', '2026-03-03T09:00:00Z', 'direct'),
      conversion('c2', 'u:ana', '2026-03-03T10:00:00Z'),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    // A spend row for google_ads "shoes" on Mar 2 (6 USD) replaces the events' 4.50 USD for the
    // platform and the campaign; meta has no spend row, so its events' 3 USD stand.
    const spend = [
      {
        date: '2026-03-02',
        channel: 'paid_search' as const,
        platform: 'google_ads',
        campaign: 'shoes',
        costMicros: 6_000_000,
        currency: 'USD',
      },
    ];
    const withSpend = addAdSpend(journey, spend, UTC);
    const props = { from: UTC.from, to: UTC.to, currency: 'USD' };
    // google_ads: 1,000 impressions, 1 click, spend 6 → ctr 1/1000, cpc 6, cpm 6, and c1's last
    // touch is the click → 1 conversion, cpa 6. meta: 500, 10, spend 3 → ctr 0.02, cpc 0.3, cpm 6.
    expect(adsRates(withSpend, { ...props, groupBy: 'platform' }).rows).toEqual([
      {
        key: 'google_ads',
        impressions: 1000,
        clicks: 1,
        ctr: 0.001,
        spend: 6,
        cpc: 6,
        cpm: 6,
        conversions: 1,
        cpa: 6,
      },
      {
        key: 'meta',
        impressions: 500,
        clicks: 10,
        ctr: 0.02,
        spend: 3,
        cpc: 0.3,
        cpm: 6,
        conversions: 0,
        cpa: null,
      },
    ]);
    // Creatives have no spend rows: "red" costs 4 + 0.5 = 4.5 on its events.
    expect(adsRates(withSpend, { ...props, groupBy: 'creative' }).rows).toEqual([
      {
        key: 'red',
        impressions: 1000,
        clicks: 1,
        ctr: 0.001,
        spend: 4.5,
        cpc: 4.5,
        cpm: 4.5,
        conversions: 1,
        cpa: 4.5,
      },
      {
        key: 'blue',
        impressions: 500,
        clicks: 10,
        ctr: 0.02,
        spend: 3,
        cpc: 0.3,
        cpm: 6,
        conversions: 0,
        cpa: null,
      },
    ]);
    expect(adsRates(withSpend, { ...props, groupBy: 'campaign' }).rows.map((r) => [r.key, r.spend])).toEqual([
      ['shoes', 6],
      ['socks', 3],
    ]);
  });

  it('counts a campaign named __proto__ like any other (it is a data key, not the prototype)', async () => {
    const rows = [
      ad('p1', 'ad_impression', '2026-03-02T08:00:00Z', {
        platform: 'meta',
        campaign: '__proto__',
        count: 7,
      }),
      ad('p2', 'ad_impression', '2026-03-03T08:00:00Z', {
        platform: 'meta',
        campaign: '__proto__',
        count: 3,
      }),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    // 7 + 3 impressions over the two days.
    const campaigns = adsRates(journey, { ...UTC_RANGE, currency: 'USD', groupBy: 'campaign' }).rows;
    expect(campaigns.map((r) => [r.key, r.impressions])).toEqual([['__proto__', 10]]);
  });

  it('lists a campaign that has spend rows but no ad events, with null rates', async () => {
    const { journey } = await computeLakeRows([], UTC);
    const spend = [
      {
        date: '2026-03-10',
        channel: 'display' as const,
        platform: 'dv360',
        campaign: 'brand',
        costMicros: 2_500_000,
        currency: 'USD',
      },
    ];
    const rows = adsRates(addAdSpend(journey, spend, UTC), {
      ...UTC,
      currency: 'USD',
      groupBy: 'campaign',
    }).rows;
    expect(rows).toEqual([
      {
        key: 'brand',
        impressions: 0,
        clicks: 0,
        ctr: null,
        spend: 2.5,
        cpc: null,
        cpm: null,
        conversions: 0,
        cpa: null,
      },
    ]);
  });
});

const survey = (id: string, user: string, at: string, score: number) =>
  event(id, at, { type: 'survey', userKey: user, survey: 'nps', score, touch: false, stage: undefined });
const cart = (id: string, user: string, at: string, action: 'add' | 'remove' | 'checkout') =>
  event(id, at, { type: 'cart', userKey: user, cartAction: action, touch: false, stage: undefined });

describe('the journey SQL over lake rows: NPS', () => {
  it("keeps each person's latest answer in the range, by the channel of their first touch", async () => {
    // ann: paid search (Mar 1) then e-mail (Mar 2); answers 3 on Mar 2, then 10 on Mar 9 → latest 10,
    // first touch in the 30 days before it: paid_search. bo: no touch; answers 7 → direct.
    // cy: e-mail touch; answers 5 and, later the same day, 6 → 6 (the day's latest). Over Mar 1–31:
    // promoters 1 (ann), passives 1 (bo), detractors 1 (cy) → score 100 × (1 − 1) / 3 = 0.
    const rows = [
      touch('t1', 'u:ann', '2026-03-01T10:00:00Z', 'paid_search'),
      touch('t2', 'u:ann', '2026-03-02T10:00:00Z', 'email'),
      survey('n1', 'u:ann', '2026-03-02T11:00:00Z', 3),
      survey('n2', 'u:ann', '2026-03-09T11:00:00Z', 10),
      survey('n3', 'u:bo', '2026-03-04T11:00:00Z', 7),
      touch('t3', 'u:cy', '2026-03-05T09:00:00Z', 'email'),
      survey('n4', 'u:cy', '2026-03-05T10:00:00Z', 5),
      survey('n5', 'u:cy', '2026-03-05T12:00:00Z', 6),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    const all = netPromoterScore(journey, UTC);
    expect(all).toMatchObject({ responses: 3, promoters: 1, passives: 1, detractors: 1, score: 0 });
    expect(all.rows).toEqual([
      { key: 'direct', responses: 1, promoters: 0, passives: 1, detractors: 0, score: 0 },
      { key: 'paid_search', responses: 1, promoters: 1, passives: 0, detractors: 0, score: 100 },
      { key: 'email', responses: 1, promoters: 0, passives: 0, detractors: 1, score: -100 },
    ]);
    // Mar 1–5 holds ann's 3 (first touch paid_search), bo's 7 and cy's 6: 0 promoters, 1 passive,
    // 2 detractors → 100 × (0 − 2) / 3 = −66.7.
    expect(netPromoterScore(journey, { from: '2026-03-01', to: '2026-03-05' })).toMatchObject({
      responses: 3,
      detractors: 2,
      score: -66.7,
    });
    expect(netPromoterScore(journey, { from: '2026-03-20', to: '2026-03-21' }).score).toBeNull();
  });
});

describe('the journey SQL over lake rows: cart abandonment', () => {
  it('counts carts, checkouts and the adders who bought at or after their add', async () => {
    // ann adds (Mar 2), checks out and buys (Mar 2); bo adds (Mar 3) and never buys; cy buys on
    // Mar 4 without any add (not a cart); dee adds on Mar 5 and buys on Mar 8.
    // carts 3 (ann, bo, dee), checkouts 1, purchases 2 (ann, dee) → abandonment 1 − 2/3.
    const rows = [
      cart('a1', 'u:ann', '2026-03-02T10:00:00Z', 'add'),
      cart('a2', 'u:ann', '2026-03-02T10:05:00Z', 'checkout'),
      conversion('p1', 'u:ann', '2026-03-02T10:10:00Z'),
      cart('b1', 'u:bo', '2026-03-03T10:00:00Z', 'add'),
      cart('b2', 'u:bo', '2026-03-03T10:01:00Z', 'remove'),
      conversion('p2', 'u:cy', '2026-03-04T10:00:00Z'),
      cart('d1', 'u:dee', '2026-03-05T10:00:00Z', 'add'),
      conversion('p3', 'u:dee', '2026-03-08T10:00:00Z'),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    expect(cartAbandonment(journey, UTC)).toEqual({
      ...UTC_RANGE,
      carts: 3,
      checkouts: 1,
      purchases: 2,
      abandonmentRate: 0.333333333333,
    });
    // Mar 6–31: no adds in the range, so dee's purchase on Mar 8 saves no cart of it: carts 0.
    expect(cartAbandonment(journey, { from: '2026-03-06', to: '2026-03-31' })).toMatchObject({
      carts: 0,
      purchases: 0,
      abandonmentRate: null,
    });
  });
});

describe('the journey SQL over lake rows: visitors', () => {
  it('counts new and returning visitors, visits, pages per visit, bounces and time on site', async () => {
    const view = (id: string, user: string, at: string, visitId: string) =>
      touch(id, user, at, 'direct', { visitId });
    const rows = [
      // ann: visit v1 on Mar 2 (3 pages over 300 s), v2 on Mar 3 (1 page).
      view('a1', 'u:ann', '2026-03-02T10:00:00Z', 'v1'),
      view('a2', 'u:ann', '2026-03-02T10:02:00Z', 'v1'),
      view('a3', 'u:ann', '2026-03-02T10:05:00Z', 'v1'),
      view('a4', 'u:ann', '2026-03-03T09:00:00Z', 'v2'),
      // bo: a visit on Feb 20 (inside the 30-day lookback of Mar 3), then v3 on Mar 3 (2 pages, 60 s).
      view('b0', 'u:bo', '2026-02-20T12:00:00Z', 'v0'),
      view('b1', 'u:bo', '2026-03-03T12:00:00Z', 'v3'),
      view('b2', 'u:bo', '2026-03-03T12:01:00Z', 'v3'),
      // cy: one page on Mar 4.
      view('c1', 'u:cy', '2026-03-04T08:00:00Z', 'v4'),
      // dee came in November, long before the lookback, and again on Mar 5; eve came in December
      // on a phone later linked to her, and on Mar 6: both return, though not within the lookback.
      view('d0', 'u:dee', '2025-11-10T08:00:00Z', 'v-1'),
      view('d1', 'u:dee', '2026-03-05T08:00:00Z', 'v5'),
      view('e0', 'a:eve-phone', '2025-12-01T08:00:00Z', 'v-2'),
      view('e1', 'u:eve', '2026-03-06T08:00:00Z', 'v6'),
    ];
    const links = [
      { fromKey: 'a:eve-phone', toKey: 'u:eve', ts: Date.parse('2026-03-06T07:00:00Z'), eventId: 'e-1' },
    ];
    const { journey } = await computeLakeRows(rows, { ...UTC, links });
    // Mar 1–31: visitors ann, bo, cy, dee, eve = 5; new ann and cy (bo, dee and eve came before);
    // visits v1–v6 = 6, pages 3 + 1 + 2 + 1 + 1 + 1 = 9 → 1.5 a visit; bounces v2, v4, v5, v6 →
    // 4 / 6; (300 + 0 + 60 + 0 + 0 + 0) s / 6 = 60 s.
    expect(visitorsSummary(journey, UTC)).toEqual({
      ...UTC_RANGE,
      visitors: 5,
      newVisitors: 2,
      returningVisitors: 3,
      visits: 6,
      pagesPerVisit: 1.5,
      bounceRate: 0.666666666667,
      avgVisitSeconds: 60,
    });
    // Mar 3 alone: ann (seen Mar 2) and bo (seen Feb 20) both return; visits v2, v3 with 3 pages,
    // one bounce, 60 s / 2 = 30 s.
    expect(visitorsSummary(journey, { from: '2026-03-03', to: '2026-03-03' })).toMatchObject({
      visitors: 2,
      newVisitors: 0,
      returningVisitors: 2,
      visits: 2,
      pagesPerVisit: 1.5,
      bounceRate: 0.5,
      avgVisitSeconds: 30,
    });
  });
});

describe('the journey SQL over lake rows: funnel', () => {
  it('gives people per stage, the step conversion and the median days from the previous stage', async () => {
    const seen = (id: string, user: string, at: string) =>
      touch(id, user, at, 'display', {
        type: 'ad_impression',
        stage: 'awareness',
        platform: 'dv360',
        campaign: 'c',
      });
    const rows = [
      // ann: awareness Mar 1, consideration Mar 3 (2 days on), a purchase Mar 5 (2 days after Mar 3).
      seen('a1', 'u:ann', '2026-03-01T10:00:00Z'),
      touch('a2', 'u:ann', '2026-03-03T10:00:00Z', 'direct'),
      conversion('a3', 'u:ann', '2026-03-05T10:00:00Z'),
      // bo: awareness and consideration on Mar 2, two hours apart (0 whole days).
      seen('b1', 'u:bo', '2026-03-02T10:00:00Z'),
      touch('b2', 'u:bo', '2026-03-02T12:00:00Z', 'direct'),
      // cy: consideration only (no wait is counted without a previous stage).
      touch('c1', 'u:cy', '2026-03-04T10:00:00Z', 'direct'),
    ];
    const { metrics, journey } = await computeLakeRows(rows, UTC);
    // awareness {ann, bo}; consideration {ann, bo, cy}: 2 of awareness's 2 → 1, waits 2 and 0 days →
    // median 1; decision {ann}: 1 of consideration's 3, wait 2 days; retention 0 of 1 → 0;
    // advocacy 0 of 0 → null.
    expect(funnel(metrics, journey, UTC).stages).toEqual([
      { stage: 'awareness', users: 2, fromPrevious: null, medianDaysFromPrevious: null },
      { stage: 'consideration', users: 3, fromPrevious: 1, medianDaysFromPrevious: 1 },
      { stage: 'decision', users: 1, fromPrevious: 0.333333333333, medianDaysFromPrevious: 2 },
      { stage: 'retention', users: 0, fromPrevious: 0, medianDaysFromPrevious: null },
      { stage: 'advocacy', users: 0, fromPrevious: null, medianDaysFromPrevious: null },
    ]);
    // On display only: awareness {ann, bo}, nobody considers on display → 0 of 2.
    const display = funnel(metrics, journey, { ...UTC, channel: 'display' }).stages;
    expect(display.slice(0, 2).map((s) => [s.users, s.fromPrevious])).toEqual([
      [2, null],
      [0, 0],
    ]);
  });
});

describe('the journey SQL over lake rows: paths and the journey summary', () => {
  const rows = [
    // ann: paid search twice, e-mail, then buys for 20 on Mar 4 (3 touches, 3 days from the first);
    // afterwards an organic search on Mar 10 (a non-converting tail).
    touch('a1', 'u:ann', '2026-03-01T10:00:00Z', 'paid_search'),
    touch('a2', 'u:ann', '2026-03-02T10:00:00Z', 'paid_search'),
    touch('a3', 'u:ann', '2026-03-03T10:00:00Z', 'email'),
    conversion('a4', 'u:ann', '2026-03-04T10:00:00Z', { valueMicros: 20_000_000 }),
    touch('a5', 'u:ann', '2026-03-10T10:00:00Z', 'organic_search'),
    // bo: e-mail, then buys for 10 an hour later (1 touch, 0 days).
    touch('b1', 'u:bo', '2026-03-05T10:00:00Z', 'email'),
    conversion('b2', 'u:bo', '2026-03-05T11:00:00Z', { valueMicros: 10_000_000 }),
    // cy: buys without a touch (0 touches, no days, last touch direct).
    conversion('c1', 'u:cy', '2026-03-06T10:00:00Z'),
    // dee: display twice, never buys.
    touch('d1', 'u:dee', '2026-03-07T10:00:00Z', 'display'),
    touch('d2', 'u:dee', '2026-03-08T10:00:00Z', 'display'),
  ];

  it('lists collapsed paths, converting or not, most conversions first', async () => {
    const { journey } = await computeLakeRows(rows, UTC);
    const paths = (converting: 'true' | 'false' | 'all') =>
      journeyPaths(journey, { ...UTC, converting, limit: 10 }).paths.map((p) => [
        p.path.join('>'),
        p.journeys,
        p.conversions,
        p.value,
      ]);
    // Ties (1 conversion each, then 0) go by path: "email" < "paid_search>email", "display" < "organic_search".
    expect(paths('all')).toEqual([
      ['email', 1, 1, 10],
      ['paid_search>email', 1, 1, 20],
      ['display', 1, 0, 0],
      ['organic_search', 1, 0, 0],
    ]);
    expect(paths('true').map(([path]) => path)).toEqual(['email', 'paid_search>email']);
    expect(paths('false').map(([path]) => path)).toEqual(['display', 'organic_search']);
    expect(journeyPaths(journey, { ...UTC, converting: 'all', limit: 1 }).paths).toHaveLength(1);
  });

  it('counts touches and days to convert, and what each channel assisted and closed', async () => {
    const { journey } = await computeLakeRows(rows, UTC);
    expect(journeySummary(journey, UTC)).toEqual({
      ...UTC_RANGE,
      conversions: 3,
      touchesToConvert: [
        { touches: 0, conversions: 1 },
        { touches: 1, conversions: 1 },
        { touches: 3, conversions: 1 },
      ],
      daysToConvert: [
        { days: 0, conversions: 1 },
        { days: 3, conversions: 1 },
      ],
      // paid_search assisted ann's purchase; e-mail closed two, direct one (cy's, without a touch).
      assisted: [
        { channel: 'paid_search', assisted: 1, lastTouch: 0 },
        { channel: 'direct', assisted: 0, lastTouch: 1 },
        { channel: 'email', assisted: 0, lastTouch: 2 },
      ],
    });
  });
});

describe('the journey SQL over lake rows: refunds', () => {
  it('takes a refund off its conversion everywhere value is reported, and never counts it as a conversion', async () => {
    const refund = (id: string, of: string, at: string, valueMicros?: number) =>
      conversion(id, 'u:ann', at, {
        refundOf: of,
        stage: undefined,
        ...(valueMicros === undefined ? {} : { valueMicros }),
      });
    const rows = [
      touch('t1', 'u:ann', '2026-03-01T10:00:00Z', 'paid_search'),
      // 100 bought on Mar 2; 30 refunded on Mar 20 (after the range computed below), then 20 more.
      conversion('c1', 'u:ann', '2026-03-02T10:00:00Z', { valueMicros: 100_000_000 }),
      refund('r1', 'c1', '2026-03-20T10:00:00Z', 30_000_000),
      refund('r2', 'c1', '2026-03-21T10:00:00Z', 20_000_000),
      // 50 bought on Mar 3 and refunded whole (a refund without a value).
      conversion('c2', 'u:ann', '2026-03-03T10:00:00Z', { valueMicros: 50_000_000 }),
      refund('r3', 'c2', '2026-03-04T10:00:00Z'),
      // A refund of more than was paid leaves 0, not a negative value.
      conversion('c3', 'u:ann', '2026-03-05T10:00:00Z', { valueMicros: 10_000_000 }),
      refund('r4', 'c3', '2026-03-06T10:00:00Z', 15_000_000),
    ];
    // Only Mar 1–5 is computed: the refunds of Mar 20–21 are read all the same (they are kept apart).
    const { metrics, attribution, journey } = await computeLakeRows(rows, { ...UTC, to: '2026-03-05' });
    const range = { from: '2026-03-01', to: '2026-03-05' };
    // Three conversions (the refunds are none): 100 − 30 − 20 = 50, 50 − 50 = 0, max(0, 10 − 15) = 0.
    expect(channelShare(metrics, { ...range, basis: 'conversions' }).total).toBe(3);
    expect(metrics.days['2026-03-02']?.valueMicros).toEqual({ paid_search: 50_000_000 });
    const lastTouch = attribute(attribution, { ...range, model: 'last_touch', groupBy: 'channel' });
    expect([lastTouch.conversions, lastTouch.value]).toEqual([3, 50]);
    // Every journey is paid_search alone, so every model gives it the whole net value: 50 + 0 + 0.
    for (const model of MODELS) {
      const credited = attribute(attribution, { ...range, model, groupBy: 'channel' });
      expect([model, credited.value]).toEqual([model, 50]);
    }
    // The paths report the same net value: one path, three conversions worth 50 in all.
    expect(journeyPaths(journey, { ...range, converting: 'true', limit: 10 }).paths).toEqual([
      { path: ['paid_search'], journeys: 3, conversions: 3, value: 50 },
    ]);
    // ann's cohort (March, paid search: her first conversion is Mar 2) has the net revenue, and she
    // converted again in March (Mar 3 and 5): retention [1].
    expect(cohorts(journey, { ...range, period: 'month' }).cohorts).toEqual([
      {
        cohort: '2026-03',
        channel: 'paid_search',
        users: 1,
        revenue: 50,
        revenuePerUser: 50,
        retention: [1],
      },
    ]);
  });
});

describe('the journey SQL over lake rows: cohorts', () => {
  it('groups people by the month and first touch of their first conversion, with revenue and retention', async () => {
    const rows = [
      // ann: paid search, buys 20 on Mar 2, 30 on Apr 10 → cohort March / paid_search, back in month 1.
      touch('a1', 'u:ann', '2026-03-01T10:00:00Z', 'paid_search'),
      conversion('a2', 'u:ann', '2026-03-02T10:00:00Z', { valueMicros: 20_000_000 }),
      conversion('a3', 'u:ann', '2026-04-10T10:00:00Z', { valueMicros: 30_000_000 }),
      // bo: no touch, buys 10 on Mar 15 and 5 on Mar 20 → March / direct, back in month 0.
      conversion('b1', 'u:bo', '2026-03-15T10:00:00Z', { valueMicros: 10_000_000 }),
      conversion('b2', 'u:bo', '2026-03-20T10:00:00Z', { valueMicros: 5_000_000 }),
      // cy bought on Feb 20, inside the lookback of Mar 5: Mar 5 is no first conversion, no cohort.
      conversion('c1', 'u:cy', '2026-02-20T10:00:00Z'),
      conversion('c2', 'u:cy', '2026-03-05T10:00:00Z'),
      // dee: paid search, buys 40 on Apr 2 → April / paid_search.
      touch('d1', 'u:dee', '2026-04-01T10:00:00Z', 'paid_search'),
      conversion('d2', 'u:dee', '2026-04-02T10:00:00Z', { valueMicros: 40_000_000 }),
      // eve bought in December, long before the lookback of Mar 10; fay bought in December on a
      // device later linked to her: neither March purchase is a first conversion, so no cohort.
      conversion('e1', 'u:eve', '2025-12-01T10:00:00Z'),
      conversion('e2', 'u:eve', '2026-03-10T10:00:00Z', { valueMicros: 7_000_000 }),
      conversion('f1', 'a:fay-phone', '2025-12-02T10:00:00Z'),
      conversion('f2', 'u:fay', '2026-03-12T10:00:00Z', { valueMicros: 9_000_000 }),
    ];
    const range = { from: '2026-03-01', to: '2026-05-31' };
    const links = [
      { fromKey: 'a:fay-phone', toKey: 'u:fay', ts: Date.parse('2026-03-12T09:00:00Z'), eventId: 'f0' },
    ];
    const { journey } = await computeLakeRows(rows, { ...UTC, ...range, links });
    // March runs to May: 3 periods; April to May: 2.
    expect(cohorts(journey, { ...range, period: 'month' }).cohorts).toEqual([
      {
        cohort: '2026-03',
        channel: 'direct',
        users: 1,
        revenue: 15,
        revenuePerUser: 15,
        retention: [1, 0, 0],
      },
      {
        cohort: '2026-03',
        channel: 'paid_search',
        users: 1,
        revenue: 50,
        revenuePerUser: 50,
        retention: [0, 1, 0],
      },
      {
        cohort: '2026-04',
        channel: 'paid_search',
        users: 1,
        revenue: 40,
        revenuePerUser: 40,
        retention: [0, 0],
      },
    ]);
    // By week: Mar 2 2026 is a Monday, so ann's cohort is the week of Mar 2; Apr 10 is 5 weeks on
    // (Apr 6 − Mar 2 = 35 days).
    const weekly = cohorts(journey, { ...range, period: 'week' }).cohorts;
    const ann = weekly.find((c) => c.cohort === '2026-03-02');
    expect(ann?.retention.indexOf(1)).toBe(5);
  });
});

describe('the journey SQL over lake rows: review cases', () => {
  it('keeps converting and non-converting journeys of one path apart', async () => {
    // ann converts after paid search; bo and cy only touch paid search: one converting journey and
    // two non-converting ones on the same path.
    const rows = [
      touch('a1', 'u:ann', '2026-03-02T10:00:00Z', 'paid_search'),
      conversion('a2', 'u:ann', '2026-03-02T11:00:00Z'),
      touch('b1', 'u:bo', '2026-03-03T10:00:00Z', 'paid_search'),
      touch('c1', 'u:cy', '2026-03-04T10:00:00Z', 'paid_search'),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    const rowsOf = (converting: 'true' | 'false' | 'all') =>
      journeyPaths(journey, { ...UTC, converting, limit: 5 }).paths.map((p) => [
        p.path.join('>'),
        p.journeys,
        p.conversions,
      ]);
    expect(rowsOf('true')).toEqual([['paid_search', 1, 1]]);
    expect(rowsOf('false')).toEqual([['paid_search', 2, 0]]);
    expect(rowsOf('all')).toEqual([['paid_search', 3, 1]]);
  });

  it('keeps the last 20 steps of a long path, every channel spelled back as it was touched', async () => {
    // ann: 25 touches an hour apart over the 19 channels in order, then 6 more from the start
    // (direct, cross_network, …), each channel change a step: 25 steps; she converts after them.
    // Kept: steps 6…25 (the last 20). bo: the same 25 touches, but each one twice in a row, and no
    // conversion: the repeats collapse, so his tail is the same 20 steps, non-converting.
    const sequence = Array.from({ length: 25 }, (_, n) => CHANNEL_IDS[n % 19] as ChannelId);
    const at = (hour: number) =>
      new Date(Date.parse('2026-03-02T00:00:00Z') + hour * 3_600_000).toISOString();
    const rows = [
      ...sequence.map((channel, n) => touch(`a${n}`, 'u:ann', at(n), channel)),
      conversion('a-buy', 'u:ann', at(26)),
      ...sequence.flatMap((channel, n) => [
        touch(`b${n}x`, 'u:bo', at(2 * n), channel),
        touch(`b${n}y`, 'u:bo', at(2 * n + 1), channel),
      ]),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    const kept = sequence.slice(5);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toBe('paid_video');
    expect(journeyPaths(journey, { ...UTC, converting: 'all', limit: 5 }).paths).toEqual([
      expect.objectContaining({ path: kept, journeys: 2, conversions: 1 }),
    ]);
  });

  it('counts a share in advocacy (cpa by stage and the funnel) without making it a touch', async () => {
    const share = event('s1', '2026-03-05T10:00:00Z', {
      type: 'share',
      userKey: 'u:ann',
      stage: 'advocacy',
      touch: false,
      shareNetwork: 'email',
    });
    const { metrics, journey } = await computeLakeRows(
      [touch('t1', 'u:ann', '2026-03-01T10:00:00Z', 'email'), share],
      UTC,
    );
    expect(funnel(metrics, journey, UTC).stages[4]).toMatchObject({ stage: 'advocacy', users: 1 });
    expect(channelShare(metrics, { ...UTC, basis: 'touches' }).total).toBe(1);
  });

  it('puts a person whose first conversion shares its instant with another in a cohort', async () => {
    // Two conversions at 10:00: SQL ranks them by event id, "b-1" first; the merge keeps it first.
    const rows = [
      conversion('b-1', 'u:ann', '2026-03-02T10:00:00Z', { valueMicros: 50_000_000 }),
      conversion('b-2', 'u:ann', '2026-03-02T10:00:00Z', { conversion: 'signup' }),
    ];
    const { journey } = await computeLakeRows(rows, UTC);
    expect(cohorts(journey, { ...UTC_RANGE, period: 'month' }).cohorts).toMatchObject([
      { cohort: '2026-03', users: 1, revenue: 50, retention: [1] },
    ]);
  });
});

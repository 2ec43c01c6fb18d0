import { addDays, startOfDay } from '#domain/dates.ts';

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same demo month. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickWeighted<T extends { readonly weight: number }>(list: readonly T[], roll: number): T {
  let rest = roll;
  for (const item of list) {
    rest -= item.weight;
    if (rest < 0) return item;
  }
  return list[list.length - 1] as T;
}

export interface DemoMonth {
  readonly from: string;
  readonly to: string;
  readonly events: Record<string, unknown>[];
  readonly spend: Record<string, unknown>[];
}

interface TouchKind {
  readonly weight: number;
  readonly make: (ctx: {
    userId: string;
    at: string;
    id: string;
    pick: <T>(list: readonly T[]) => T;
  }) => Record<string, unknown>;
}

const CAMPAIGNS = {
  search: ['brand-search', 'generic-running-shoes'],
  social: ['spring-launch', 'retargeting-q2'],
  display: ['prospecting-banners'],
  email: ['weekly-newsletter', 'cart-reminder'],
};
const REFERRERS = [
  'https://www.runnersworld.example/best-shoes',
  'https://news.ycombinator.com/item?id=1',
  'https://blog.trailclub.example/gear',
  'https://www.producthunt.com/posts/acme',
];

const TOUCHES: readonly TouchKind[] = [
  {
    weight: 26,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'ad_click',
      occurredAt: at,
      userId,
      platform: 'google_ads',
      network: 'search',
      campaign: pick(CAMPAIGNS.search),
      url: `https://acme.example/?gclid=${id}`,
      cost: { amount: 1.8, currency: 'USD' },
    }),
  },
  {
    weight: 16,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'ad_click',
      occurredAt: at,
      userId,
      platform: 'meta',
      campaign: pick(CAMPAIGNS.social),
      url: 'https://acme.example/launch?utm_source=facebook&utm_medium=paid_social&utm_campaign=spring-launch',
    }),
  },
  {
    weight: 6,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'ad_click',
      occurredAt: at,
      userId,
      platform: 'display',
      network: 'display',
      campaign: pick(CAMPAIGNS.display),
    }),
  },
  {
    weight: 18,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'page_view',
      occurredAt: at,
      userId,
      url: 'https://acme.example/shoes',
      referrer: pick([
        'https://www.google.com/',
        'https://www.bing.com/search?q=acme',
        'https://duckduckgo.com/',
      ]),
    }),
  },
  {
    weight: 9,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'page_view',
      occurredAt: at,
      userId,
      url: 'https://acme.example/',
      referrer: pick(['https://t.co/abc', 'https://www.linkedin.com/feed/', 'https://m.facebook.com/']),
    }),
  },
  {
    weight: 9,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'page_view',
      occurredAt: at,
      userId,
      url: 'https://acme.example/blog/fit-guide',
      referrer: pick(REFERRERS),
    }),
  },
  {
    weight: 10,
    make: ({ userId, at, id, pick }) => ({
      eventId: id,
      type: 'email',
      occurredAt: at,
      userId,
      action: pick(['open', 'click']),
      campaign: pick(CAMPAIGNS.email),
    }),
  },
  {
    weight: 8,
    make: ({ userId, at, id }) => ({
      eventId: id,
      type: 'page_view',
      occurredAt: at,
      userId,
      url: 'https://acme.example/',
    }),
  },
];

/** Pages a visitor goes on to after landing (internal navigation: the referrer is the page before). */
const SITE_PAGES = [
  'https://acme.example/shoes',
  'https://acme.example/shoes/trail-runner',
  'https://acme.example/shoes/road-racer',
  'https://acme.example/sizes',
  'https://acme.example/reviews',
  'https://acme.example/about',
];

/**
 * "How did you hear about us" answers of the demo; attribution.config.json's `surveyAnswers` maps
 * each to a channel (an answer the config does not map would stand for none).
 */
export const DEMO_SURVEY_ANSWERS = ['google', 'instagram', 'a blog', 'newsletter', 'podcast', 'a friend'];

/** What a person whose first touch was `touch` says when asked, when they remember it. */
function answerFor(touch: Record<string, unknown>): string | undefined {
  if (touch.type === 'ad_click')
    return touch.platform === 'meta' ? 'instagram' : touch.platform === 'google_ads' ? 'google' : undefined;
  if (touch.type === 'email') return 'newsletter';
  if (touch.type !== 'page_view' || typeof touch.referrer !== 'string') return undefined;
  if (/google|bing|duckduckgo/.test(touch.referrer)) return 'google';
  if (/facebook|t\.co|linkedin/.test(touch.referrer)) return 'instagram';
  return 'a blog';
}

/** NPS scores by weight: most customers are promoters or passives, a few detractors. */
const NPS_SCORES = [
  { score: 10, weight: 20 },
  { score: 9, weight: 20 },
  { score: 8, weight: 17 },
  { score: 7, weight: 13 },
  { score: 6, weight: 8 },
  { score: 5, weight: 7 },
  { score: 4, weight: 5 },
  { score: 3, weight: 4 },
  { score: 2, weight: 3 },
  { score: 1, weight: 2 },
  { score: 0, weight: 1 },
];
const NPS_WEIGHT = NPS_SCORES.reduce((sum, s) => sum + s.weight, 0);

/**
 * A realistic synthetic month ending `today` (in UTC days): every event type and stage, paid and
 * organic channels, referral sites, visits of a few pages, e-mail campaigns (sent, delivered, a few
 * bounces, opens and clicks), carts bought and abandoned, NPS and "how did you hear about us"
 * answers, shares, two refunds, a brand and two competitors, and daily spend.
 */
export function generateDemoMonth(today: string, seed = 42, users = 450): DemoMonth {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const from = addDays(today, -29);
  const start = startOfDay(from, 'UTC');
  const span = 30 * 86_400_000 - 3_600_000;
  const end = start + span;
  const totalWeight = TOUCHES.reduce((sum, t) => sum + t.weight, 0);
  const events: Record<string, unknown>[] = [];
  let serial = 0;
  const id = () => `demo-${seed}-${(serial++).toString(36)}`;
  const iso = (ts: number) => new Date(Math.max(start, Math.min(ts, end))).toISOString();
  const purchases: Array<{ eventId: string; at: number; userId: string; amount: number }> = [];
  /** A campaign sent to a recipient: `sent`, then `delivered` a minute later (or a `bounce`). */
  const send = (recipient: Record<string, string>, campaign: string, at: number, bounced = false) => {
    events.push({
      eventId: id(),
      type: 'email',
      occurredAt: iso(at),
      ...recipient,
      action: 'sent',
      campaign,
    });
    events.push({
      eventId: id(),
      type: 'email',
      occurredAt: iso(at + 60_000),
      ...recipient,
      action: bounced ? 'bounce' : 'delivered',
      campaign,
    });
  };
  const cart = (userId: string, action: 'add' | 'checkout', at: number, amount: number) =>
    events.push({
      eventId: id(),
      type: 'cart',
      occurredAt: iso(at),
      userId,
      action,
      value: { amount, currency: 'USD' },
    });

  for (let u = 0; u < users; u++) {
    const userId = `user-${u}`;
    let at = start + Math.floor(random() * span * 0.8);
    const touches = 1 + Math.floor(random() * 5);
    let first: Record<string, unknown> | undefined;
    for (let t = 0; t < touches; t++) {
      const kind = pickWeighted(TOUCHES, random() * totalWeight);
      const touch = kind.make({ userId, at: iso(at), id: id(), pick });
      first ??= touch;
      if (touch.type === 'email') {
        // Opened or clicked by someone it was sent and delivered to (an hour before), so the
        // funnel's rates stay below 100%; a click follows an open.
        if (touch.campaign === 'cart-reminder') cart(userId, 'add', at - 86_400_000, 60);
        send({ userId }, touch.campaign as string, at - 3_600_000);
        if (touch.action === 'click') {
          events.push({ ...touch, eventId: id(), action: 'open', occurredAt: iso(at - 120_000) });
        }
        events.push(touch);
      } else if (touch.type === 'page_view') {
        // A visit: the landing page, then (for about half the visitors) a few more pages, each
        // seconds to minutes after the one before, in the same session.
        const sessionId = `${userId}-visit-${t}`;
        events.push({ ...touch, sessionId });
        const more = random() < 0.5 ? 0 : 1 + Math.floor(random() * 3);
        let previous = touch.url as string;
        for (let p = 0; p < more; p++) {
          at += 20_000 + Math.floor(random() * 160_000);
          const url = pick(SITE_PAGES.filter((page) => page !== previous));
          events.push({
            eventId: id(),
            type: 'page_view',
            occurredAt: iso(at),
            userId,
            sessionId,
            url,
            referrer: previous,
          });
          previous = url;
        }
      } else {
        events.push(touch);
      }
      at += Math.floor(random() * 3 * 86_400_000);
    }
    const convertedAt = at + 600_000;
    const outcome = random();
    if (outcome < 0.22) {
      events.push({ eventId: id(), type: 'conversion', occurredAt: iso(convertedAt), userId, name: 'lead' });
    } else if (outcome < 0.34) {
      events.push({
        eventId: id(),
        type: 'conversion',
        occurredAt: iso(convertedAt),
        userId,
        name: 'signup',
      });
    } else if (outcome < 0.46) {
      const amount = Math.round((40 + random() * 160) * 100) / 100;
      // Most buyers fill a cart and check out minutes before the purchase.
      if (random() < 0.6) {
        cart(userId, 'add', convertedAt - 540_000, amount);
        cart(userId, 'checkout', convertedAt - 240_000, amount);
      }
      const eventId = id();
      events.push({
        eventId,
        type: 'conversion',
        occurredAt: iso(convertedAt),
        userId,
        name: 'purchase',
        value: { amount, currency: 'USD' },
      });
      purchases.push({ eventId, at: convertedAt, userId, amount });
      if (random() < 0.3) {
        events.push({
          eventId: id(),
          type: 'conversion',
          occurredAt: iso(at + 5 * 86_400_000),
          userId,
          name: 'repeat_purchase',
          value: { amount: 60, currency: 'USD' },
        });
      }
      if (random() < 0.2) {
        events.push({
          eventId: id(),
          type: 'conversion',
          occurredAt: iso(at + 7 * 86_400_000),
          userId,
          name: 'referral_signup',
        });
      }
    } else if (random() < 0.2) {
      // An abandoned cart (some at the checkout), and the cart reminder a day later.
      const amount = Math.round((30 + random() * 120) * 100) / 100;
      cart(userId, 'add', convertedAt, amount);
      if (random() < 0.4) cart(userId, 'checkout', convertedAt + 120_000, amount);
      if (convertedAt + 86_400_000 < end) send({ userId }, 'cart-reminder', convertedAt + 86_400_000);
    }
    if (outcome < 0.46) {
      // Some who converted answer the surveys: "how did you hear about us" right away, NPS days later.
      if (random() < 0.3) {
        const remembered = first && random() < 0.55 ? answerFor(first) : undefined;
        events.push({
          eventId: id(),
          type: 'survey',
          occurredAt: iso(convertedAt + 300_000),
          userId,
          survey: 'source',
          answer: remembered ?? pick(['podcast', 'a friend', 'podcast', 'google']),
        });
      }
      if (random() < 0.35) {
        const answeredAt = convertedAt + 86_400_000 + Math.floor(random() * 2 * 86_400_000);
        const { score } = pickWeighted(NPS_SCORES, random() * NPS_WEIGHT);
        events.push({
          eventId: id(),
          type: 'survey',
          occurredAt: iso(answeredAt),
          userId,
          survey: 'nps',
          score,
        });
        if (score >= 9 && random() < 0.3) {
          events.push({
            eventId: id(),
            type: 'share',
            occurredAt: iso(answeredAt + 3_600_000),
            userId,
            url: 'https://acme.example/shoes/trail-runner',
            network: pick(['bluesky', 'whatsapp', 'facebook']),
          });
        }
      }
    }
  }

  // Two refunds, each days after its purchase and within the month: one whole, one in part.
  const refundable = purchases.filter((p) => p.at + 4 * 86_400_000 < end).slice(0, 2);
  for (const [i, purchase] of refundable.entries()) {
    events.push({
      eventId: id(),
      type: 'conversion',
      occurredAt: iso(purchase.at + (2 + i) * 86_400_000),
      userId: purchase.userId,
      name: 'refund',
      refundOf: purchase.eventId,
      ...(i === 1 ? { value: { amount: Math.min(20, purchase.amount), currency: 'USD' } } : {}),
    });
  }

  // The weekly newsletter's other readers: each gets one of the month's five issues; a few bounce.
  const readers = Math.round(users * 0.2);
  for (let r = 0; r < readers; r++) {
    send(
      { email: `reader${r}@example.org` },
      'weekly-newsletter',
      start + (r % 5) * 7 * 86_400_000 + 9 * 3_600_000,
      r % 25 === 7,
    );
  }

  const spend: Record<string, unknown>[] = [];
  for (let d = 0; d < 30; d++) {
    const date = addDays(from, d);
    const at = new Date(start + d * 86_400_000 + 12 * 3_600_000).toISOString();
    const impressions = (
      platform: string,
      campaign: string,
      count: number,
      brand?: string,
      network?: string,
    ) =>
      events.push({
        eventId: id(),
        type: 'ad_impression',
        occurredAt: at,
        platform,
        campaign,
        count,
        ...(brand ? { brand } : {}),
        ...(network ? { network } : {}),
      });
    impressions('google_ads', 'brand-search', 900 + Math.floor(random() * 200), undefined, 'search');
    impressions('google_ads', 'auction-insights', 500 + Math.floor(random() * 200), 'Rival', 'search');
    impressions('google_ads', 'auction-insights', 250 + Math.floor(random() * 100), 'Stride', 'search');
    impressions('meta', 'spring-launch', 1500 + Math.floor(random() * 500));
    impressions('display', 'prospecting-banners', 3000 + Math.floor(random() * 800), undefined, 'display');
    for (const [query, volume] of [
      ['acme shoes', 120],
      ['rival shoes', 90],
      ['stride running', 50],
      ['best running shoes', 300],
    ] as const) {
      events.push({
        eventId: id(),
        type: 'search',
        occurredAt: at,
        query,
        engine: 'google',
        count: volume + Math.floor(random() * 30),
      });
    }
    spend.push(
      {
        date,
        platform: 'google_ads',
        network: 'search',
        campaign: 'brand-search',
        amount: 95 + Math.round(random() * 20),
        currency: 'USD',
      },
      {
        date,
        platform: 'google_ads',
        network: 'search',
        campaign: 'generic-running-shoes',
        amount: 140 + Math.round(random() * 30),
        currency: 'USD',
      },
      {
        date,
        platform: 'meta',
        campaign: 'spring-launch',
        amount: 80 + Math.round(random() * 20),
        currency: 'USD',
      },
      {
        date,
        platform: 'display',
        network: 'display',
        campaign: 'prospecting-banners',
        amount: 40,
        currency: 'USD',
      },
    );
  }
  return { from, to: today, events, spend };
}

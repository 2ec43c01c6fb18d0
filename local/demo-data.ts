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

/**
 * A realistic synthetic month ending `today` (in UTC days): every event type and stage, paid and
 * organic channels, referral sites, e-mail, a brand and two competitors, and daily spend.
 */
export function generateDemoMonth(today: string, seed = 42, users = 600): DemoMonth {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const from = addDays(today, -29);
  const start = startOfDay(from, 'UTC');
  const span = 30 * 86_400_000 - 3_600_000;
  const totalWeight = TOUCHES.reduce((sum, t) => sum + t.weight, 0);
  const events: Record<string, unknown>[] = [];
  let serial = 0;
  const id = () => `demo-${seed}-${(serial++).toString(36)}`;
  const iso = (ts: number) => new Date(Math.min(ts, start + span)).toISOString();

  for (let u = 0; u < users; u++) {
    const userId = `user-${u}`;
    let at = start + Math.floor(random() * span * 0.8);
    const touches = 1 + Math.floor(random() * 5);
    for (let t = 0; t < touches; t++) {
      const kind = pickWeighted(TOUCHES, random() * totalWeight);
      const touch = kind.make({ userId, at: iso(at), id: id(), pick });
      events.push(touch);
      // An e-mail is opened or clicked by someone it was delivered to, so the funnel's rates stay below 100%.
      if (touch.type === 'email') {
        events.push({
          eventId: id(),
          type: 'email',
          occurredAt: iso(Math.max(start, at - 3_600_000)),
          userId,
          action: 'delivered',
          campaign: touch.campaign,
        });
      }
      at += Math.floor(random() * 3 * 86_400_000);
    }
    const outcome = random();
    if (outcome < 0.22) {
      events.push({ eventId: id(), type: 'conversion', occurredAt: iso(at + 600_000), userId, name: 'lead' });
    } else if (outcome < 0.34) {
      events.push({
        eventId: id(),
        type: 'conversion',
        occurredAt: iso(at + 600_000),
        userId,
        name: 'signup',
      });
    } else if (outcome < 0.46) {
      const amount = Math.round((40 + random() * 160) * 100) / 100;
      events.push({
        eventId: id(),
        type: 'conversion',
        occurredAt: iso(at + 600_000),
        userId,
        name: 'purchase',
        value: { amount, currency: 'USD' },
      });
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
    }
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
    events.push({
      eventId: id(),
      type: 'email',
      occurredAt: at,
      email: `reader${d}@example.org`,
      action: 'delivered',
      campaign: 'weekly-newsletter',
    });
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

import { describe, expect, it } from 'vitest';
import {
  EMAIL_ACTIONS,
  EVENT_TYPES,
  eventBatchSchema,
  eventSchema,
  MAX_EVENTS_PER_BATCH,
} from '#domain/event-schema.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';

const AT = '2026-03-01T10:00:00Z';

/** The smallest valid event of each type, with a user where one is needed. */
const minimal = {
  ad_impression: {
    eventId: 'imp-1',
    type: 'ad_impression',
    occurredAt: AT,
    platform: 'google_ads',
    campaign: 'spring',
  },
  ad_click: {
    eventId: 'clk-1',
    type: 'ad_click',
    occurredAt: AT,
    userId: 'u1',
    platform: 'google_ads',
    campaign: 'spring',
  },
  search: { eventId: 'srch-1', type: 'search', occurredAt: AT, query: 'acme shoes' },
  page_view: {
    eventId: 'pv-1',
    type: 'page_view',
    occurredAt: AT,
    anonymousId: 'a1',
    url: 'https://acme.example/',
  },
  email: {
    eventId: 'em-1',
    type: 'email',
    occurredAt: AT,
    userId: 'u1',
    action: 'open',
    campaign: 'newsletter',
  },
  conversion: { eventId: 'cv-1', type: 'conversion', occurredAt: AT, userId: 'u1', name: 'purchase' },
  identify: { eventId: 'id-1', type: 'identify', occurredAt: AT, userId: 'u1', anonymousId: 'a1' },
  survey: { eventId: 'sv-1', type: 'survey', occurredAt: AT, userId: 'u1', survey: 'nps', score: 9 },
  cart: { eventId: 'ct-1', type: 'cart', occurredAt: AT, anonymousId: 'a1', action: 'add' },
  share: { eventId: 'sh-1', type: 'share', occurredAt: AT, userId: 'u1' },
} as const satisfies Record<(typeof EVENT_TYPES)[number], Record<string, unknown>>;

const common = {
  userId: 'u1',
  anonymousId: 'a1',
  utm: { source: 'google', medium: 'cpc', campaign: 'spring', term: 'shoes', content: 'ad-a', id: 'cmp-9' },
  channel: 'paid_search',
  properties: { plan: 'pro', seats: 3 },
};

/** Every optional field of each type set. */
const full = {
  ad_impression: {
    ...minimal.ad_impression,
    ...common,
    adGroup: 'runners',
    creative: 'banner-1',
    network: 'search',
    brand: 'Rival',
    count: 250,
    cost: { amount: 12.5, currency: 'USD' },
  },
  ad_click: {
    ...minimal.ad_click,
    ...common,
    adGroup: 'runners',
    creative: 'banner-1',
    network: 'display',
    brand: 'Acme',
    count: 1,
    cost: { amount: 0.42, currency: 'USD' },
    clickId: 'Cj0KCQ',
    url: 'https://acme.example/landing?gclid=Cj0KCQ',
  },
  search: {
    ...minimal.search,
    ...common,
    brand: 'Acme',
    engine: 'Google',
    count: 1200,
    position: 2.5,
  },
  page_view: {
    ...minimal.page_view,
    ...common,
    referrer: 'https://www.google.com/search?q=acme',
    campaign: 'spring',
  },
  email: {
    ...minimal.email,
    ...common,
    email: 'jane@example.com',
    url: 'https://acme.example/offer',
  },
  conversion: {
    ...minimal.conversion,
    ...common,
    value: { amount: 99.9, currency: 'USD' },
    stage: 'retention',
  },
  identify: { ...minimal.identify, ...common },
  survey: { ...minimal.survey, ...common, answer: 'a friend told me' },
  cart: { ...minimal.cart, ...common, value: { amount: 49, currency: 'USD' } },
  share: { ...minimal.share, ...common, url: 'https://acme.example/p/red-shoes', network: 'WhatsApp' },
} as const;

/** Parses and returns the field issues (`[]` when valid). */
function issuesOf(input: unknown) {
  const result = eventSchema.safeParse(input);
  return result.success ? [] : toFieldIssues(result.error);
}
const pathsOf = (input: unknown) => issuesOf(input).map((issue) => issue.path);

describe('eventSchema: aggregated rows', () => {
  it('accepts an ad click row with a count and no user (a platform export), as an impression row', () => {
    const row = {
      eventId: 'ac-9',
      type: 'ad_click',
      occurredAt: AT,
      platform: 'meta',
      campaign: 'x',
      count: 40,
    };
    expect(issuesOf(row)).toEqual([]);
    expect(
      pathsOf({ eventId: 'pv-9', type: 'page_view', occurredAt: AT, url: 'https://acme.example/' }),
    ).toEqual(['userId']);
  });
});

describe('eventSchema: refunds', () => {
  it('accepts a refund of another conversion and refuses one of itself, naming refundOf', () => {
    expect(issuesOf({ ...minimal.conversion, eventId: 'rf-1', name: 'refund', refundOf: 'cv-1' })).toEqual(
      [],
    );
    expect(pathsOf({ ...minimal.conversion, refundOf: minimal.conversion.eventId })).toEqual(['refundOf']);
    expect(pathsOf({ ...minimal.conversion, refundOf: '' })).toEqual(['refundOf']);
  });
});

describe('eventSchema: survey answers', () => {
  it.each([
    ['an NPS answer without a score', { survey: 'nps', score: undefined }, 'score'],
    ['an NPS score of 11', { survey: 'nps', score: 11 }, 'score'],
    ['an NPS score of 8.5', { survey: 'nps', score: 8.5 }, 'score'],
    ['a CSAT score of 0', { survey: 'csat', score: 0 }, 'score'],
    ['a source answer without an answer', { survey: 'source', score: undefined }, 'answer'],
    ['an unknown survey', { survey: 'ces' }, 'survey'],
  ])('refuses %s, naming the field', (_, fields, path) => {
    expect(pathsOf({ ...minimal.survey, ...fields })).toEqual([path]);
  });

  it('accepts NPS 0 and 10, CSAT 1 and 5, and a source answer without a score', () => {
    for (const [survey, score] of [
      ['nps', 0],
      ['nps', 10],
      ['csat', 1],
      ['csat', 5],
    ] as const) {
      expect(issuesOf({ ...minimal.survey, survey, score })).toEqual([]);
    }
    expect(issuesOf({ ...minimal.survey, survey: 'source', score: undefined, answer: 'podcast' })).toEqual(
      [],
    );
  });
});

describe('eventSchema: valid events', () => {
  it.each(EVENT_TYPES)('accepts a minimal %s event', (type) => {
    expect(issuesOf(minimal[type])).toEqual([]);
  });

  it.each(EVENT_TYPES)('accepts a %s event with every optional field set', (type) => {
    expect(issuesOf(full[type])).toEqual([]);
  });

  it('keeps the optional fields of a full event as sent', () => {
    const parsed = eventSchema.parse(full.conversion);
    expect(parsed).toMatchObject({
      userId: 'u1',
      anonymousId: 'a1',
      utm: common.utm,
      channel: 'paid_search',
      properties: { plan: 'pro', seats: 3 },
      value: { amount: 99.9, currency: 'USD' },
      stage: 'retention',
    });
  });

  it('limits the lower-cased platform, which can be longer than what was sent (İ is two units lowered)', () => {
    // 'İ'.toLowerCase() is 'i̇' (2 UTF-16 units): 40 of them are 80 units lowered, past 64.
    expect(pathsOf({ ...minimal.ad_click, platform: 'İ'.repeat(40) })).toEqual(['platform']);
    expect(pathsOf({ ...minimal.ad_click, platform: 'İ'.repeat(32) })).toEqual([]);
  });

  it('lower-cases the ad platform and the search engine', () => {
    const ad = eventSchema.parse({ ...minimal.ad_impression, platform: 'Google_Ads' });
    const search = eventSchema.parse(full.search);
    expect(ad.type === 'ad_impression' && ad.platform).toBe('google_ads');
    expect(search.type === 'search' && search.engine).toBe('google');
  });

  it('accepts every e-mail action of the contract', () => {
    for (const action of EMAIL_ACTIONS) expect(issuesOf({ ...minimal.email, action })).toEqual([]);
  });

  it('accepts an empty referrer as "no referrer"', () => {
    expect(issuesOf({ ...minimal.page_view, referrer: '' })).toEqual([]);
  });
});

describe('eventSchema: type and fields', () => {
  it('rejects an unknown type and names type', () => {
    expect(pathsOf({ ...minimal.page_view, type: 'tap' })).toEqual(['type']);
  });

  it('rejects a missing type and names type', () => {
    const { type: _type, ...rest } = minimal.page_view;
    expect(pathsOf(rest)).toEqual(['type']);
  });

  it('rejects a body that is not an object at the root', () => {
    expect(pathsOf(null)).toEqual(['(root)']);
    expect(pathsOf('page_view')).toEqual(['(root)']);
  });

  it.each([
    ['ad_impression', 'platform'],
    ['ad_impression', 'campaign'],
    ['ad_click', 'campaign'],
    ['page_view', 'url'],
    ['email', 'action'],
    ['email', 'campaign'],
    ['conversion', 'name'],
    ['page_view', 'eventId'],
    ['page_view', 'occurredAt'],
  ] as const)('rejects a %s without %s and names it', (type, field) => {
    const input: Record<string, unknown> = { ...minimal[type] };
    delete input[field];
    expect(pathsOf(input)).toEqual([field]);
  });

  it('rejects mistyped fields and names each path', () => {
    expect(pathsOf({ ...minimal.page_view, userId: 5 })).toEqual(['userId']);
    expect(pathsOf({ ...minimal.page_view, utm: { source: 7 } })).toEqual(['utm.source']);
    expect(pathsOf({ ...minimal.page_view, utm: { medium: '' } })).toEqual(['utm.medium']);
    expect(pathsOf({ ...minimal.conversion, value: { amount: '10', currency: 'USD' } })).toEqual([
      'value.amount',
    ]);
    expect(pathsOf({ ...minimal.ad_impression, network: 'tv' })).toEqual(['network']);
    expect(pathsOf({ ...minimal.email, action: 'read' })).toEqual(['action']);
    expect(pathsOf({ ...minimal.conversion, stage: 'loyalty' })).toEqual(['stage']);
    expect(pathsOf({ ...minimal.page_view, channel: 'tv' })).toEqual(['channel']);
    expect(pathsOf({ ...minimal.email, email: 'not-an-address' })).toEqual(['email']);
  });

  it('rejects a negative money amount at value.amount', () => {
    expect(pathsOf({ ...minimal.conversion, value: { amount: -1, currency: 'USD' } })).toEqual([
      'value.amount',
    ]);
  });
});

describe('eventSchema: occurredAt', () => {
  it.each([
    ['2026-02-30T10:00:00Z', 'an impossible date such as 2026-02-30'],
    ['2026-13-01T10:00:00Z', 'month 13'],
    ['2026-03-01T25:00:00Z', 'hour 25'],
    ['2025-02-29T10:00:00Z', 'February 29 of a common year'],
    ['2026-03-01T10:00:00', 'a timestamp without an offset'],
    ['2026-03-01', 'a date without a time'],
    ['1 March 2026 10:00', 'a free-form date'],
  ])('rejects %s (%s) and names occurredAt', (occurredAt) => {
    const issues = issuesOf({ ...minimal.page_view, occurredAt });
    expect(issues.length).toBeGreaterThan(0);
    expect(new Set(issues.map((issue) => issue.path))).toEqual(new Set(['occurredAt']));
  });

  it('says that an offset is needed when it is missing', () => {
    const issues = issuesOf({ ...minimal.page_view, occurredAt: '2026-03-01T10:00:00' });
    expect(issues).toEqual([{ path: 'occurredAt', message: expect.stringMatching(/offset/) }]);
  });

  it('rejects a number of epoch milliseconds', () => {
    expect(pathsOf({ ...minimal.page_view, occurredAt: 1_772_359_200_000 })).toEqual(['occurredAt']);
  });

  it.each([
    '2026-03-01T10:00:00Z',
    '2026-03-01T10:00:00.123Z',
    '2026-03-01T10:00:00+02:00',
    '2026-03-01T10:00:00-05:45',
    '2024-02-29T23:59:59Z',
  ])('accepts %s', (occurredAt) => {
    expect(issuesOf({ ...minimal.page_view, occurredAt })).toEqual([]);
  });
});

describe('eventSchema: eventId', () => {
  it('accepts 1 and 128 characters', () => {
    expect(issuesOf({ ...minimal.page_view, eventId: 'x' })).toEqual([]);
    expect(issuesOf({ ...minimal.page_view, eventId: 'x'.repeat(128) })).toEqual([]);
  });

  it('rejects an empty eventId and one of 129 characters', () => {
    expect(pathsOf({ ...minimal.page_view, eventId: '' })).toEqual(['eventId']);
    expect(pathsOf({ ...minimal.page_view, eventId: 'x'.repeat(129) })).toEqual(['eventId']);
  });
});

describe('eventSchema: who the event is about', () => {
  const withoutUser = <T extends Record<string, unknown>>(event: T) => {
    const { userId: _u, anonymousId: _a, ...rest } = event;
    return rest;
  };

  it.each(['page_view', 'conversion', 'survey', 'cart', 'share'] as const)(
    'rejects a %s with no userId or anonymousId at userId',
    (type) => {
      expect(issuesOf(withoutUser(minimal[type]))).toEqual([
        { path: 'userId', message: 'userId or anonymousId is required' },
      ]);
    },
  );

  it('accepts anonymousId alone and userId alone', () => {
    expect(issuesOf({ ...withoutUser(minimal.conversion), anonymousId: 'a1' })).toEqual([]);
    expect(issuesOf({ ...withoutUser(minimal.page_view), userId: 'u1' })).toEqual([]);
  });

  it('accepts aggregated ad_impression and search rows without a user', () => {
    expect(issuesOf(withoutUser(minimal.ad_impression))).toEqual([]);
    expect(issuesOf(withoutUser(minimal.search))).toEqual([]);
  });

  it('accepts an email event that carries only the address', () => {
    expect(issuesOf({ ...withoutUser(minimal.email), email: 'jane@example.com' })).toEqual([]);
  });

  it('rejects an email event with no user and no address, and mentions email in the message', () => {
    expect(issuesOf(withoutUser(minimal.email))).toEqual([
      { path: 'userId', message: 'userId, anonymousId or email is required' },
    ]);
  });

  it('does not count a blank userId as a user', () => {
    // "  " trims to "" (too short) and then is no user either.
    const paths = pathsOf({ ...withoutUser(minimal.page_view), userId: '  ' });
    expect(paths).toEqual(['userId', 'userId']);
  });
});

describe('eventSchema: search', () => {
  it('accepts a brand without a query', () => {
    const { query: _q, ...rest } = minimal.search;
    expect(issuesOf({ ...rest, brand: 'Rival' })).toEqual([]);
  });

  it('rejects a search with neither query nor brand at query', () => {
    const { query: _q, ...rest } = minimal.search;
    expect(issuesOf(rest)).toEqual([{ path: 'query', message: 'a search needs a query or a brand' }]);
  });
});

describe('eventSchema: count', () => {
  it('defaults count to 1 on impressions and searches', () => {
    const impression = eventSchema.parse(minimal.ad_impression);
    const search = eventSchema.parse(minimal.search);
    expect(impression.type === 'ad_impression' && impression.count).toBe(1);
    expect(search.type === 'search' && search.count).toBe(1);
  });

  it('keeps an explicit count', () => {
    const impression = eventSchema.parse({ ...minimal.ad_impression, count: 250 });
    expect(impression.type === 'ad_impression' && impression.count).toBe(250);
  });

  it.each([
    [0, 'zero'],
    [-3, 'a negative number'],
    [1.5, 'a fraction'],
    ['3', 'a string'],
  ] as Array<[unknown, string]>)('rejects count %s (%s) and names count', (count) => {
    expect(pathsOf({ ...minimal.ad_impression, count })).toEqual(['count']);
    expect(pathsOf({ ...minimal.search, count })).toEqual(['count']);
  });
});

describe('eventSchema: money', () => {
  it.each(['usd', 'US', 'USDT', 'U$D', ''])('rejects currency %j at cost.currency', (currency) => {
    expect(pathsOf({ ...minimal.ad_impression, cost: { amount: 1, currency } })).toEqual(['cost.currency']);
  });

  it('accepts any three capital letters (the configured currency is checked at ingest, not here)', () => {
    expect(issuesOf({ ...minimal.conversion, value: { amount: 1, currency: 'EUR' } })).toEqual([]);
  });

  it('rejects money without a currency', () => {
    expect(pathsOf({ ...minimal.conversion, value: { amount: 1 } })).toEqual(['value.currency']);
  });
});

describe('eventSchema: properties', () => {
  // JSON.stringify({ a: s }) is `{"a":"` (6) + s + `"}` (2) = s.length + 8 characters.
  it('accepts properties of exactly 8192 characters as JSON', () => {
    const properties = { a: 'x'.repeat(8192 - 8) };
    expect(JSON.stringify(properties)).toHaveLength(8192);
    expect(issuesOf({ ...minimal.page_view, properties })).toEqual([]);
  });

  it('rejects properties of 8193 characters as JSON and names properties', () => {
    const properties = { a: 'x'.repeat(8193 - 8) };
    expect(issuesOf({ ...minimal.page_view, properties })).toEqual([
      { path: 'properties', message: 'must be at most 8192 bytes as JSON' },
    ]);
  });

  it('rejects properties that are an array, not an object', () => {
    expect(pathsOf({ ...minimal.page_view, properties: ['a'] })).toEqual(['properties']);
  });

  it('takes 32 levels of nesting and refuses the 33rd, naming its path', () => {
    // properties (depth 0) > a (1) > … : `nest(n)` puts an object at depth n under `a` keys.
    const nest = (levels: number): Record<string, unknown> => {
      let value: Record<string, unknown> = {};
      for (let i = 0; i < levels; i++) value = { a: value };
      return value;
    };
    expect(issuesOf({ ...minimal.page_view, properties: nest(31) })).toEqual([]);
    expect(issuesOf({ ...minimal.page_view, properties: nest(32) })).toEqual([
      {
        path: `properties.${Array(32).fill('a').join('.')}`,
        message: 'nests objects and arrays deeper than 32 levels',
      },
    ]);
  });

  it('refuses 3,600 nested arrays (7.2 KB, under the size limit) with a 4xx issue, not a stack overflow', () => {
    const properties = JSON.parse(`{"x":${'['.repeat(3600)}${']'.repeat(3600)}}`);
    expect(pathsOf({ ...minimal.page_view, properties })).toEqual([`properties.x${'.0'.repeat(31)}`]);
  });

  it('names the first unsafe integer in document order', () => {
    const properties = { list: [1, 2 ** 53, 3], later: 2 ** 60 };
    expect(issuesOf({ ...minimal.page_view, properties })).toEqual([
      {
        path: 'properties.list.1',
        message: 'is an integer beyond ±2^53, which JSON numbers cannot hold exactly; send it as a string',
      },
    ]);
  });
});

describe('eventSchema: URLs', () => {
  it.each([
    'ftp://acme.example/file',
    'javascript:alert(1)',
    'mailto:jane@example.com',
    'acme.example/landing',
    '/landing',
  ])('rejects url %s as not http(s)', (url) => {
    expect(issuesOf({ ...minimal.page_view, url })).toEqual([
      { path: 'url', message: 'must be an http(s) URL' },
    ]);
  });

  it('applies the same rule to referrer, the ad click url and the e-mail url', () => {
    expect(pathsOf({ ...minimal.page_view, referrer: 'android-app://com.google.android.gm' })).toEqual([
      'referrer',
    ]);
    expect(pathsOf({ ...minimal.ad_click, url: 'ftp://acme.example/' })).toEqual(['url']);
    expect(pathsOf({ ...minimal.email, url: 'file:///etc/passwd' })).toEqual(['url']);
  });

  it('says what is wrong with a URL too long to keep: its length, not its scheme', () => {
    const url = `https://acme.example/?q=${'a'.repeat(4096)}`;
    expect(issuesOf({ ...minimal.page_view, url })).toEqual([
      { path: 'url', message: 'must be at most 4096 characters' },
    ]);
  });

  it('accepts http and https', () => {
    expect(issuesOf({ ...minimal.page_view, url: 'http://acme.example/a?b=c' })).toEqual([]);
    expect(issuesOf({ ...minimal.page_view, url: 'https://acme.example:8443/a#top' })).toEqual([]);
  });
});

describe('eventBatchSchema', () => {
  it(`holds between 1 and ${MAX_EVENTS_PER_BATCH} events`, () => {
    expect(eventBatchSchema.safeParse({ events: [{}] }).success).toBe(true);
    expect(eventBatchSchema.safeParse({ events: Array.from({ length: 500 }, () => ({})) }).success).toBe(
      true,
    );
    expect(eventBatchSchema.safeParse({ events: Array.from({ length: 501 }, () => ({})) }).success).toBe(
      false,
    );
    expect(eventBatchSchema.safeParse({ events: [] }).success).toBe(false);
  });
});

describe('eventSchema: values no file could hold are refused, naming the field', () => {
  it.each([
    ['a lone high surrogate in a campaign', { ...minimal.conversion, campaign: 'spring\ud800' }, 'campaign'],
    ['a lone low surrogate in the event id', { ...minimal.conversion, eventId: '\udc00x' }, 'eventId'],
    [
      'a lone surrogate in a UTM value',
      { ...minimal.page_view, utm: { source: 'news\udbff' } },
      'utm.source',
    ],
  ])('refuses %s', (_, event, path) => {
    expect(pathsOf(event)).toEqual([path]);
  });

  it('accepts a well-formed pair (an emoji) where a lone half is refused', () => {
    expect(pathsOf({ ...minimal.conversion, campaign: 'spring \ud83c\udf38' })).toEqual([]);
  });

  it.each([
    ['year 9999', '9999-12-31T23:59:59Z'],
    ['before 2000', '1999-12-31T23:59:59Z'],
    ['2100 itself', '2100-01-01T00:00:00Z'],
  ])('refuses an event time in %s', (_, occurredAt) => {
    expect(pathsOf({ ...minimal.conversion, occurredAt })).toEqual(['occurredAt']);
  });

  it('accepts the first and last instants of the years it takes', () => {
    expect(pathsOf({ ...minimal.conversion, occurredAt: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(pathsOf({ ...minimal.conversion, occurredAt: '2099-12-31T23:59:59.999Z' })).toEqual([]);
  });
});

describe('identify: what it links', () => {
  it('links a user to an anonymous id, or to the user id it had before (an alias), and needs one of them', () => {
    const { anonymousId: _anonymous, ...withoutAnonymous } = minimal.identify;
    expect(pathsOf(withoutAnonymous)).toEqual(['anonymousId']);
    expect(pathsOf({ ...withoutAnonymous, previousId: 'old-id' })).toEqual([]);
  });
});

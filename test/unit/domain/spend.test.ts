import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { createChannelClassifier } from '#domain/channels.ts';
import { ValidationError } from '#domain/errors.ts';
import { spendRowSchema } from '#domain/normalised-event.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { MAX_SPEND_ROWS, normaliseSpendBody } from '#domain/spend.ts';

const props = {
  classifier: createChannelClassifier({
    rules: DEFAULT_CHANNEL_RULES,
    catalogue: createReferrerCatalogue(),
    ownDomains: ['acme.example'],
  }),
  currency: 'USD',
};
const spend = (rows: unknown[]) => normaliseSpendBody({ rows }, props);

/** The ValidationError the body throws (fails the test if it does not throw). */
function errorOf(body: unknown): ValidationError {
  try {
    normaliseSpendBody(body, props);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}
const pathsOf = (rows: unknown[]) => errorOf({ rows }).issues.map((issue) => issue.path);

const googleRow = (
  campaign: Record<string, unknown>,
  metrics: Record<string, unknown>,
  date = '2026-03-01',
) => ({
  campaign,
  metrics,
  segments: { date },
});

describe('normaliseSpendBody: plain rows', () => {
  it('turns an amount into integer micros and keeps the counts', () => {
    expect(
      spend([
        {
          date: '2026-03-01',
          platform: 'Google_Ads',
          campaign: 'spring',
          amount: 12.34,
          currency: 'USD',
          impressions: 100,
          clicks: '5',
        },
      ]),
    ).toEqual([
      {
        date: '2026-03-01',
        channel: 'paid_search',
        platform: 'google_ads',
        campaign: 'spring',
        // 12.34 × 1,000,000 = 12,340,000
        costMicros: 12_340_000,
        currency: 'USD',
        impressions: 100,
        clicks: 5,
      },
    ]);
  });

  it('takes costMicros as a number or a digit string', () => {
    const [fromNumber, fromString] = spend([
      { date: '2026-03-01', platform: 'meta', costMicros: 1_230_000, currency: 'USD' },
      { date: '2026-03-01', platform: 'meta', costMicros: '1230000', currency: 'USD' },
    ]);
    expect(fromNumber?.costMicros).toBe(1_230_000);
    expect(fromString?.costMicros).toBe(1_230_000);
  });

  it('fills in platform "unknown" and campaign "(none)" when absent', () => {
    expect(spend([{ date: '2026-03-01', amount: 0.29, currency: 'USD' }])).toEqual([
      {
        date: '2026-03-01',
        channel: 'paid_other',
        platform: 'unknown',
        campaign: '(none)',
        // 0.29 × 1e6 = 289,999.99999999994 as a double → rounds to 290,000
        costMicros: 290_000,
        currency: 'USD',
      },
    ]);
  });

  it('rejects a row with both amount and costMicros at amount', () => {
    expect(pathsOf([{ date: '2026-03-01', amount: 1.23, costMicros: 1_230_000, currency: 'USD' }])).toEqual([
      'rows.0.amount',
    ]);
  });

  it('rejects a row with neither amount nor costMicros at amount', () => {
    expect(errorOf({ rows: [{ date: '2026-03-01', currency: 'USD' }] }).issues).toEqual([
      { path: 'rows.0.amount', message: 'give exactly one of amount and costMicros' },
    ]);
  });

  it.each([
    [1.5, 'a fractional number'],
    ['1.5', 'a decimal string'],
    ['-5', 'a negative string'],
    ['12abc', 'a string with letters'],
  ] as Array<[unknown, string]>)('rejects costMicros %j (%s) at costMicros', (costMicros) => {
    expect(pathsOf([{ date: '2026-03-01', costMicros, currency: 'USD' }])).toContain('rows.0.costMicros');
  });

  it.each(['2026-02-30', '2026-13-01', '2026-3-1', '01/03/2026', '2025-02-29'])(
    'rejects the impossible or malformed date %s at date',
    (date) => {
      expect(pathsOf([{ date, amount: 1, currency: 'USD' }])).toEqual(['rows.0.date']);
    },
  );

  it('accepts February 29 of a leap year', () => {
    expect(spend([{ date: '2024-02-29', amount: 1, currency: 'USD' }])[0]?.date).toBe('2024-02-29');
  });

  it('rejects a currency other than the configured one at currency, naming the row', () => {
    const error = errorOf({
      rows: [
        { date: '2026-03-01', amount: 1, currency: 'USD' },
        { date: '2026-03-02', amount: 1, currency: 'EUR' },
      ],
    });
    expect(error.issues).toEqual([
      { path: 'rows.1.currency', message: 'must be USD, the configured currency' },
    ]);
    expect(error.statusCode).toBe(400);
  });

  it('rejects a malformed currency code at currency', () => {
    expect(pathsOf([{ date: '2026-03-01', amount: 1, currency: 'usd' }])).toEqual(['rows.0.currency']);
  });

  it('refuses the whole upload when one row is bad', () => {
    expect(() =>
      spend([
        { date: '2026-03-01', amount: 1, currency: 'USD' },
        { date: '2026-03-01', currency: 'USD' },
      ]),
    ).toThrow(ValidationError);
  });
});

describe('normaliseSpendBody: channel of plain rows', () => {
  it.each([
    ['google_ads', undefined, 'paid_search'],
    ['google_ads', 'display', 'display'],
    ['google_ads', 'video', 'paid_video'],
    ['meta', undefined, 'paid_social'],
    ['linkedin', undefined, 'paid_social'],
    ['youtube', undefined, 'paid_video'],
    ['criteo', undefined, 'display'],
    ['meta', 'shopping', 'paid_shopping'],
    ['newsletter_co', undefined, 'paid_other'],
  ] as const)('derives %s on network %s as %s', (platform, network, channel) => {
    const [row] = spend([{ date: '2026-03-01', platform, network, amount: 1, currency: 'USD' }]);
    expect(row?.channel).toBe(channel);
  });

  it('keeps an explicit channel', () => {
    const [row] = spend([
      { date: '2026-03-01', platform: 'tiktok', channel: 'paid_video', amount: 1, currency: 'USD' },
    ]);
    expect(row?.channel).toBe('paid_video');
  });

  it('rejects an unknown channel id at channel', () => {
    expect(pathsOf([{ date: '2026-03-01', channel: 'tv', amount: 1, currency: 'USD' }])).toEqual([
      'rows.0.channel',
    ]);
  });
});

describe('normaliseSpendBody: Google Ads rows as-is', () => {
  it('accepts a GAQL row with costMicros and counts as strings', () => {
    expect(
      spend([
        googleRow(
          { id: '123', name: 'Brand search', advertisingChannelType: 'SEARCH' },
          { costMicros: '1230000', impressions: '1000', clicks: '20' },
        ),
      ]),
    ).toEqual([
      {
        date: '2026-03-01',
        channel: 'paid_search',
        platform: 'google_ads',
        campaign: 'Brand search',
        costMicros: 1_230_000,
        currency: 'USD',
        impressions: 1000,
        clicks: 20,
      },
    ]);
  });

  it.each([
    ['PERFORMANCE_MAX', 'cross_network'],
    ['DISPLAY', 'display'],
    ['SEARCH', 'paid_search'],
    ['VIDEO', 'paid_video'],
    ['SHOPPING', 'paid_shopping'],
    ['DEMAND_GEN', 'paid_social'],
    ['DISCOVERY', 'paid_social'],
    ['MULTI_CHANNEL', 'paid_search'],
  ] as const)('maps advertisingChannelType %s to %s', (advertisingChannelType, channel) => {
    const [row] = spend([googleRow({ name: 'C', advertisingChannelType }, { costMicros: 5_000_000 })]);
    expect(row?.channel).toBe(channel);
    expect(row?.costMicros).toBe(5_000_000);
  });

  it('defaults a row without advertisingChannelType to search', () => {
    expect(spend([googleRow({ name: 'C' }, { costMicros: '1' })])[0]?.channel).toBe('paid_search');
  });

  it('names the campaign by id when it has no name, and "(none)" when it has neither', () => {
    const [byId, none] = spend([
      googleRow({ id: 987 }, { costMicros: '1' }),
      googleRow({}, { costMicros: '1' }),
    ]);
    expect(byId?.campaign).toBe('987');
    expect(none?.campaign).toBe('(none)');
  });

  it('bounds a campaign id like a name: blank, 257 characters or a lone surrogate are refused at its path', () => {
    // The id names the campaign of the row, which is part of the spend table's key (1 KB at most).
    expect(pathsOf([googleRow({ id: '  ' }, { costMicros: '1' })])).toEqual(['rows.0.campaign.id']);
    expect(pathsOf([googleRow({ id: 'x'.repeat(257) }, { costMicros: '1' })])).toEqual([
      'rows.0.campaign.id',
    ]);
    expect(pathsOf([googleRow({ id: 'c\ud800' }, { costMicros: '1' })])).toEqual(['rows.0.campaign.id']);
    expect(pathsOf([googleRow({ id: 2 ** 60 }, { costMicros: '1' })])).toEqual(['rows.0.campaign.id']);
    expect(spend([googleRow({ id: 'x'.repeat(256) }, { costMicros: '1' })])[0]?.campaign).toHaveLength(256);
  });

  it('rejects an impossible segments.date at that path', () => {
    expect(pathsOf([googleRow({ name: 'C' }, { costMicros: '1' }, '2026-02-29')])).toEqual([
      'rows.0.segments.date',
    ]);
  });

  it('rejects a non-numeric costMicros at metrics.costMicros', () => {
    expect(pathsOf([googleRow({ name: 'C' }, { costMicros: 'abc' })])).toEqual(['rows.0.metrics.costMicros']);
  });

  it('rejects an account currency other than the configured one at customer.currencyCode', () => {
    const row = { ...googleRow({ name: 'C' }, { costMicros: '1' }), customer: { currencyCode: 'EUR' } };
    expect(errorOf({ rows: [row] }).issues).toEqual([
      { path: 'rows.0.customer.currencyCode', message: 'must be USD, the configured currency' },
    ]);
  });

  it('accepts the configured currency on the customer', () => {
    const row = { ...googleRow({ name: 'C' }, { costMicros: '1' }), customer: { currencyCode: 'USD' } };
    expect(spend([row])[0]?.currency).toBe('USD');
  });

  it('mixes Google Ads rows and plain rows in one upload', () => {
    const rows = spend([
      googleRow({ name: 'G' }, { costMicros: '2000000' }),
      { date: '2026-03-01', platform: 'meta', amount: 3, currency: 'USD' },
    ]);
    expect(rows.map((r) => [r.platform, r.costMicros])).toEqual([
      ['google_ads', 2_000_000],
      ['meta', 3_000_000],
    ]);
  });
});

describe('normaliseSpendBody: envelope', () => {
  it(`accepts ${MAX_SPEND_ROWS} rows and refuses ${MAX_SPEND_ROWS + 1}`, () => {
    const row = { date: '2026-03-01', amount: 1, currency: 'USD' };
    expect(spend(Array.from({ length: 5000 }, () => row))).toHaveLength(5000);
    expect(errorOf({ rows: Array.from({ length: 5001 }, () => row) }).issues).toEqual([
      { path: 'rows', message: 'must hold at most 5000 rows' },
    ]);
  });

  it('refuses an empty list and a body without rows', () => {
    expect(errorOf({ rows: [] }).issues.map((i) => i.path)).toEqual(['rows']);
    expect(errorOf({}).issues.map((i) => i.path)).toEqual(['rows']);
    expect(errorOf(null).issues.map((i) => i.path)).toEqual(['(root)']);
  });
});

describe('normaliseSpendBody: stored form', () => {
  it('produces rows the stored spend-row schema reads back', () => {
    const rows = spend([
      { date: '2026-03-01', platform: 'meta', amount: 12.34, currency: 'USD', clicks: 3 },
      googleRow({ name: 'G', advertisingChannelType: 'PERFORMANCE_MAX' }, { costMicros: '1230000' }),
    ]);
    for (const row of rows) expect(spendRowSchema.safeParse(row).success).toBe(true);
  });

  it.each([
    [
      'an 18-digit costMicros string',
      { date: '2026-03-01', costMicros: '123456789012345678', currency: 'USD' },
    ],
    ['the largest accepted amount', { date: '2026-03-01', amount: 1e12, currency: 'USD' }],
  ])('never accepts %s that cannot be stored exactly and read back', (_what, row) => {
    // '123456789012345678' → Number() = 123456789012345680 (precision lost, > MAX_SAFE_INTEGER 9007199254740991);
    // 1e12 × 1e6 = 1e18 micros, also beyond MAX_SAFE_INTEGER. The spend store reads rows back with
    // spendRowSchema (z.int(), safe integers only), so such a row would break every later read.
    // Either answer is fine: refuse the row, or store a value that is exact and reads back.
    let rows: ReturnType<typeof spend>;
    try {
      rows = spend([row]);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return;
    }
    const costMicros = rows[0]?.costMicros ?? 0;
    expect(Number.isSafeInteger(costMicros)).toBe(true);
    expect(spendRowSchema.safeParse(rows[0]).success).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';

const brand = { name: 'Acme', terms: ['acme', 'acme shoes'] };

/** The field issues of a config (`[]` when valid). */
function issuesOf(input: unknown) {
  const result = attributionConfigSchema.safeParse(input);
  return result.success ? [] : toFieldIssues(result.error);
}
const pathsOf = (input: unknown) => issuesOf(input).map((issue) => issue.path);

describe('attributionConfigSchema: defaults', () => {
  it('gives the smallest config (a brand) the documented defaults', () => {
    expect(attributionConfigSchema.parse({ brand })).toEqual({
      brand,
      competitors: [],
      ownDomains: [],
      timeZone: 'UTC',
      currency: 'USD',
      lookbackDays: 30,
      timeDecayHalfLifeDays: 7,
      stages: {
        decision: ['lead', 'signup', 'purchase'],
        retention: ['renewal', 'repeat_purchase'],
        advocacy: ['referral_signup', 'review'],
      },
      sources: {},
      surveyAnswers: {},
      scheduleWindowDays: 7,
      lateRefundDays: 90,
      webhooks: {},
      writeKeys: [],
      cors: { allowedOrigins: [] },
      sessionTimeoutMinutes: 30,
      alerts: {
        kpis: ['conversions', 'value', 'spend', 'cpa', 'visits'],
        changeThreshold: 0.5,
        baselineWeeks: 4,
      },
      privacy: {
        requireConsent: false,
        honourGlobalPrivacyControl: false,
        analyticsCategories: ['analytics'],
      },
    });
  });

  it('fills in the stage lists a partial stages object leaves out', () => {
    const config = attributionConfigSchema.parse({ brand, stages: { retention: ['upgrade'] } });
    expect(config.stages).toEqual({
      decision: ['lead', 'signup', 'purchase'],
      retention: ['upgrade'],
      advocacy: ['referral_signup', 'review'],
    });
  });

  it('accepts the example of the README (Configuration)', () => {
    const config = attributionConfigSchema.parse({
      brand,
      competitors: [{ name: 'Rival', terms: ['rival', 'rival shoes'] }],
      ownDomains: ['acme.example'],
      timeZone: 'UTC',
      currency: 'USD',
      lookbackDays: 30,
      timeDecayHalfLifeDays: 7,
      stages: {
        decision: ['lead', 'signup', 'purchase'],
        retention: ['renewal', 'repeat_purchase'],
        advocacy: ['referral_signup', 'review'],
      },
      webhooks: { standard: { secret: 'whsec_abc' }, mailgun: { signingKey: 'key' } },
      writeKeys: ['segment-write-key'],
    });
    expect(config.competitors.map((c) => c.name)).toEqual(['Rival']);
    expect(config.webhooks).toEqual({ standard: { secret: 'whsec_abc' }, mailgun: { signingKey: 'key' } });
  });

  it('requires a brand', () => {
    expect(pathsOf({})).toEqual(['brand']);
    expect(pathsOf({ brand: { name: 'Acme', terms: [] } })).toEqual(['brand.terms']);
  });
});

describe('attributionConfigSchema: invalid values name their path', () => {
  it('rejects an unknown time zone at timeZone', () => {
    expect(issuesOf({ brand, timeZone: 'Mars/Olympus' })).toEqual([
      { path: 'timeZone', message: 'must be an IANA time zone such as UTC or Europe/Berlin' },
    ]);
  });

  it('accepts a real IANA zone', () => {
    expect(attributionConfigSchema.parse({ brand, timeZone: 'Asia/Kathmandu' }).timeZone).toBe(
      'Asia/Kathmandu',
    );
  });

  it.each(['usd', 'EURO', 'US', '€'])('rejects the currency %j at currency', (currency) => {
    expect(pathsOf({ brand, currency })).toEqual(['currency']);
  });

  it('rejects a competitor with the brand’s name, ignoring case, at competitors', () => {
    expect(issuesOf({ brand, competitors: [{ name: 'ACME', terms: ['x'] }] })).toEqual([
      { path: 'competitors', message: 'name "acme" is used twice' },
    ]);
  });

  it('rejects two competitors with the same name, ignoring case and spaces, at competitors', () => {
    expect(
      pathsOf({
        brand,
        competitors: [
          { name: 'Rival', terms: ['rival'] },
          { name: ' rival ', terms: ['rival shoes'] },
        ],
      }),
    ).toEqual(['competitors']);
  });

  it('accepts the longest lookback with the longest schedule window (the lake keeps every day)', () => {
    // No events table expires any more, so no retention has to cover lookbackDays + scheduleWindowDays.
    expect(pathsOf({ brand, lookbackDays: 365, scheduleWindowDays: 366 })).toEqual([]);
  });

  it.each([
    ['lookbackDays', 0],
    ['lookbackDays', 1.5],
    ['lookbackDays', 366],
    ['timeDecayHalfLifeDays', 0],
    ['timeDecayHalfLifeDays', -7],
    ['scheduleWindowDays', 0],
  ])('rejects %s = %s at that path', (key, value) => {
    expect(pathsOf({ brand, [key]: value })).toContain(key);
  });

  it('rejects a write key shorter than 8 characters at its index', () => {
    expect(pathsOf({ brand, writeKeys: ['long-enough', 'short'] })).toEqual(['writeKeys.1']);
  });

  it('rejects an empty channelRules list and an unknown rule channel', () => {
    expect(pathsOf({ brand, channelRules: [] })).toEqual(['channelRules']);
    expect(pathsOf({ brand, channelRules: [{ channel: 'tv', when: {} }] })).toEqual([
      'channelRules.0.channel',
    ]);
  });
});

describe('attributionConfigSchema: ownDomains', () => {
  it('lower-cases, trims and strips www.', () => {
    const config = attributionConfigSchema.parse({
      brand,
      ownDomains: ['WWW.Acme.Example', ' shop.acme.example ', 'acme-shoes.co.uk'],
    });
    expect(config.ownDomains).toEqual(['acme.example', 'shop.acme.example', 'acme-shoes.co.uk']);
  });

  it.each(['https://acme.example', 'acme.example/path', 'localhost', '-acme.example', 'acme..example'])(
    'rejects %j at its index',
    (host) => {
      expect(issuesOf({ brand, ownDomains: ['acme.example', host] })).toEqual([
        { path: 'ownDomains.1', message: 'must be a host name like acme.example' },
      ]);
    },
  );
});

describe('attributionConfigSchema: sources', () => {
  it('lower-cases source keys and checks categories', () => {
    expect(attributionConfigSchema.parse({ brand, sources: { 'TikTok.com': 'social' } }).sources).toEqual({
      'tiktok.com': 'social',
    });
    expect(pathsOf({ brand, sources: { 'example.com': 'tv' } })).toEqual(['sources.example.com']);
  });
});

describe('attributionConfigSchema: mistakes a typo would hide', () => {
  it('refuses an unknown key (a misspelt lookBackDays) instead of ignoring it', () => {
    const issues = issuesOf({ brand: { name: 'Acme', terms: ['acme'] }, lookBackDays: 60 });
    expect(issues.map((i) => i.message).join(' ')).toMatch(/lookBackDays/);
  });

  it('refuses a conversion name listed under two stages, naming the stage', () => {
    const issues = issuesOf({
      brand: { name: 'Acme', terms: ['acme'] },
      stages: { retention: ['renewal'], advocacy: ['renewal', 'review'] },
    });
    expect(issues).toContainEqual({
      path: 'stages.advocacy',
      message: '"renewal" is also listed under retention',
    });
  });
});

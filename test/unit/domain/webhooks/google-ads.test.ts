import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { createChannelClassifier } from '#domain/channels.ts';
import { eventSchema } from '#domain/event-schema.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { googleAdsSecretsSchema, handleGoogleAds } from '#domain/webhooks/google-ads.ts';
import { jsonPost, statusOf } from '../../../support/webhooks.ts';

const NOW = Date.UTC(2026, 2, 1, 10); // 2026-03-01T10:00:00Z
const FIXTURE = readFileSync(
  new URL('../../../fixtures/webhooks/google-ads-lead.json', import.meta.url),
  'utf8',
);
const LEAD = JSON.parse(FIXTURE) as Record<string, unknown>;
const secrets = { key: 'fixture-google-key' };

const post = jsonPost;

const status = statusOf;

describe('Google Ads lead form: google_key', () => {
  it('accepts a lead carrying the configured key', () => {
    expect(handleGoogleAds(post(FIXTURE), secrets, NOW).events).toHaveLength(1);
  });

  it('401s a wrong key, whatever its length', () => {
    for (const key of [
      'fixture-google-kez',
      'fixture',
      'fixture-google-key-and-more',
      'FIXTURE-GOOGLE-KEY',
    ]) {
      expect(status(() => handleGoogleAds(post({ ...LEAD, google_key: key }), secrets, NOW))).toBe(401);
    }
  });

  it('401s a missing or empty key (the scheme has no header: the key travels in the body)', () => {
    const { google_key: _key, ...withoutKey } = LEAD;
    expect(status(() => handleGoogleAds(post(withoutKey), secrets, NOW))).toBe(401);
    expect(status(() => handleGoogleAds(post({ ...LEAD, google_key: '' }), secrets, NOW))).toBe(401);
    expect(status(() => handleGoogleAds(post({ ...LEAD, google_key: 42 }), secrets, NOW))).toBe(401);
  });

  it('signs nothing and has no timestamp: a changed or old lead with the right key passes (a limit of the scheme)', () => {
    const changed = handleGoogleAds(post({ ...LEAD, campaign_id: 1 }), secrets, NOW).events[0];
    expect(changed).toMatchObject({ campaign: '1' });
    const muchLater = handleGoogleAds(post(FIXTURE), secrets, NOW + 86_400_000).events[0];
    expect(muchLater?.eventId).toBe(handleGoogleAds(post(FIXTURE), secrets, NOW).events[0]?.eventId);
  });

  it('405s a GET, 400s a body that is not JSON and a keyed lead without lead_id', () => {
    expect(status(() => handleGoogleAds({ ...post(FIXTURE), method: 'GET' }, secrets, NOW))).toBe(405);
    expect(status(() => handleGoogleAds(post('lead_id=1'), secrets, NOW))).toBe(400);
    const { lead_id: _id, ...withoutId } = LEAD;
    expect(status(() => handleGoogleAds(post(withoutId), secrets, NOW))).toBe(400);
  });

  it('needs a key in its secrets', () => {
    expect(googleAdsSecretsSchema.safeParse(secrets).success).toBe(true);
    expect(googleAdsSecretsSchema.safeParse({ key: '' }).success).toBe(false);
  });
});

describe('Google Ads lead form: mapping', () => {
  it('maps a lead to a lead conversion keyed by the click', () => {
    const [event] = handleGoogleAds(post(FIXTURE), secrets, NOW).events;
    expect(event).toEqual({
      eventId: `google-ads:${LEAD.lead_id}`,
      type: 'conversion',
      name: 'lead',
      occurredAt: '2026-03-01T10:00:00.000Z',
      anonymousId: 'gclid:Cj0KCQiA-fixture-click-id_BwE',
      campaign: '20000000002',
      utm: { source: 'google', medium: 'cpc', id: '20000000002' },
      properties: {
        provider: 'google_ads',
        leadId: LEAD.lead_id,
        formId: '40000000001',
        adGroupId: '130000000003',
        creativeId: '650000000004',
        apiVersion: '1.0',
        gclid: 'Cj0KCQiA-fixture-click-id_BwE',
      },
    });
    const parsed = eventSchema.safeParse(event);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('never copies the form answers (personal data)', () => {
    const text = JSON.stringify(handleGoogleAds(post(FIXTURE), secrets, NOW).events);
    for (const answer of ['Ana Example', 'ana@example.com', '+15550100', '11-50'])
      expect(text).not.toContain(answer);
  });

  it('keys a lead without a click id by its lead id, and uses lead_submit_time when present', () => {
    const { gcl_id: _gclid, ...withoutClick } = LEAD;
    const [event] = handleGoogleAds(
      post({ ...withoutClick, lead_submit_time: '2026-03-01T09:59:30Z' }),
      secrets,
      NOW,
    ).events;
    expect(event).toMatchObject({
      anonymousId: `google-ads-lead:${LEAD.lead_id}`,
      occurredAt: '2026-03-01T09:59:30.000Z',
    });
    expect(eventSchema.safeParse(event).success).toBe(true);
  });

  it('keeps 64-bit ids exact, sent as numbers or strings', () => {
    const raw = FIXTURE.replace('"campaign_id": 20000000002', '"campaign_id": 9223372036854775807');
    expect(handleGoogleAds(post(raw), secrets, NOW).events[0]).toMatchObject({
      campaign: '9223372036854775807',
    });
    const [asText] = handleGoogleAds(post({ ...LEAD, campaign_id: '20000000002' }), secrets, NOW).events;
    expect(asText).toMatchObject({ campaign: '20000000002' });
  });

  it('accepts test leads ("Send test data") without adding a conversion', () => {
    expect(handleGoogleAds(post({ ...LEAD, is_test: true }), secrets, NOW)).toEqual({ events: [] });
  });

  it('tags the lead with UTM values the default channel rules read as paid_search', () => {
    const classifier = createChannelClassifier({
      rules: DEFAULT_CHANNEL_RULES,
      catalogue: createReferrerCatalogue(),
      ownDomains: ['acme.example'],
    });
    for (const event of handleGoogleAds(post(FIXTURE), secrets, NOW).events) {
      const utm = event.utm as Record<string, string>;
      expect(classifier.classify({ eventType: 'conversion', utm })).toBe('paid_search');
    }
  });
});

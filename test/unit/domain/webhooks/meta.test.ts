import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { createChannelClassifier } from '#domain/channels.ts';
import { eventSchema } from '#domain/event-schema.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { handleMeta, metaSecretsSchema } from '#domain/webhooks/meta.ts';
import type { WebhookRequest } from '#domain/webhooks/types.ts';
import { statusOf } from '../../../support/webhooks.ts';

const NOW = Date.UTC(2026, 2, 1, 10); // 2026-03-01T10:00:00Z
const FIXTURE = readFileSync(
  new URL('../../../fixtures/webhooks/meta-leadgen.json', import.meta.url),
  'utf8',
);
const secrets = { appSecret: 'fixture-app-secret-5f1d3c', verifyToken: 'fixture-verify-token' };

/** Meta's scheme: X-Hub-Signature-256 = sha256=<hex HMAC-SHA256 of the raw body, keyed with the app secret>. */
function signedPost(body: string, appSecret = secrets.appSecret): WebhookRequest {
  const signature = createHmac('sha256', appSecret).update(body, 'utf8').digest('hex');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
    query: {},
    rawBody: Buffer.from(body, 'utf8'),
  };
}

function challenge(query: Record<string, string | undefined>): WebhookRequest {
  return { method: 'GET', headers: {}, query, rawBody: Buffer.alloc(0) };
}

const status = statusOf;

describe('Meta verification challenge', () => {
  const query = {
    'hub.mode': 'subscribe',
    'hub.verify_token': 'fixture-verify-token',
    'hub.challenge': '1158201444',
  };

  it('answers the challenge as text when the verify token matches', () => {
    expect(handleMeta(challenge(query), secrets, NOW)).toEqual({
      events: [],
      reply: { statusCode: 200, contentType: 'text/plain; charset=utf-8', body: '1158201444' },
    });
  });

  it('403s a wrong or missing verify token and a mode other than subscribe', () => {
    for (const change of [
      { 'hub.verify_token': 'fixture-verify-tokem' },
      { 'hub.verify_token': undefined },
      { 'hub.mode': 'unsubscribe' },
    ]) {
      expect(status(() => handleMeta(challenge({ ...query, ...change }), secrets, NOW))).toBe(403);
    }
  });

  it('400s a missing or oversized challenge', () => {
    expect(status(() => handleMeta(challenge({ ...query, 'hub.challenge': undefined }), secrets, NOW))).toBe(
      400,
    );
    expect(
      status(() => handleMeta(challenge({ ...query, 'hub.challenge': '9'.repeat(257) }), secrets, NOW)),
    ).toBe(400);
  });
});

describe('Meta X-Hub-Signature-256', () => {
  it('accepts a genuinely signed notification', () => {
    expect(handleMeta(signedPost(FIXTURE), secrets, NOW).events).toHaveLength(2);
  });

  it('401s a tampered body', () => {
    const request = signedPost(FIXTURE);
    const tampered = {
      ...request,
      rawBody: Buffer.from(FIXTURE.replace('555000111222333', '555000111222334')),
    };
    expect(status(() => handleMeta(tampered, secrets, NOW))).toBe(401);
  });

  it('401s a missing header, a malformed one, and one made with another secret', () => {
    const request = signedPost(FIXTURE);
    const sha1 = createHmac('sha1', secrets.appSecret).update(FIXTURE).digest('hex');
    for (const header of [
      undefined,
      '',
      `sha1=${sha1}`,
      'sha256=zz',
      request.headers['x-hub-signature-256']?.slice(7),
    ]) {
      const headers = { ...request.headers, 'x-hub-signature-256': header };
      expect(status(() => handleMeta({ ...request, headers }, secrets, NOW))).toBe(401);
    }
    expect(status(() => handleMeta(signedPost(FIXTURE, 'another-app-secret'), secrets, NOW))).toBe(401);
  });

  it('has no timestamp to expire: an old redelivery passes and maps to the same event ids', () => {
    const first = handleMeta(signedPost(FIXTURE), secrets, NOW).events.map((event) => event.eventId);
    const dayLater = handleMeta(signedPost(FIXTURE), secrets, NOW + 86_400_000).events.map(
      (event) => event.eventId,
    );
    expect(dayLater).toEqual(first);
  });

  it('needs both an app secret and a verify token', () => {
    expect(metaSecretsSchema.safeParse(secrets).success).toBe(true);
    expect(metaSecretsSchema.safeParse({ appSecret: 'x' }).success).toBe(false);
    expect(metaSecretsSchema.safeParse({ appSecret: '', verifyToken: 'y' }).success).toBe(false);
  });
});

describe('Meta mapping', () => {
  it('maps each leadgen change to a lead conversion and skips other fields', () => {
    const events = handleMeta(signedPost(FIXTURE), secrets, NOW).events;
    expect(events).toEqual([
      {
        eventId: 'meta:555000111222333',
        type: 'conversion',
        name: 'lead',
        occurredAt: '2026-03-01T09:55:50.000Z',
        anonymousId: 'meta-lead:555000111222333',
        utm: { source: 'facebook', medium: 'paid_social' },
        properties: {
          provider: 'meta',
          leadgenId: '555000111222333',
          adId: '238000111222333',
          adGroupId: '238000111222333',
          formId: '901000111222333',
          pageId: '100200300400500',
        },
      },
      expect.objectContaining({
        eventId: 'meta:555000444555666',
        name: 'lead',
        // No created_time: the entry's time.
        occurredAt: '2026-03-01T09:58:20.000Z',
      }),
    ]);
    for (const event of events) {
      const parsed = eventSchema.safeParse(event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it('takes a campaign id when the value carries one', () => {
    const payload = JSON.parse(FIXTURE);
    payload.entry[0].changes[0].value.campaign_id = '120000999888777';
    const [event] = handleMeta(signedPost(JSON.stringify(payload)), secrets, NOW).events;
    expect(event).toMatchObject({ campaign: '120000999888777' });
  });

  it('accepts notifications of other objects and fields without events, and 400s a signed non-JSON body', () => {
    const other = JSON.stringify({ object: 'instagram', entry: [{ id: '1', time: 1, changes: [] }] });
    expect(handleMeta(signedPost(other), secrets, NOW)).toEqual({ events: [] });
    expect(status(() => handleMeta(signedPost('object=page'), secrets, NOW))).toBe(400);
  });

  it('tags the lead with UTM values the default channel rules read as paid_social', () => {
    const classifier = createChannelClassifier({
      rules: DEFAULT_CHANNEL_RULES,
      catalogue: createReferrerCatalogue(),
      ownDomains: ['acme.example'],
    });
    for (const event of handleMeta(signedPost(FIXTURE), secrets, NOW).events) {
      const utm = event.utm as Record<string, string>;
      expect(classifier.classify({ eventType: 'conversion', utm })).toBe('paid_social');
    }
  });
});

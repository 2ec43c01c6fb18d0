import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventSchema } from '#domain/event-schema.ts';
import { handleStandard, standardSecretsSchema } from '#domain/webhooks/standard-webhooks.ts';
import type { WebhookRequest } from '#domain/webhooks/types.ts';
import { statusOf } from '../../../support/webhooks.ts';

const NOW = Date.UTC(2026, 2, 1, 10); // 2026-03-01T10:00:00Z
const NOW_S = NOW / 1000;
const fixture = (name: string) =>
  readFileSync(new URL(`../../../fixtures/webhooks/${name}`, import.meta.url), 'utf8');
const SINGLE = fixture('standard-single.json');
const BATCH = fixture('standard-batch.json');

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const secrets = { secret: SECRET };

interface SignOptions {
  id?: string;
  timestamp?: number;
  secret?: string;
}

/** A request signed by the reference Standard Webhooks library. */
function signedRequest(body: string, options: SignOptions = {}): WebhookRequest {
  const id = options.id ?? 'msg_2fixtureDeliveryId01';
  const timestamp = options.timestamp ?? NOW_S;
  const signature = new Webhook(options.secret ?? SECRET).sign(id, new Date(timestamp * 1000), body);
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    query: {},
    rawBody: Buffer.from(body, 'utf8'),
  };
}

const withHeader = (request: WebhookRequest, name: string, value: string | undefined): WebhookRequest => ({
  ...request,
  headers: { ...request.headers, [name]: value },
});

const status = statusOf;

afterEach(() => {
  vi.useRealTimers();
});

describe('Standard Webhooks signature', () => {
  it('accepts a request signed by the standardwebhooks library', () => {
    expect(handleStandard(signedRequest(SINGLE), secrets, NOW).events).toHaveLength(1);
  });

  it('agrees with the library on what is genuine', () => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
    const request = signedRequest(BATCH);
    const headers = request.headers as Record<string, string>;
    const verifier = new Webhook(SECRET);
    expect(() => verifier.verify(BATCH, headers)).not.toThrow();
    expect(() => verifier.verify(`${BATCH} `, headers)).toThrow();
    expect(
      status(() => handleStandard({ ...request, rawBody: Buffer.from(`${BATCH} `) }, secrets, NOW)),
    ).toBe(401);
  });

  it('401s a tampered body, id or timestamp (all three are signed)', () => {
    const request = signedRequest(SINGLE);
    const tampered = { ...request, rawBody: Buffer.from(SINGLE.replace('spring-launch', 'spring-lunch')) };
    expect(status(() => handleStandard(tampered, secrets, NOW))).toBe(401);
    expect(status(() => handleStandard(withHeader(request, 'webhook-id', 'msg_other'), secrets, NOW))).toBe(
      401,
    );
    expect(
      status(() => handleStandard(withHeader(request, 'webhook-timestamp', String(NOW_S + 1)), secrets, NOW)),
    ).toBe(401);
  });

  it('401s a timestamp more than 5 minutes old or ahead, even when signed', () => {
    expect(
      status(() => handleStandard(signedRequest(SINGLE, { timestamp: NOW_S - 301 }), secrets, NOW)),
    ).toBe(401);
    expect(
      status(() => handleStandard(signedRequest(SINGLE, { timestamp: NOW_S + 301 }), secrets, NOW)),
    ).toBe(401);
    expect(
      status(() => handleStandard(signedRequest(SINGLE, { timestamp: NOW_S - 300 }), secrets, NOW)),
    ).toBe(200);
  });

  it('401s a missing webhook-id, webhook-timestamp or webhook-signature header', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(
        status(() => handleStandard(withHeader(signedRequest(SINGLE), name, undefined), secrets, NOW)),
      ).toBe(401);
    }
  });

  it('401s a signature made with another secret', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    expect(status(() => handleStandard(signedRequest(SINGLE, { secret: other }), secrets, NOW))).toBe(401);
  });

  it('accepts any one matching v1 signature among several (key rotation) and skips other versions', () => {
    const request = signedRequest(SINGLE);
    const genuine = request.headers['webhook-signature'] ?? '';
    const stale = new Webhook(`whsec_${randomBytes(32).toString('base64')}`).sign(
      'msg_2fixtureDeliveryId01',
      new Date(NOW),
      SINGLE,
    );
    const rotated = withHeader(request, 'webhook-signature', `${stale} v1a,${genuine.slice(3)} ${genuine}`);
    expect(status(() => handleStandard(rotated, secrets, NOW))).toBe(200);
    // The right bytes under another version name do not count.
    const wrongVersion = withHeader(request, 'webhook-signature', `v1a,${genuine.slice(3)} ${stale}`);
    expect(status(() => handleStandard(wrongVersion, secrets, NOW))).toBe(401);
  });

  it('405s a GET and 400s a signed payload it cannot read', () => {
    expect(status(() => handleStandard({ ...signedRequest(SINGLE), method: 'GET' }, secrets, NOW))).toBe(405);
    for (const body of [
      'not json',
      '{"type":"x","data":[]}',
      '{"data":{"events":{}}}',
      '{"data":{"events":[1]}}',
    ]) {
      expect(status(() => handleStandard(signedRequest(body), secrets, NOW))).toBe(400);
    }
  });

  it('takes a whsec_ secret of 24 to 64 bytes', () => {
    expect(standardSecretsSchema.safeParse(secrets).success).toBe(true);
    expect(
      standardSecretsSchema.safeParse({ secret: `whsec_${randomBytes(24).toString('base64')}` }).success,
    ).toBe(true);
    for (const bad of [
      `whsec_${randomBytes(16).toString('base64')}`,
      `whsec_${randomBytes(65).toString('base64')}`,
      'whsec_not base64!',
      '',
    ]) {
      expect(standardSecretsSchema.safeParse({ secret: bad }).success).toBe(false);
    }
  });
});

describe('Standard Webhooks mapping', () => {
  it('passes one event through, with the delivery id as event id and the payload time as occurredAt', () => {
    const [event] = handleStandard(signedRequest(SINGLE), secrets, NOW).events;
    expect(event).toMatchObject({
      eventId: 'standard:msg_2fixtureDeliveryId01',
      type: 'ad_click',
      occurredAt: '2026-03-01T09:58:00Z',
      platform: 'tiktok',
      campaign: 'spring-launch',
      clickId: 'E.C.P.tt-click-01',
    });
    expect(eventSchema.safeParse(event).success).toBe(true);
  });

  it('passes a list through, each event keeping its own eventId or getting <webhook-id>:<index>', () => {
    const events = handleStandard(signedRequest(BATCH, { id: 'msg_batch7' }), secrets, NOW).events;
    const table: Array<[string, string, Record<string, unknown>]> = [
      ['ad_impression', 'standard:msg_batch7:0', { platform: 'linkedin', count: 1800 }],
      ['ad_click', 'li-click-889', { userId: 'user-ana', clickId: 'li-fat-889' }],
      ['search', 'standard:msg_batch7:2', { query: 'acme shoes', count: 320 }],
      ['page_view', 'standard:msg_batch7:3', { url: 'https://acme.example/pricing' }],
      ['conversion', 'standard:msg_batch7:4', { name: 'signup', occurredAt: '2026-03-01T09:59:00Z' }],
    ];
    expect(events).toHaveLength(table.length);
    table.forEach(([type, eventId, fields], index) => {
      expect(events[index]).toMatchObject({ type, eventId, ...fields });
      const parsed = eventSchema.safeParse(events[index]);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    });
  });

  it('keeps the same event ids when the sender retries the delivery (same webhook-id, new timestamp)', () => {
    const first = handleStandard(signedRequest(BATCH), secrets, NOW).events.map((event) => event.eventId);
    const retry = handleStandard(
      signedRequest(BATCH, { timestamp: NOW_S + 900 }),
      secrets,
      NOW + 900_000,
    ).events;
    expect(retry.map((event) => event.eventId)).toEqual(first);
  });

  it('hashes a webhook-id too long for an event id', () => {
    const id = `msg_${'x'.repeat(200)}`;
    const [event] = handleStandard(signedRequest(SINGLE, { id }), secrets, NOW).events;
    expect(event?.eventId).toMatch(/^standard:sha256:[0-9a-f]{64}$/);
    expect(eventSchema.safeParse(event).success).toBe(true);
  });
});

import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sendgridHelper from '@sendgrid/eventwebhook';
import { describe, expect, it } from 'vitest';
import { eventSchema } from '#domain/event-schema.ts';
import { handleSendgrid, sendgridSecretsSchema } from '#domain/webhooks/sendgrid.ts';
import type { WebhookRequest } from '#domain/webhooks/types.ts';
import { statusOf } from '../../../support/webhooks.ts';

const { EventWebhook } = sendgridHelper;

const NOW = Date.UTC(2026, 2, 1, 10); // 2026-03-01T10:00:00Z
const NOW_S = NOW / 1000;
const FIXTURE = readFileSync(
  new URL('../../../fixtures/webhooks/sendgrid-events.json', import.meta.url),
  'utf8',
);

// SendGrid signs with its own P-256 key and shows the public half; the test plays SendGrid.
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const secrets = { publicKey: publicKeyBase64 };

/** Signed over the bytes as sent: the timestamp's, then the body's (text is sent as UTF-8). */
function signBody(body: string | Buffer, timestamp: string, key = privateKey): string {
  return sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), key).toString('base64');
}

function signedRequest(
  body: string | Buffer,
  timestamp = String(NOW_S),
  signature = signBody(body, timestamp),
): WebhookRequest {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    query: {},
    rawBody: Buffer.from(body),
  };
}

const status = statusOf;

describe('SendGrid signature', () => {
  it('signs the way SendGrid does: its own helper library accepts the test signature', () => {
    const timestamp = String(NOW_S);
    const signature = signBody(FIXTURE, timestamp);
    const helper = new EventWebhook();
    for (const key of [publicKeyBase64, publicKeyPem]) {
      const ecdsaKey = helper.convertPublicKeyToECDSA(key);
      expect(helper.verifySignature(ecdsaKey, FIXTURE, signature, timestamp)).toBe(true);
      expect(helper.verifySignature(ecdsaKey, `${FIXTURE} `, signature, timestamp)).toBe(false);
    }
  });

  it('accepts a genuinely signed request, with the key as base64 DER or PEM', () => {
    expect(handleSendgrid(signedRequest(FIXTURE), secrets, NOW).events.length).toBeGreaterThan(0);
    expect(
      handleSendgrid(signedRequest(FIXTURE), { publicKey: publicKeyPem }, NOW).events.length,
    ).toBeGreaterThan(0);
  });

  it('401s a tampered body', () => {
    const request = signedRequest(FIXTURE);
    const tampered = { ...request, rawBody: Buffer.from(FIXTURE.replace('spring-sale', 'spring-sa1e')) };
    expect(status(() => handleSendgrid(tampered, secrets, NOW))).toBe(401);
  });

  it('401s a tampered timestamp (the timestamp is signed too)', () => {
    const request = signedRequest(FIXTURE);
    const headers = { ...request.headers, 'x-twilio-email-event-webhook-timestamp': String(NOW_S + 1) };
    expect(status(() => handleSendgrid({ ...request, headers }, secrets, NOW))).toBe(401);
  });

  it('401s a timestamp more than 5 minutes old or ahead, even when signed', () => {
    expect(status(() => handleSendgrid(signedRequest(FIXTURE, String(NOW_S - 301)), secrets, NOW))).toBe(401);
    expect(status(() => handleSendgrid(signedRequest(FIXTURE, String(NOW_S + 301)), secrets, NOW))).toBe(401);
    expect(status(() => handleSendgrid(signedRequest(FIXTURE, String(NOW_S - 300)), secrets, NOW))).toBe(200);
    expect(status(() => handleSendgrid(signedRequest(FIXTURE, String(NOW_S + 300)), secrets, NOW))).toBe(200);
  });

  it('401s a missing signature or timestamp header', () => {
    for (const name of ['x-twilio-email-event-webhook-signature', 'x-twilio-email-event-webhook-timestamp']) {
      const request = signedRequest(FIXTURE);
      const headers = { ...request.headers, [name]: undefined };
      expect(status(() => handleSendgrid({ ...request, headers }, secrets, NOW))).toBe(401);
    }
  });

  it('401s a signature by another key, a malformed signature and a malformed timestamp', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const timestamp = String(NOW_S);
    const byOther = signedRequest(FIXTURE, timestamp, signBody(FIXTURE, timestamp, other));
    expect(status(() => handleSendgrid(byOther, secrets, NOW))).toBe(401);
    expect(
      status(() => handleSendgrid(signedRequest(FIXTURE, timestamp, 'bm90IGEgc2lnbmF0dXJl'), secrets, NOW)),
    ).toBe(401);
    expect(status(() => handleSendgrid(signedRequest(FIXTURE, 'yesterday'), secrets, NOW))).toBe(401);
  });

  it('405s a GET and 400s a signed body that is not a JSON array', () => {
    expect(status(() => handleSendgrid({ ...signedRequest(FIXTURE), method: 'GET' }, secrets, NOW))).toBe(
      405,
    );
    expect(status(() => handleSendgrid(signedRequest('{"event":"open"}'), secrets, NOW))).toBe(400);
    expect(status(() => handleSendgrid(signedRequest('[{"event":'), secrets, NOW))).toBe(400);
  });
});

describe('SendGrid secrets', () => {
  it('takes a P-256 public key as base64 DER or PEM and refuses anything else', () => {
    expect(sendgridSecretsSchema.safeParse({ publicKey: publicKeyBase64 }).success).toBe(true);
    expect(sendgridSecretsSchema.safeParse({ publicKey: publicKeyPem }).success).toBe(true);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const rsaBase64 = rsa.export({ type: 'spki', format: 'der' }).toString('base64');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const p384Base64 = p384.export({ type: 'spki', format: 'der' }).toString('base64');
    for (const bad of [rsaBase64, p384Base64, 'not-a-key', '']) {
      expect(sendgridSecretsSchema.safeParse({ publicKey: bad }).success).toBe(false);
    }
    expect(sendgridSecretsSchema.safeParse({ publicKey: publicKeyBase64, extra: 1 }).success).toBe(false);
  });
});

describe('SendGrid mapping', () => {
  const events = handleSendgrid(signedRequest(FIXTURE), secrets, NOW).events;
  const byId = new Map(events.map((event) => [event.eventId, event]));

  // sg_event_id → expected canonical fields; null: accepted, no event.
  const table: Array<[string, string, Record<string, unknown> | null]> = [
    [
      'processed',
      'cHJvY2Vzc2VkLTAwMDAx',
      { action: 'sent', campaign: 'spring-sale', email: 'ana@example.com' },
    ],
    ['deferred', 'ZGVmZXJyZWQtMDAwMDI', null],
    ['delivered', 'ZGVsaXZlcmVkLTAwMDAz', { action: 'delivered', campaign: 'spring-sale' }],
    ['open', 'b3Blbi0wMDAwNA', { action: 'open', campaign: 'spring-sale', userId: 'user-ana' }],
    [
      'open (machine, marketing campaign)',
      'b3Blbi1tYWNoaW5lLTAwMDA1',
      { action: 'open', campaign: 'March newsletter', email: 'ben@example.com' },
    ],
    [
      'click',
      'Y2xpY2stMDAwMDY',
      {
        action: 'click',
        url: 'https://acme.example/spring?utm_source=sendgrid&utm_medium=email&utm_campaign=spring-sale',
      },
    ],
    ['bounce', 'Ym91bmNlLTAwMDA3', { action: 'bounce', email: 'carl@invalid.example' }],
    ['bounce (blocked)', 'YmxvY2tlZC0wMDAwOA', { action: 'bounce' }],
    ['dropped', 'ZHJvcHBlZC0wMDAwOQ', { action: 'bounce' }],
    ['spamreport', 'c3BhbXJlcG9ydC0wMDAxMA', { action: 'complaint', campaign: 'sendgrid' }],
    ['unsubscribe', 'dW5zdWJzY3JpYmUtMDAwMTE', { action: 'unsubscribe' }],
    ['group_unsubscribe', 'Z3JvdXAtdW5zdWItMDAwMTI', { action: 'unsubscribe', email: 'hugo@example.com' }],
    ['group_resubscribe', 'Z3JvdXAtcmVzdWItMDAwMTM', { action: 'subscribe' }],
  ];

  it.each(table)('%s maps as expected', (_kind, sgEventId, expected) => {
    const event = byId.get(`sendgrid:${sgEventId}`);
    if (expected === null) {
      expect(event).toBeUndefined();
      return;
    }
    expect(event).toMatchObject({ type: 'email', ...expected });
  });

  it('covers every event of the fixture, and nothing else', () => {
    const fixture = JSON.parse(FIXTURE) as Array<{ sg_event_id: string }>;
    expect(table.map(([, id]) => id).sort()).toEqual(fixture.map((item) => item.sg_event_id).sort());
    expect(events).toHaveLength(table.filter(([, , expected]) => expected !== null).length);
  });

  it('gives every event a valid canonical shape', () => {
    for (const event of events) {
      const parsed = eventSchema.safeParse(event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
  });

  it('takes the time from the event, not the request, and keeps what tells events apart', () => {
    expect(byId.get('sendgrid:cHJvY2Vzc2VkLTAwMDAx')).toMatchObject({
      occurredAt: '2026-03-01T09:00:00.000Z',
      properties: {
        provider: 'sendgrid',
        providerEvent: 'processed',
        messageId: 'a1b2c3.filterdrecv-1.spring.0',
      },
    });
    expect(byId.get('sendgrid:b3Blbi1tYWNoaW5lLTAwMDA1')?.properties).toMatchObject({ machineOpen: true });
    expect(byId.get('sendgrid:YmxvY2tlZC0wMDAwOA')?.properties).toMatchObject({ bounceType: 'blocked' });
    expect(byId.get('sendgrid:Z3JvdXAtdW5zdWItMDAwMTI')).not.toHaveProperty('url');
  });

  it('keeps the same event ids when SendGrid redelivers the batch (a new timestamp and signature)', () => {
    const later = String(NOW_S + 600);
    const again = handleSendgrid(signedRequest(FIXTURE, later), secrets, NOW + 600_000).events;
    expect(again.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
  });

  it('falls back to a content hash without sg_event_id, and drops a click URL that is not http(s)', () => {
    const body = JSON.stringify([
      { email: 'a@example.com', timestamp: NOW_S, event: 'click', url: 'mailto:sales@acme.example' },
    ]);
    const [first] = handleSendgrid(signedRequest(body), secrets, NOW).events;
    const [second] = handleSendgrid(signedRequest(body), secrets, NOW).events;
    expect(first?.eventId).toMatch(/^sendgrid:[\w-]{43}$/);
    expect(second?.eventId).toBe(first?.eventId);
    expect(first).not.toHaveProperty('url');
    expect(eventSchema.safeParse(first).success).toBe(true);
  });

  it('cuts a long category before an emoji, never through it, so the event stays valid', () => {
    // 255 letters then 🎉 (two UTF-16 units): a cut at 256 units would keep half of the emoji.
    const category = `${'a'.repeat(255)}🎉 spring sale`;
    const body = JSON.stringify([
      {
        email: 'a@example.com',
        timestamp: NOW_S,
        event: 'open',
        sg_event_id: 'long-1',
        category: [category],
      },
    ]);
    const [event] = handleSendgrid(signedRequest(body), secrets, NOW).events;
    expect(event?.campaign).toBe('a'.repeat(255));
    expect(eventSchema.safeParse(event).success).toBe(true);
  });

  it('names the body when it is not valid JSON, not UTF-8, or not an array', () => {
    const statusAndIssues = (body: Buffer) => {
      try {
        handleSendgrid(signedRequest(body), secrets, NOW);
        return { status: 200 };
      } catch (error) {
        const { statusCode, issues } = error as { statusCode?: number; issues?: unknown };
        return { status: statusCode, issues };
      }
    };
    expect(statusAndIssues(Buffer.from('[{"event":'))).toEqual({
      status: 400,
      issues: [{ path: '(body)', message: 'not valid JSON: it ends too early' }],
    });
    // Bytes FF FE inside a string: no UTF-8 text holds them.
    const badUtf8 = Buffer.concat([
      Buffer.from('[{"event":"open","email":"a'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('@x.com"}]'),
    ]);
    expect(statusAndIssues(badUtf8)).toEqual({
      status: 400,
      issues: [{ path: '(body)', message: 'not valid UTF-8' }],
    });
    expect(statusAndIssues(Buffer.from('{"event":"open"}'))).toEqual({
      status: 400,
      issues: [{ path: '(body)', message: 'must be a JSON array of events' }],
    });
  });
});

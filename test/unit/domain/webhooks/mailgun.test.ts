import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventSchema } from '#domain/event-schema.ts';
import { handleMailgun, mailgunSecretsSchema } from '#domain/webhooks/mailgun.ts';
import { jsonPost, statusOf } from '../../../support/webhooks.ts';

const NOW = Date.UTC(2026, 2, 1, 10); // 2026-03-01T10:00:00Z
const NOW_S = NOW / 1000;
const FIXTURE = JSON.parse(
  readFileSync(new URL('../../../fixtures/webhooks/mailgun-events.json', import.meta.url), 'utf8'),
) as Array<Record<string, unknown> & { id: string; event: string }>;

const SIGNING_KEY = 'fixture-mailgun-signing-key-0123456789abcdef';
const secrets = { signingKey: SIGNING_KEY };

/** Mailgun's scheme: hex HMAC-SHA256 of timestamp + token, keyed with the webhook signing key. */
function mailgunSignature(timestamp: string, token: string, key = SIGNING_KEY): string {
  return createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
}

interface SignOptions {
  timestamp?: string;
  token?: string;
  key?: string;
}

function signedBody(eventData: unknown, options: SignOptions = {}): Record<string, unknown> {
  const timestamp = options.timestamp ?? String(NOW_S);
  const token = options.token ?? randomBytes(25).toString('hex'); // 50 characters, like Mailgun's
  return {
    signature: { timestamp, token, signature: mailgunSignature(timestamp, token, options.key) },
    'event-data': eventData,
  };
}

const post = jsonPost;

const status = statusOf;

const opened = FIXTURE.find((item) => item.event === 'opened');

describe('Mailgun signature', () => {
  it('accepts a genuinely signed request', () => {
    expect(handleMailgun(post(signedBody(opened)), secrets, NOW).events).toHaveLength(1);
  });

  it('401s a tampered signed part: token, timestamp or signature', () => {
    const body = signedBody(opened);
    const signature = body.signature as Record<string, string>;
    /** The same string with its last character changed to another hex digit. */
    const flip = (text = '') => `${text.slice(0, -1)}${text.endsWith('0') ? '1' : '0'}`;
    for (const change of [
      { token: flip(signature.token) },
      { timestamp: String(NOW_S - 1) },
      { signature: flip(signature.signature) },
    ]) {
      const tampered = { ...body, signature: { ...signature, ...change } };
      expect(status(() => handleMailgun(post(tampered), secrets, NOW))).toBe(401);
    }
  });

  it('cannot see a change to event-data: Mailgun signs only timestamp + token (a limit of the scheme)', () => {
    const body = signedBody(opened);
    const changed = { ...body, 'event-data': { ...opened, recipient: 'mallory@example.com' } };
    expect(status(() => handleMailgun(post(changed), secrets, NOW))).toBe(200);
  });

  it('400s a body that is not JSON (the signature is inside it)', () => {
    expect(status(() => handleMailgun(post('{"signature":'), secrets, NOW))).toBe(400);
  });

  it('401s a timestamp more than 5 minutes old or ahead, even when signed', () => {
    for (const offset of [-301, 301]) {
      const body = signedBody(opened, { timestamp: String(NOW_S + offset) });
      expect(status(() => handleMailgun(post(body), secrets, NOW))).toBe(401);
    }
    for (const offset of [-300, 300]) {
      const body = signedBody(opened, { timestamp: String(NOW_S + offset) });
      expect(status(() => handleMailgun(post(body), secrets, NOW))).toBe(200);
    }
  });

  it('401s a missing signature object or a missing field of it', () => {
    expect(status(() => handleMailgun(post({ 'event-data': opened }), secrets, NOW))).toBe(401);
    for (const field of ['timestamp', 'token', 'signature']) {
      const body = signedBody(opened);
      const signature = { ...(body.signature as Record<string, string>) };
      delete signature[field];
      expect(status(() => handleMailgun(post({ ...body, signature }), secrets, NOW))).toBe(401);
    }
  });

  it('401s a signature made with another key and one that is not 64 hex digits', () => {
    expect(status(() => handleMailgun(post(signedBody(opened, { key: 'another-key' })), secrets, NOW))).toBe(
      401,
    );
    const body = signedBody(opened);
    const signature = { ...(body.signature as Record<string, string>), signature: 'zz' };
    expect(status(() => handleMailgun(post({ ...body, signature }), secrets, NOW))).toBe(401);
  });

  it("accepts a subaccount's event by its parent-signature when the key is the primary account's", () => {
    const body = signedBody(opened, { key: 'subaccount-key' });
    const signature = body.signature as Record<string, string>;
    const parentSigned = {
      ...body,
      signature: {
        ...signature,
        'parent-signature': mailgunSignature(signature.timestamp ?? '', signature.token ?? ''),
      },
    };
    expect(handleMailgun(post(parentSigned), secrets, NOW).events).toHaveLength(1);
  });

  it('405s a GET and 400s a signed body without event-data', () => {
    expect(status(() => handleMailgun({ ...post(signedBody(opened)), method: 'GET' }, secrets, NOW))).toBe(
      405,
    );
    expect(status(() => handleMailgun(post({ signature: signedBody({}).signature }), secrets, NOW))).toBe(
      400,
    );
  });

  it('needs a signing key in its secrets', () => {
    expect(mailgunSecretsSchema.safeParse({ signingKey: SIGNING_KEY }).success).toBe(true);
    expect(mailgunSecretsSchema.safeParse({ signingKey: '' }).success).toBe(false);
    expect(mailgunSecretsSchema.safeParse({}).success).toBe(false);
  });
});

describe('Mailgun mapping', () => {
  // event-data id → expected canonical fields; null: accepted, no event.
  const table: Array<[string, string, Record<string, unknown> | null]> = [
    [
      'accepted',
      'QWNjZXB0ZWQtZXZlbnQtMDE',
      { action: 'sent', campaign: 'spring-sale', email: 'ana@example.com' },
    ],
    ['delivered', 'RGVsaXZlcmVkLWV2ZW50LTAy', { action: 'delivered', userId: 'user-ana' }],
    ['opened', 'T3BlbmVkLWV2ZW50LTAz', { action: 'open', campaign: 'march-newsletter', userId: 'user-ana' }],
    [
      'clicked',
      'Q2xpY2tlZC1ldmVudC0wNA',
      { action: 'click', url: 'https://acme.example/spring?utm_source=mailgun&utm_medium=email' },
    ],
    ['failed (permanent)', 'RmFpbGVkLXBlcm0tMDU', { action: 'bounce', email: 'carl@invalid.example' }],
    ['failed (temporary)', 'RmFpbGVkLXRlbXAtMDY', null],
    ['rejected', 'UmVqZWN0ZWQtZXZlbnQtMDc', { action: 'bounce', email: 'erin@example.com' }],
    ['unsubscribed', 'VW5zdWJzY3JpYmVkLTA4', { action: 'unsubscribe', campaign: 'spring-sale' }],
    ['complained', 'Q29tcGxhaW5lZC0wOQ', { action: 'complaint', campaign: 'Winter clearance' }],
    ['stored', 'U3RvcmVkLWV2ZW50LTEw', null],
  ];

  const mapped = new Map(
    FIXTURE.map((data) => [data.id, handleMailgun(post(signedBody(data)), secrets, NOW).events[0]]),
  );

  it.each(table)('%s maps as expected', (_kind, id, expected) => {
    const event = mapped.get(id);
    if (expected === null) {
      expect(event).toBeUndefined();
      return;
    }
    expect(event).toMatchObject({ type: 'email', ...expected });
    const parsed = eventSchema.safeParse(event);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('covers every event of the fixture', () => {
    expect(table.map(([, id]) => id).sort()).toEqual(FIXTURE.map((data) => data.id).sort());
  });

  it('uses the event id and the event time, not the token, for the event id', () => {
    const event = mapped.get('T3BlbmVkLWV2ZW50LTAz');
    expect(event).toMatchObject({
      eventId: 'mailgun:T3BlbmVkLWV2ZW50LTAz:1772356200',
      occurredAt: '2026-03-01T09:10:00.750Z',
      properties: {
        provider: 'mailgun',
        providerEvent: 'opened',
        messageId: '20260301090000.cc33dd44@mg.acme.example',
      },
    });
    expect(mapped.get('RmFpbGVkLXBlcm0tMDU')?.properties).toMatchObject({
      severity: 'permanent',
      reason: 'bounce',
    });
  });

  it('keeps the same event id when Mailgun redelivers (new token, new timestamp, new signature)', () => {
    const first = handleMailgun(post(signedBody(opened)), secrets, NOW).events[0];
    const retry = handleMailgun(
      post(signedBody(opened, { timestamp: String(NOW_S + 600) })),
      secrets,
      NOW + 600_000,
    ).events[0];
    expect(retry?.eventId).toBe(first?.eventId);
  });

  it('falls back to the token when the event has no id', () => {
    const { id: _id, ...withoutId } = opened ?? {};
    const event = handleMailgun(post(signedBody(withoutId, { token: 'a'.repeat(50) })), secrets, NOW)
      .events[0];
    expect(event?.eventId).toBe(`mailgun:token:${'a'.repeat(50)}`);
  });
});

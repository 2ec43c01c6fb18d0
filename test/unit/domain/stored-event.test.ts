import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { eventSchema, storedEventSchema } from '#domain/event-schema.ts';
import { checkEventForConfig, hashEmail, toStoredEvent } from '#domain/stored-event.ts';

const SECRET = 'deployment-secret';
const RECEIVED_AT = '2026-03-01T10:05:00.000Z';
const CONTEXT = { receivedAt: RECEIVED_AT, source: 'events', hashSecret: SECRET };
const config = attributionConfigSchema.parse({
  brand: { name: 'Acme', terms: ['acme'] },
  ownDomains: ['acme.example'],
});

/** Validates the raw event as intake does. */
const parse = (raw: Record<string, unknown>) =>
  eventSchema.parse({ eventId: 'e1', occurredAt: '2026-03-01T10:00:00Z', ...raw });
const hmac = (text: string) => createHmac('sha256', SECRET).update(text).digest('hex');

describe('toStoredEvent: e-mail address', () => {
  const emailEvent = (email: string, more: Record<string, unknown> = {}) =>
    toStoredEvent(parse({ type: 'email', action: 'open', campaign: 'newsletter', email, ...more }), CONTEXT);

  it('stores an HMAC-SHA256 of the lower-cased address under the deployment secret', () => {
    const stored = emailEvent('Jane.Doe@Example.COM');
    expect(stored.emailHash).toBe(hmac('jane.doe@example.com'));
    expect(stored.emailHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never stores the address in clear', () => {
    const stored = emailEvent('Jane.Doe@Example.COM');
    const json = JSON.stringify(stored).toLowerCase();
    expect(json).not.toContain('jane.doe@example.com');
    expect(json).not.toContain('jane.doe');
    expect(stored.event).not.toHaveProperty('email');
  });

  it('keeps everything else of the event as received, with arrival time and route', () => {
    const stored = emailEvent('jane@example.com', { userId: 'u1', properties: { list: 'weekly' } });
    expect(stored).toEqual({
      receivedAt: RECEIVED_AT,
      source: 'events',
      emailHash: hmac('jane@example.com'),
      event: {
        eventId: 'e1',
        occurredAt: '2026-03-01T10:00:00Z',
        type: 'email',
        action: 'open',
        campaign: 'newsletter',
        userId: 'u1',
        properties: { list: 'weekly' },
      },
    });
  });

  it('gives an e-mail-only event a stored form the raw-zone schema reads back', () => {
    // No userId or anonymousId: the hash is who the event is about, so the stored line stays valid.
    const stored = emailEvent('jane@example.com');
    expect(storedEventSchema.parse(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
  });
});

describe('toStoredEvent: other events', () => {
  it('stores an event without an address unchanged, with no hash', () => {
    const event = parse({ type: 'page_view', anonymousId: 'a1', url: 'https://acme.example/?gclid=1' });
    const stored = toStoredEvent(event, { ...CONTEXT, source: 'segment' });
    expect(stored).toEqual({ receivedAt: RECEIVED_AT, source: 'segment', event });
    expect(stored).not.toHaveProperty('emailHash');
    // Nothing derived from the config (channel, stage, click id) is stored.
    expect(stored.event).not.toHaveProperty('channel');
    expect(stored.event).not.toHaveProperty('stage');
    expect(storedEventSchema.parse(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
  });
});

describe('hashEmail', () => {
  it('stores a user or anonymous id that is an e-mail address as its hash, as every sender does', () => {
    const stored = toStoredEvent(
      parse({
        type: 'identify',
        userId: 'Jane@Example.com',
        anonymousId: 'anon-1',
        previousId: 'old@example.com',
      }),
      CONTEXT,
    );
    expect(stored.event).toMatchObject({
      userId: hmac('jane@example.com'),
      anonymousId: 'anon-1',
      previousId: hmac('old@example.com'),
    });
    expect(storedEventSchema.safeParse(JSON.parse(JSON.stringify(stored))).success).toBe(true);
  });

  it('hashes case and surrounding whitespace away', () => {
    expect(hashEmail('  Jane.Doe@Example.COM\t', SECRET)).toBe(hmac('jane.doe@example.com'));
    expect(hashEmail('jane.doe@example.com', SECRET)).toBe(hashEmail('JANE.DOE@EXAMPLE.COM', SECRET));
  });

  it('gives different hashes under different secrets', () => {
    expect(hashEmail('jane@example.com', 'one')).not.toBe(hashEmail('jane@example.com', 'two'));
  });
});

describe('checkEventForConfig', () => {
  const check = (raw: Record<string, unknown>) => checkEventForConfig(parse(raw), config);

  it('finds nothing wrong with money in the configured currency or no money', () => {
    expect(
      check({ type: 'conversion', userId: 'u1', name: 'lead', value: { amount: 1, currency: 'USD' } }),
    ).toEqual([]);
    expect(check({ type: 'conversion', userId: 'u1', name: 'lead' })).toEqual([]);
  });

  it('names cost.currency and value.currency for another currency', () => {
    expect(
      check({
        type: 'ad_impression',
        platform: 'meta',
        campaign: 'c',
        cost: { amount: 1, currency: 'EUR' },
      }).map((issue) => issue.path),
    ).toEqual(['cost.currency']);
    expect(
      check({ type: 'conversion', userId: 'u1', name: 'lead', value: { amount: 1, currency: 'EUR' } }).map(
        (issue) => issue.path,
      ),
    ).toEqual(['value.currency']);
  });
});

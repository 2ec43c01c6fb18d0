import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { createChannelClassifier } from '#domain/channels.ts';
import { attributionConfigSchema } from '#domain/config.ts';
import { ValidationError } from '#domain/errors.ts';
import { validateEventBatch } from '#domain/event-batch.ts';
import { createNormaliser } from '#domain/normalise.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';

const config = attributionConfigSchema.parse({
  brand: { name: 'Acme', terms: ['acme'] },
  ownDomains: ['acme.example'],
  currency: 'USD',
});
const normaliser = createNormaliser({
  config,
  classifier: createChannelClassifier({
    rules: DEFAULT_CHANNEL_RULES,
    catalogue: createReferrerCatalogue(),
    ownDomains: config.ownDomains,
  }),
  hashSecret: 'test-secret',
});
const RECEIVED_AT = '2026-03-01T10:05:00.000Z';

const pageView = (eventId: string, more: Record<string, unknown> = {}) => ({
  eventId,
  type: 'page_view',
  occurredAt: '2026-03-01T10:00:00Z',
  anonymousId: 'a1',
  url: 'https://acme.example/',
  ...more,
});

/** Runs the batch and returns the ValidationError it throws (fails the test if it does not throw). */
function envelopeError(body: unknown): ValidationError {
  try {
    validateEventBatch(body, normaliser, RECEIVED_AT);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('validateEventBatch: envelope', () => {
  it.each([
    ['a missing events list', {}],
    ['events that is not a list', { events: { eventId: 'x' } }],
    ['an empty events list', { events: [] }],
  ])('throws a ValidationError naming events for %s', (_what, body) => {
    const error = envelopeError(body);
    expect(error.statusCode).toBe(400);
    expect(error.issues.map((issue) => issue.path)).toEqual(['events']);
    expect(error.message).toContain('events');
  });

  it('throws a ValidationError at the root for a body that is not an object', () => {
    expect(envelopeError(null).issues.map((issue) => issue.path)).toEqual(['(root)']);
    expect(envelopeError([pageView('e1')]).issues.map((issue) => issue.path)).toEqual(['(root)']);
  });

  it('throws for 501 events and says the limit', () => {
    const events = Array.from({ length: 501 }, (_, i) => pageView(`e${i}`));
    const error = envelopeError({ events });
    expect(error.issues).toEqual([{ path: 'events', message: 'must hold at most 500 events' }]);
  });

  it('accepts exactly 500 events', () => {
    const events = Array.from({ length: 500 }, (_, i) => pageView(`e${i}`));
    const outcome = validateEventBatch({ events }, normaliser, RECEIVED_AT);
    expect(outcome.accepted).toHaveLength(500);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.rejected).toEqual([]);
  });
});

describe('validateEventBatch: events one by one', () => {
  it('keeps the valid events of a mixed batch and reports the rejected indexes with field paths', () => {
    const outcome = validateEventBatch(
      {
        events: [
          pageView('ok-0'),
          pageView('bad-1', { occurredAt: '2026-02-30T10:00:00Z' }),
          pageView('ok-2'),
          { eventId: 'bad-3', type: 'tap', occurredAt: '2026-03-01T10:00:00Z' },
          pageView('bad-4', { url: 'ftp://acme.example/', utm: { source: '' } }),
          'not an event',
        ],
      },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.accepted.map((event) => event.eventId)).toEqual(['ok-0', 'ok-2']);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.rejected.map((r) => r.index)).toEqual([1, 3, 4, 5]);
    const paths = (index: number) =>
      new Set(outcome.rejected.find((r) => r.index === index)?.errors.map((e) => e.path));
    expect(paths(1)).toEqual(new Set(['occurredAt']));
    expect(paths(3)).toEqual(new Set(['type']));
    expect(paths(4)).toEqual(new Set(['url', 'utm.source']));
    expect(paths(5)).toEqual(new Set(['(root)']));
  });

  it('reports every event of an all-bad batch as rejected without throwing', () => {
    const outcome = validateEventBatch({ events: [{}, { type: 'page_view' }] }, normaliser, RECEIVED_AT);
    expect(outcome.accepted).toEqual([]);
    expect(outcome.rejected.map((r) => r.index)).toEqual([0, 1]);
  });

  it('returns normalised events stamped with the receive time', () => {
    const [event] = validateEventBatch({ events: [pageView('e1')] }, normaliser, RECEIVED_AT).accepted;
    expect(event).toMatchObject({
      eventId: 'e1',
      receivedAt: RECEIVED_AT,
      userKey: 'a:a1',
      channel: 'direct',
    });
  });
});

describe('validateEventBatch: duplicates', () => {
  it('counts a repeated eventId in the batch as a duplicate and keeps the first one', () => {
    const outcome = validateEventBatch(
      {
        events: [
          pageView('same', { url: 'https://acme.example/first' }),
          pageView('other'),
          pageView('same', { url: 'https://acme.example/second' }),
          pageView('same', { url: 'https://acme.example/third' }),
        ],
      },
      normaliser,
      RECEIVED_AT,
    );
    // 4 events: 'same' ×3 + 'other' ×1 → 2 accepted, 3 − 1 = 2 duplicates.
    expect(outcome.accepted.map((e) => [e.eventId, e.url])).toEqual([
      ['same', 'https://acme.example/first'],
      ['other', 'https://acme.example/'],
    ]);
    expect(outcome.duplicates).toBe(2);
    expect(outcome.rejected).toEqual([]);
  });

  it('rejects an invalid repeat instead of counting it as a duplicate', () => {
    const outcome = validateEventBatch(
      { events: [pageView('same'), pageView('same', { url: 'nope' })] },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.accepted).toHaveLength(1);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.rejected.map((r) => r.index)).toEqual([1]);
  });

  it('accepts a valid event whose eventId came earlier only in a rejected event', () => {
    const outcome = validateEventBatch(
      { events: [pageView('same', { url: 'nope' }), pageView('same')] },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.accepted.map((e) => e.eventId)).toEqual(['same']);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.rejected.map((r) => r.index)).toEqual([0]);
  });
});

describe('validateEventBatch: currency', () => {
  it('rejects an ad cost in another currency than the configured one at cost.currency', () => {
    const outcome = validateEventBatch(
      {
        events: [
          {
            eventId: 'imp-eur',
            type: 'ad_impression',
            occurredAt: '2026-03-01T10:00:00Z',
            platform: 'meta',
            campaign: 'spring',
            cost: { amount: 5, currency: 'EUR' },
          },
        ],
      },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.accepted).toEqual([]);
    expect(outcome.rejected).toEqual([
      { index: 0, errors: [{ path: 'cost.currency', message: expect.stringContaining('USD') }] },
    ]);
  });

  it('rejects a conversion value in another currency at value.currency and keeps the rest', () => {
    const conversion = (eventId: string, currency: string) => ({
      eventId,
      type: 'conversion',
      occurredAt: '2026-03-01T10:00:00Z',
      userId: 'u1',
      name: 'purchase',
      value: { amount: 20, currency },
    });
    const outcome = validateEventBatch(
      { events: [conversion('usd', 'USD'), conversion('gbp', 'GBP')] },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.accepted.map((e) => [e.eventId, e.valueMicros])).toEqual([['usd', 20_000_000]]);
    expect(outcome.rejected).toEqual([
      { index: 1, errors: [{ path: 'value.currency', message: expect.stringContaining('USD') }] },
    ]);
  });

  it('rejects an ad click cost in another currency too', () => {
    const outcome = validateEventBatch(
      {
        events: [
          {
            eventId: 'clk',
            type: 'ad_click',
            occurredAt: '2026-03-01T10:00:00Z',
            userId: 'u1',
            platform: 'google_ads',
            campaign: 'spring',
            cost: { amount: 0.5, currency: 'JPY' },
          },
        ],
      },
      normaliser,
      RECEIVED_AT,
    );
    expect(outcome.rejected.map((r) => r.errors.map((e) => e.path))).toEqual([['cost.currency']]);
  });
});

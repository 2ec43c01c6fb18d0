import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { eventSchema } from '#domain/event-schema.ts';
import { eventIdOf, mapSegmentMessage, type SegmentMessage, segmentMessageSchema } from '#domain/segment.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';

const config = attributionConfigSchema.parse({
  brand: { name: 'Acme', terms: ['acme'] },
  ownDomains: ['acme.example'],
  stages: { decision: ['purchase'] },
});
const RECEIVED_AT = '2026-03-02T10:00:00.000Z';
const UNSAFE = 'is an integer beyond ±2^53, which JSON numbers cannot hold exactly; send it as a string';

const message = (raw: Record<string, unknown>): SegmentMessage => segmentMessageSchema.parse(raw);
/** The canonical event a message maps to, as intake would validate it next. */
const mapped = (raw: Record<string, unknown>) => {
  const mapping = mapSegmentMessage(message(raw), config, { receivedAt: RECEIVED_AT });
  if (mapping.kind !== 'event') throw new Error('archived');
  return mapping.event;
};
const issuesOf = (raw: Record<string, unknown>) => {
  const parsed = segmentMessageSchema.safeParse(raw);
  return parsed.success ? [] : toFieldIssues(parsed.error);
};

describe('segmentMessageSchema: ids', () => {
  it('takes a blank userId as no user id, so the anonymous id still carries the message', () => {
    expect(
      message({ type: 'track', event: 'lead', userId: '   ', anonymousId: 'a1' }).userId,
    ).toBeUndefined();
  });

  it('refuses numeric ids and order ids beyond 2^53 instead of rounding two of them into one', () => {
    // The JSON text 12345678901234567891 (and …892) parses to the double 12345678901234567000.
    const big = JSON.parse('12345678901234567891') as number;
    expect(issuesOf({ type: 'track', event: 'lead', userId: big })).toEqual([
      { path: 'userId', message: UNSAFE },
    ]);
    expect(
      issuesOf({
        type: 'track',
        event: 'purchase',
        userId: 'u1',
        properties: { order_id: big },
      }),
    ).toEqual([{ path: 'properties.order_id', message: UNSAFE }]);
    expect(message({ type: 'track', event: 'lead', userId: 9007199254740991 }).userId).toBe(
      '9007199254740991',
    );
  });
});

describe('mapSegmentMessage', () => {
  it('keeps a client time whose clock correction would leave the calendar, for the event schema to refuse', () => {
    // receivedAt − (sentAt − timestamp) = 2026 − 400,000 years: no Date holds it.
    const event = mapped({
      type: 'track',
      event: 'purchase',
      userId: 'u1',
      timestamp: '-200000-01-01T00:00:00Z',
      sentAt: '+200000-01-01T00:00:00Z',
    });
    expect(event.occurredAt).toBe('-200000-01-01T00:00:00.000Z');
    const parsed = eventSchema.safeParse(event);
    expect(parsed.success ? [] : toFieldIssues(parsed.error).map((issue) => issue.path)).toEqual([
      'occurredAt',
    ]);
  });

  it('corrects a client clock by the delay between sending and receiving', () => {
    // Sent 10 s after it happened by the client's clock, received at 10:00:00: it happened at 09:59:50.
    const event = mapped({
      type: 'track',
      event: 'purchase',
      userId: 'u1',
      timestamp: '2025-01-01T00:00:00Z',
      sentAt: '2025-01-01T00:00:10Z',
    });
    expect(event.occurredAt).toBe('2026-03-02T09:59:50.000Z');
  });

  it('reads a blank revenue as absent, so the value behind it counts', () => {
    const event = mapped({
      type: 'track',
      event: 'purchase',
      userId: 'u1',
      properties: { revenue: '', value: 25 },
    });
    expect(event.value).toEqual({ amount: 25, currency: config.currency });
  });

  it('cuts a page URL longer than an event holds instead of losing the page view', () => {
    const url = `https://acme.example/landing?utm_source=news&q=${'a'.repeat(5000)}`;
    const event = mapped({ type: 'page', anonymousId: 'a1', properties: { url } });
    expect(event.url).toBe(url.slice(0, 4096));
    expect(eventSchema.safeParse(event).success).toBe(true);
  });
});

describe('eventIdOf', () => {
  const untimed = message({ type: 'page', anonymousId: 'a1', properties: { url: 'https://acme.example/' } });

  it('is the message id when there is one', () => {
    expect(eventIdOf(message({ type: 'page', messageId: 'm-1', anonymousId: 'a1' }), RECEIVED_AT)).toBe(
      'm-1',
    );
  });

  it('recognises a retry of a message without id or time on the same day, not the same page view a day later', () => {
    const first = eventIdOf(untimed, '2026-03-02T10:00:00.000Z');
    expect(eventIdOf(untimed, '2026-03-02T23:59:59.000Z')).toBe(first);
    expect(eventIdOf(untimed, '2026-03-03T10:00:00.000Z')).not.toBe(first);
  });

  it('ignores the arrival day for a message with a time of its own (the time tells them apart)', () => {
    const timed = message({ type: 'page', anonymousId: 'a1', timestamp: '2026-03-02T09:00:00Z' });
    expect(eventIdOf(timed, '2026-03-02T10:00:00.000Z')).toBe(eventIdOf(timed, '2026-03-05T10:00:00.000Z'));
  });
});

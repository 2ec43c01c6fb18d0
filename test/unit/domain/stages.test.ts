import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { EMAIL_ACTIONS, eventSchema } from '#domain/event-schema.ts';
import { stageOf } from '#domain/stages.ts';

const defaults = attributionConfigSchema.parse({ brand: { name: 'Acme', terms: ['acme'] } }).stages;
const custom = attributionConfigSchema.parse({
  brand: { name: 'Acme', terms: ['acme'] },
  stages: {
    decision: ['demo_booked'],
    retention: ['upgrade', 'renewal'],
    advocacy: ['nps_promoter'],
  },
}).stages;

const base = { eventId: 'e1', occurredAt: '2026-03-01T10:00:00Z', userId: 'u1' };
const event = (raw: Record<string, unknown>) => eventSchema.parse({ ...base, ...raw });
const conversion = (name: string, more: Record<string, unknown> = {}) =>
  event({ type: 'conversion', name, ...more });

describe('stageOf: default mapping', () => {
  it('puts ad impressions and searches in awareness', () => {
    expect(stageOf(event({ type: 'ad_impression', platform: 'meta', campaign: 'c' }), defaults)).toBe(
      'awareness',
    );
    expect(stageOf(event({ type: 'search', query: 'acme' }), defaults)).toBe('awareness');
  });

  it('puts ad clicks and page views in consideration', () => {
    expect(stageOf(event({ type: 'ad_click', platform: 'meta', campaign: 'c' }), defaults)).toBe(
      'consideration',
    );
    expect(stageOf(event({ type: 'page_view', url: 'https://acme.example/' }), defaults)).toBe(
      'consideration',
    );
  });

  it.each(EMAIL_ACTIONS)('maps e-mail %s to consideration only for open and click', (action) => {
    const expected = action === 'open' || action === 'click' ? 'consideration' : undefined;
    expect(stageOf(event({ type: 'email', action, campaign: 'c' }), defaults)).toBe(expected);
  });

  it.each([
    ['lead', 'decision'],
    ['signup', 'decision'],
    ['purchase', 'decision'],
    ['renewal', 'retention'],
    ['repeat_purchase', 'retention'],
    ['referral_signup', 'advocacy'],
    ['review', 'advocacy'],
  ] as const)('maps the conversion %s to %s', (name, stage) => {
    expect(stageOf(conversion(name), defaults)).toBe(stage);
  });

  it('maps a conversion name in no list to decision', () => {
    expect(stageOf(conversion('webinar_signup'), defaults)).toBe('decision');
  });

  it('matches conversion names exactly (case matters)', () => {
    // "Renewal" is not "renewal", so it falls back to decision.
    expect(stageOf(conversion('Renewal'), defaults)).toBe('decision');
  });
});

describe('stageOf: configured conversion names', () => {
  it('uses the names of the config', () => {
    expect(stageOf(conversion('upgrade'), custom)).toBe('retention');
    expect(stageOf(conversion('renewal'), custom)).toBe('retention');
    expect(stageOf(conversion('nps_promoter'), custom)).toBe('advocacy');
    expect(stageOf(conversion('demo_booked'), custom)).toBe('decision');
  });

  it('drops the default names the config replaced', () => {
    // advocacy is ['nps_promoter'] now, so 'review' is unknown → decision.
    expect(stageOf(conversion('review'), custom)).toBe('decision');
    expect(stageOf(conversion('repeat_purchase'), custom)).toBe('decision');
  });

  it('does not change the stage of non-conversion events', () => {
    expect(stageOf(event({ type: 'search', query: 'acme' }), custom)).toBe('awareness');
    expect(stageOf(event({ type: 'page_view', url: 'https://acme.example/' }), custom)).toBe('consideration');
  });
});

describe('stageOf: the event’s own stage', () => {
  it('lets the stage of a conversion win over the mapping', () => {
    expect(stageOf(conversion('renewal', { stage: 'advocacy' }), defaults)).toBe('advocacy');
    expect(stageOf(conversion('purchase', { stage: 'retention' }), defaults)).toBe('retention');
    expect(stageOf(conversion('unknown_goal', { stage: 'awareness' }), custom)).toBe('awareness');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attributionConfigSchema } from '#domain/config.ts';
import { eventSchema } from '#domain/event-schema.ts';
import { DEMO_SURVEY_ANSWERS, generateDemoMonth } from '#local/demo-data.ts';

type Event = Record<string, unknown>;
const month = generateDemoMonth('2026-03-31');
const config = attributionConfigSchema.parse(
  JSON.parse(readFileSync(new URL('../../../attribution.config.json', import.meta.url), 'utf8')),
);
const of = (type: string, action?: string) =>
  month.events.filter((e) => e.type === type && (action === undefined || e.action === action));
const at = (e: Event) => Date.parse(e.occurredAt as string);
const monthStart = Date.parse(`${month.from}T00:00:00Z`);
const monthEnd = Date.parse(`${month.to}T23:59:59Z`);
/** An e-mail's recipient within its campaign, as the funnel counts them. */
const recipient = (e: Event) => `${e.campaign}|${(e.userId ?? e.email) as string}`;

describe('the demo month', () => {
  it('is the same for the same seed, of about the same size as before, and every event is valid', () => {
    expect(generateDemoMonth('2026-03-31')).toEqual(month);
    expect(month.events.length).toBeGreaterThan(2_500);
    expect(month.events.length).toBeLessThan(4_000);
    const rejected = month.events.filter((e) => !eventSchema.safeParse(e).success);
    expect(rejected).toEqual([]);
    expect(new Set(month.events.map((e) => e.eventId)).size).toBe(month.events.length);
    for (const e of month.events) {
      expect(at(e)).toBeGreaterThanOrEqual(monthStart);
      expect(at(e)).toBeLessThanOrEqual(monthEnd);
    }
  });

  it('browses a few pages per visit: page views share a session id, minutes apart, and about half are alone', () => {
    const sessions = new Map<string, Event[]>();
    for (const view of of('page_view')) {
      expect(view.sessionId).toEqual(expect.any(String));
      sessions.set(view.sessionId as string, [...(sessions.get(view.sessionId as string) ?? []), view]);
    }
    const sizes = [...sessions.values()].map((views) => views.length);
    const bounced = sizes.filter((n) => n === 1).length / sizes.length;
    expect(bounced).toBeGreaterThan(0.3);
    expect(bounced).toBeLessThan(0.7);
    const pagesPerVisit = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(pagesPerVisit).toBeGreaterThan(1.5);
    for (const views of sessions.values()) {
      // One person, each page within 30 minutes of the one before, the later ones internal navigation.
      expect(new Set(views.map((v) => v.userId)).size).toBe(1);
      for (let i = 1; i < views.length; i++) {
        const gap = at(views[i] as Event) - at(views[i - 1] as Event);
        expect(gap).toBeGreaterThanOrEqual(0);
        expect(gap).toBeLessThan(30 * 60_000);
        expect(String(views[i]?.referrer)).toMatch(/^https:\/\/acme\.example\//);
      }
    }
  });

  it('sends every e-mail it delivers or bounces, and opens and clicks only delivered ones', () => {
    const sentAt = new Map<string, number>();
    for (const e of of('email', 'sent'))
      sentAt.set(recipient(e), Math.min(sentAt.get(recipient(e)) ?? Infinity, at(e)));
    const delivered = new Set(of('email', 'delivered').map(recipient));
    for (const action of ['delivered', 'bounce', 'open', 'click'])
      for (const e of of('email', action)) expect(sentAt.get(recipient(e))).toBeLessThanOrEqual(at(e));
    for (const action of ['open', 'click'])
      for (const e of of('email', action)) expect(delivered.has(recipient(e))).toBe(true);
    const bounced = new Set(of('email', 'bounce').map(recipient));
    expect(bounced.size).toBeGreaterThan(0);
    expect(bounced.size).toBeLessThan(sentAt.size * 0.1);
    expect(delivered.size).toBeGreaterThan(sentAt.size * 0.9);
    for (const campaign of ['weekly-newsletter', 'cart-reminder']) {
      const opened = new Set(
        of('email', 'open')
          .filter((e) => e.campaign === campaign)
          .map(recipient),
      );
      const reached = [...delivered].filter((r) => r.startsWith(`${campaign}|`)).length;
      expect(opened.size).toBeGreaterThan(0);
      expect(opened.size / reached).toBeLessThan(0.8);
    }
  });

  it('has carts bought and abandoned, NPS and mapped "how did you hear about us" answers, shares and refunds', () => {
    const buyers = new Set(
      of('conversion')
        .filter((e) => e.name === 'purchase')
        .map((e) => e.userId),
    );
    const carts = new Set(of('cart', 'add').map((e) => e.userId));
    expect([...carts].filter((u) => buyers.has(u)).length).toBeGreaterThan(10);
    expect([...carts].filter((u) => !buyers.has(u)).length).toBeGreaterThan(10);
    expect(of('cart', 'checkout').length).toBeGreaterThan(0);

    const surveys = of('survey');
    const nps = surveys.filter((e) => e.survey === 'nps');
    expect(nps.length).toBeGreaterThan(30);
    expect(new Set(nps.map((e) => e.score)).size).toBeGreaterThan(5);
    const answers = surveys.filter((e) => e.survey === 'source').map((e) => e.answer as string);
    expect(answers.length).toBeGreaterThan(20);
    // Each answer stands for a channel through the example config's surveyAnswers.
    for (const answer of new Set(answers)) {
      expect(DEMO_SURVEY_ANSWERS).toContain(answer);
      expect(config.surveyAnswers[answer]).toEqual(expect.any(String));
    }
    expect(of('share').length).toBeGreaterThan(2);

    const refunds = of('conversion').filter((e) => e.refundOf !== undefined);
    expect(refunds.length).toBeGreaterThanOrEqual(1);
    expect(refunds.length).toBeLessThanOrEqual(2);
    for (const refund of refunds) {
      const purchase = month.events.find((e) => e.eventId === refund.refundOf);
      expect(purchase).toMatchObject({ type: 'conversion', name: 'purchase', userId: refund.userId });
      const days = (at(refund) - at(purchase as Event)) / 86_400_000;
      expect(days).toBeGreaterThan(0);
      expect(days).toBeLessThanOrEqual(7);
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttributionPartial,
  addAttributionSpend,
  attribute,
  compareModels,
  MODELS,
  mergeAttribution,
  UNATTRIBUTED,
} from '#domain/attribution/index.ts';
import type { NormalisedEvent, SpendRow } from '#domain/normalised-event.ts';
import { computeLakeRows, type EngineProps } from '../../support/engine.ts';

const DAY = 86_400_000;
/** Events fall over 40 days from here. */
const BASE = Date.parse('2026-02-20T00:00:00Z');
const CHANNELS = ['paid_search', 'email', 'display', 'organic_search', 'paid_social'] as const;
const CAMPAIGNS = [undefined, 'c1', 'c2'] as const;

const dateOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

interface Spec {
  readonly conversion: boolean;
  readonly minute: number;
  readonly channel: (typeof CHANNELS)[number];
  readonly campaign: (typeof CAMPAIGNS)[number];
  readonly count: number;
  readonly valueMicros: number;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  conversion: fc.boolean(),
  minute: fc.integer({ min: 0, max: 40 * 24 * 60 - 1 }),
  channel: fc.constantFrom(...CHANNELS),
  campaign: fc.constantFrom(...CAMPAIGNS),
  count: fc.integer({ min: 1, max: 3 }),
  valueMicros: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500_000_000 })),
});

/** A scenario: each user's events, some events with no user, spend rows, a range and settings. */
const scenarioArb = fc.record({
  users: fc.array(fc.array(specArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
  anonymous: fc.array(specArb, { maxLength: 3 }),
  spend: fc.array(
    fc.record({
      day: fc.integer({ min: 0, max: 39 }),
      channel: fc.constantFrom(...CHANNELS, 'audio' as const),
      campaign: fc.constantFrom('c1', 'c2', '(none)', 'other'),
      costMicros: fc.integer({ min: 0, max: 100_000_000 }),
    }),
    { maxLength: 8 },
  ),
  fromDay: fc.integer({ min: 0, max: 30 }),
  days: fc.integer({ min: 0, max: 12 }),
  lookbackDays: fc.integer({ min: 1, max: 30 }),
  halfLifeDays: fc.integer({ min: 1, max: 14 }),
  seed: fc.integer(),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toEvent(spec: Spec, eventId: string, userKey: string | undefined): NormalisedEvent {
  const ts = BASE + spec.minute * 60_000;
  const iso = new Date(ts).toISOString();
  return {
    eventId,
    type: spec.conversion ? 'conversion' : 'page_view',
    occurredAt: iso,
    ts,
    receivedAt: iso,
    source: 'events',
    ...(userKey ? { userKey } : {}),
    channel: spec.conversion ? 'direct' : spec.channel,
    stage: spec.conversion ? 'decision' : 'consideration',
    touch: !spec.conversion,
    bot: false,
    count: spec.count,
    ...(spec.campaign ? { campaign: spec.campaign } : {}),
    ...(spec.conversion ? { conversion: 'purchase', valueMicros: spec.valueMicros } : {}),
  };
}

function build(s: Scenario) {
  const from = dateOf(BASE + s.fromDay * DAY);
  const to = dateOf(BASE + (s.fromDay + s.days) * DAY);
  const props: EngineProps = {
    from,
    to,
    timeZone: 'UTC',
    lookbackDays: s.lookbackDays,
    halfLifeDays: s.halfLifeDays,
  };
  const byUser = s.users.map((specs, u) => specs.map((spec, i) => toEvent(spec, `u${u}-${i}`, `u:${u}`)));
  const anonymous = s.anonymous.map((spec, i) => toEvent(spec, `anon-${i}`, undefined));
  const spend: SpendRow[] = s.spend.map((row) => ({
    date: dateOf(BASE + row.day * DAY),
    channel: row.channel,
    platform: 'test',
    campaign: row.campaign,
    costMicros: row.costMicros,
    currency: 'EUR',
  }));
  const inRange = (date: string) => date >= from && date <= to;
  const conversions = [...byUser.flat(), ...anonymous].filter(
    (e) => e.type === 'conversion' && inRange(dateOf(e.ts)),
  );
  return {
    props,
    byUser,
    anonymous,
    spend,
    expected: {
      conversions: conversions.reduce((a, e) => a + e.count, 0),
      value: conversions.reduce((a, e) => a + (e.valueMicros ?? 0), 0) / 1e6,
      spend: spend.filter((r) => inRange(r.date)).reduce((a, r) => a + r.costMicros, 0) / 1e6,
    },
  };
}

/** mulberry32, for shuffling the order events reach the lake file. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** The attribution statistics the compute SQL makes of these lake rows (in `buckets` buckets, merged). */
async function run(
  props: EngineProps,
  events: readonly NormalisedEvent[],
  buckets = 1,
): Promise<AttributionPartial> {
  return (await computeLakeRows(events, { ...props, buckets })).attribution;
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

describe('attribution properties over random journeys', () => {
  it('every model credits each conversion in range exactly once, with its value, and reconciles spend', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        const { props, byUser, anonymous, spend, expected } = build(s);
        const partial = addAttributionSpend(
          mergeAttribution([await run(props, [...byUser.flat(), ...anonymous])]),
          spend,
          props,
        );
        for (const model of MODELS) {
          for (const groupBy of ['channel', 'campaign'] as const) {
            const result = attribute(partial, { from: props.from, to: props.to, model, groupBy });
            const label = `${model} by ${groupBy}`;
            const keys = result.rows.map((r) => r.key);
            expect(new Set(keys).size, label).toBe(keys.length);
            for (const row of result.rows) {
              expect(row.conversions, label).toBeGreaterThanOrEqual(0);
              expect(row.value, label).toBeGreaterThanOrEqual(0);
              expect(row.spend, label).toBeGreaterThanOrEqual(0);
              if (row.key === UNATTRIBUTED) expect(row.conversions, label).toBe(0);
            }
            const sum = (pick: (r: (typeof result.rows)[number]) => number) =>
              result.rows.reduce((a, r) => a + pick(r), 0);
            expect(
              close(
                sum((r) => r.conversions),
                expected.conversions,
              ),
              label,
            ).toBe(true);
            expect(close(result.conversions, expected.conversions), label).toBe(true);
            expect(
              close(
                sum((r) => r.value),
                expected.value,
              ),
              label,
            ).toBe(true);
            expect(close(result.value, expected.value), label).toBe(true);
            expect(
              close(
                sum((r) => r.spend),
                expected.spend,
              ),
              label,
            ).toBe(true);
            expect(close(result.spend, expected.spend), label).toBe(true);
          }
        }
        const comparison = compareModels(partial, props);
        const channels = comparison.rows.map((r) => r.channel);
        expect(new Set(channels).size).toBe(channels.length);
        for (const model of MODELS)
          expect(
            close(
              comparison.rows.reduce((a, r) => a + r.conversions[model], 0),
              expected.conversions,
            ),
            model,
          ).toBe(true);
      }),
      // Each scenario is one run of the compute SQL (≈ 150 ms).
      { numRuns: 20 },
    );
  });

  it('splitting the persons over 2 to 8 buckets and merging gives the same partial as one bucket', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer({ min: 2, max: 8 }), async (s, buckets) => {
        const { props, byUser, anonymous } = build(s);
        const random = mulberry32(s.seed);
        const events = [...byUser.flat(), ...anonymous];
        const whole = JSON.stringify(mergeAttribution([await run(props, shuffle(events, random))]));
        // Buckets hold whole users; events without a user go to one bucket; arrival order shuffled.
        const merged = await run(props, shuffle(events, random), buckets);
        expect(JSON.stringify(merged), `${buckets} buckets`).toBe(whole);
      }),
      // Each scenario runs the compute SQL once per bucket, 3 to 9 times in all (≈ 150 ms each).
      { numRuns: 6 },
    );
  });
});

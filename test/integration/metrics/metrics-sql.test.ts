import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { STAGES } from '#domain/event-schema.ts';
import type { MetricsPartial } from '#domain/metrics/index.ts';
import { channelShare, hashUserKey, referralTraffic, sketchOfHashes } from '#domain/metrics/index.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { EVENT_COLUMNS } from '#lake/lake-tables.ts';
import { computeLakeRows, type EngineProps } from '../../support/engine.ts';
import { conversion, touch } from '../../unit/domain/metrics/events.ts';

const UTC: EngineProps = { from: '2026-03-01', to: '2026-03-31', timeZone: 'UTC', lookbackDays: 30 };

/** The metric partial the compute SQL makes of these lake rows. */
async function metricsOf(events: readonly NormalisedEvent[], props: EngineProps): Promise<MetricsPartial> {
  return (await computeLakeRows(events, props)).metrics;
}

/** The sketch of exactly these users (exact below 256 users). */
const usersOf = (...keys: string[]) => sketchOfHashes(keys.map(hashUserKey));

function conversionsByChannel(partial: MetricsPartial, from = UTC.from, to = UTC.to) {
  return channelShare(partial, { from, to, basis: 'conversions' }).channels.map((c) => [c.channel, c.count]);
}

describe('the metric SQL over lake rows', () => {
  it('credits a conversion to the channel of its last touch within the lookback', async () => {
    // alice: email (Mar 2), then paid search (Mar 5), then a purchase (Mar 6) → last touch is paid_search.
    const partial = await metricsOf(
      [
        touch('t1', 'u:alice', '2026-03-02T10:00:00Z', 'email'),
        touch('t2', 'u:alice', '2026-03-05T10:00:00Z', 'paid_search'),
        conversion('c1', 'u:alice', '2026-03-06T10:00:00Z', { valueMicros: 25_000_000 }),
      ],
      UTC,
    );
    const day = partial.days['2026-03-06'];
    expect(day?.conversions).toEqual({ paid_search: 1 });
    // Value is credited with the conversion: 25 currency units = 25,000,000 micros.
    expect(day?.valueMicros).toEqual({ paid_search: 25_000_000 });
    // The conversion counts in `decision` on its last-touch channel, with alice as its one user.
    expect(day?.stages.decision).toEqual({ paid_search: { events: 1, users: usersOf('u:alice') } });
  });

  it('ignores a touch 31 days before the conversion with a 30-day lookback and credits direct', async () => {
    // Feb 1 10:00 → Mar 4 10:00 is 31 days (February 2026 has 28 days: 27 + 4 = 31) > 30.
    const partial = await metricsOf(
      [
        touch('t1', 'u:bob', '2026-02-01T10:00:00Z', 'paid_social'),
        conversion('c1', 'u:bob', '2026-03-04T10:00:00Z'),
      ],
      UTC,
    );
    expect(conversionsByChannel(partial)).toEqual([['direct', 1]]);
  });

  it('still uses a touch exactly lookbackDays before the conversion, even one before `from`', async () => {
    // Feb 2 10:00 → Mar 4 10:00 is exactly 30 days: the window bound is inclusive. Feb 2 is before
    // `from` (Mar 1), so the touch itself is not counted, but it is the conversion's last touch.
    const partial = await metricsOf(
      [
        touch('t1', 'u:bob', '2026-02-02T10:00:00Z', 'paid_social'),
        conversion('c1', 'u:bob', '2026-03-04T10:00:00Z'),
      ],
      UTC,
    );
    expect(conversionsByChannel(partial)).toEqual([['paid_social', 1]]);
    expect(channelShare(partial, { from: '2026-02-01', to: '2026-03-31', basis: 'touches' }).total).toBe(0);
  });

  it('credits a conversion with no touch, or no user, to direct', async () => {
    const partial = await metricsOf(
      [
        conversion('c1', 'u:carol', '2026-03-03T09:00:00Z'),
        conversion('c2', undefined, '2026-03-03T10:00:00Z'),
        // A touch after the conversion is not its last touch.
        touch('t1', 'u:carol', '2026-03-03T11:00:00Z', 'email'),
      ],
      UTC,
    );
    // c1 and c2 → direct: 2.
    expect(conversionsByChannel(partial)).toEqual([['direct', 2]]);
  });

  it('counts a touch at the same instant as the conversion as its last touch, whatever the eventIds', async () => {
    // 'z-touch' sorts after 'a-conv' at the same ts, but ts ≤ conversion ts holds.
    const at = '2026-03-03T09:00:00Z';
    const partial = await metricsOf(
      [conversion('a-conv', 'u:dan', at), touch('z-touch', 'u:dan', at, 'affiliates')],
      UTC,
    );
    expect(conversionsByChannel(partial)).toEqual([['affiliates', 1]]);
  });

  it('weights touches, stage events and voices by count but users once', async () => {
    const partial = await metricsOf(
      [
        // An aggregated impression row: 1,000 impressions, no user.
        touch('i1', undefined, '2026-03-02T00:00:00Z', 'display', {
          type: 'ad_impression',
          stage: 'awareness',
          count: 1_000,
          voices: ['Acme'],
          voiceSource: 'ads',
        }),
        // One user's two clicks: 2 events, 1 user.
        touch('k1', 'u:erin', '2026-03-02T01:00:00Z', 'display', { type: 'ad_click' }),
        touch('k2', 'u:erin', '2026-03-02T02:00:00Z', 'display', { type: 'ad_click' }),
      ],
      UTC,
    );
    const day = partial.days['2026-03-02'];
    // 1,000 + 1 + 1 = 1,002 display touches.
    expect(day?.touches).toEqual({ display: 1_002 });
    expect(day?.voices.ads).toEqual({ Acme: 1_000 });
    expect(day?.stages.awareness).toEqual({ display: { events: 1_000, users: usersOf() } });
    expect(day?.stages.consideration).toEqual({ display: { events: 2, users: usersOf('u:erin') } });
  });

  it('does not count an e-mail that was only sent (no touch, no stage)', async () => {
    const partial = await metricsOf(
      [
        touch('s1', 'u:fay', '2026-03-02T08:00:00Z', 'email', {
          type: 'email',
          emailAction: 'sent',
          touch: false,
          stage: undefined,
        }),
        conversion('c1', 'u:fay', '2026-03-02T09:00:00Z'),
      ],
      UTC,
    );
    // The sent e-mail is no touch, so the conversion goes to direct and nothing else is counted.
    expect(partial.days['2026-03-02']?.touches).toEqual({});
    expect(conversionsByChannel(partial)).toEqual([['direct', 1]]);
  });

  it('files events under the calendar day of the configured time zone', async () => {
    // 2026-03-10T03:30Z in New York (EDT since Mar 8, UTC−4) is 2026-03-09 23:30.
    // 2026-03-02T04:30Z (EST, UTC−5) is 2026-03-01 23:30; 2026-03-02T05:30Z is 2026-03-02 00:30.
    const events = [
      touch('t1', 'u:gus', '2026-03-10T03:30:00Z', 'email'),
      touch('t2', 'u:gus', '2026-03-02T04:30:00Z', 'email'),
      touch('t3', 'u:gus', '2026-03-02T05:30:00Z', 'email'),
    ];
    const ny = await metricsOf(events, { ...UTC, timeZone: 'America/New_York' });
    expect(Object.keys(ny.days)).toEqual(['2026-03-01', '2026-03-02', '2026-03-09']);
    const utc = await metricsOf(events, UTC);
    expect(Object.keys(utc.days)).toEqual(['2026-03-02', '2026-03-10']);
    // Only local dates in [from, to] count: with from = Mar 2 in New York, t2 (Mar 1 local) is out.
    const narrow = await metricsOf(events, { ...UTC, from: '2026-03-02', timeZone: 'America/New_York' });
    expect(Object.keys(narrow.days)).toEqual(['2026-03-02', '2026-03-09']);
  });

  it('counts a search with two voices once for each name', async () => {
    const partial = await metricsOf(
      [
        touch('q1', undefined, '2026-03-02T00:00:00Z', 'organic_search', {
          type: 'search',
          stage: 'awareness',
          count: 40,
          voices: ['Acme', 'Rival'],
          voiceSource: 'search',
        }),
      ],
      UTC,
    );
    // Search volume 40 counts 40 for Acme and 40 for Rival (and 40 touches, not 80).
    expect(partial.days['2026-03-02']?.voices).toEqual({ ads: {}, search: { Acme: 40, Rival: 40 } });
    expect(partial.days['2026-03-02']?.touches).toEqual({ organic_search: 40 });
  });

  it('counts referral visits per domain and conversions whose last touch came from it', async () => {
    const partial = await metricsOf(
      [
        touch('v1', 'u:hal', '2026-03-02T10:00:00Z', 'referral', {
          referralDomain: 'blog.example',
          referralCategory: 'referral',
        }),
        touch('v2', 'u:ivy', '2026-03-02T11:00:00Z', 'referral', {
          referralDomain: 'blog.example',
          referralCategory: 'referral',
        }),
        conversion('c1', 'u:hal', '2026-03-03T10:00:00Z'),
        // ivy comes back through paid search before converting: blog.example is not her last touch.
        touch('v3', 'u:ivy', '2026-03-03T11:00:00Z', 'paid_search'),
        conversion('c2', 'u:ivy', '2026-03-03T12:00:00Z'),
      ],
      UTC,
    );
    // Mar 2: 2 visits. Mar 3: 1 conversion (hal's), filed on the conversion's day.
    expect(partial.days['2026-03-02']?.referrals).toEqual({
      'blog.example': { category: 'referral', visits: 2, conversions: 0 },
    });
    expect(partial.days['2026-03-03']?.referrals).toEqual({
      'blog.example': { category: 'referral', visits: 0, conversions: 1 },
    });
  });

  it('keeps the 1,000 referring domains with the most visits of a day and counts the rest', async () => {
    // 1,002 domains on Mar 2: r0000.example once, every other one twice (r0001 … r1001); one
    // conversion on Mar 2 whose last touch came from r0000. The cut is r0000 and, of the 1,001
    // domains with 2 visits, the last by code unit (r1001): 1 + 2 = 3 visits and 1 conversion.
    const events = Array.from({ length: 1002 }, (_, i) =>
      Array.from({ length: i === 0 ? 1 : 2 }, (_, copy) =>
        touch(`r${i}-${copy}`, `u:r${i}-${copy}`, '2026-03-02T10:00:00Z', 'referral', {
          referralDomain: `r${String(i).padStart(4, '0')}.example`,
          referralCategory: 'referral',
        }),
      ),
    ).flat();
    const partial = await metricsOf([...events, conversion('c1', 'u:r0-0', '2026-03-02T11:00:00Z')], UTC);
    const day = partial.days['2026-03-02'];
    expect(Object.keys(day?.referrals ?? {})).toHaveLength(1000);
    expect(day?.referrals['r0000.example']).toBeUndefined();
    expect(day?.referrals['r1001.example']).toBeUndefined();
    expect(day?.referrals['r1000.example']).toEqual({ category: 'referral', visits: 2, conversions: 0 });
    expect(day?.otherReferrals).toEqual({ visits: 3, conversions: 1 });
    // The answer's total still counts every visit: 1 + 1,001 × 2 = 2,003.
    expect(referralTraffic(partial, { from: '2026-03-02', to: '2026-03-02', limit: 1 }).total).toBe(2003);
  });

  it('counts copies of the same event once', async () => {
    const t = touch('t1', 'u:jo', '2026-03-02T10:00:00Z', 'email');
    const c = conversion('c1', 'u:jo', '2026-03-02T11:00:00Z');
    const i = touch('i1', undefined, '2026-03-02T00:00:00Z', 'display', { count: 5 });
    const partial = await metricsOf([t, c, i, { ...t }, { ...c }, { ...i }], UTC);
    // One email touch + 5 display impressions; one conversion.
    expect(partial.days['2026-03-02']?.touches).toEqual({ display: 5, email: 1 });
    expect(partial.days['2026-03-02']?.conversions).toEqual({ email: 1 });
  });

  it("counts a robot's events nowhere, and a robot copy replaced by a person's copy counts", async () => {
    // The crawler's page view (touch) and purchase, and a second crawler event later corrected
    // (received later, same id) to a person's: only jo's touch t2 and conversion c2 remain.
    const bot = { bot: true, touch: false, stage: undefined };
    const partial = await metricsOf(
      [
        touch('t1', 'a:crawler', '2026-03-02T09:00:00Z', 'referral', bot),
        conversion('c1', 'a:crawler', '2026-03-02T09:05:00Z', { bot: true }),
        touch('t2', 'u:jo', '2026-03-02T10:00:00Z', 'email', {
          ...bot,
          receivedAt: '2026-03-02T10:00:00.000Z',
        }),
        touch('t2', 'u:jo', '2026-03-02T10:00:00Z', 'email', { receivedAt: '2026-03-02T10:01:00.000Z' }),
        conversion('c2', 'u:jo', '2026-03-02T11:00:00Z'),
      ],
      UTC,
    );
    expect(partial.days['2026-03-02']?.touches).toEqual({ email: 1 });
    expect(partial.days['2026-03-02']?.conversions).toEqual({ email: 1 });
    expect(partial.days['2026-03-02']?.stages.decision).toEqual({
      email: { events: 1, users: usersOf('u:jo') },
    });
  });

  it('reads a lake day written before the bot and session columns existed as having none', async () => {
    const older = EVENT_COLUMNS.filter((c) => c.name !== 'bot' && c.name !== 'visit_id');
    const partial = await metricsOf(
      [
        touch('t1', 'u:old', '2026-03-02T10:00:00Z', 'email'),
        conversion('c1', 'u:old', '2026-03-02T11:00:00Z'),
      ],
      { ...UTC, columns: older },
    );
    expect(partial.days['2026-03-02']?.touches).toEqual({ email: 1 });
    expect(partial.days['2026-03-02']?.conversions).toEqual({ email: 1 });
  });

  it('lists the users of a stage cell once each, sorted, however their events interleave', async () => {
    // Five users, two touches each, interleaved: 10 events, 5 users, on Mar 2 in consideration/email.
    const keys = ['u:1', 'u:2', 'u:3', 'u:4', 'u:5'];
    const events = [0, 1].flatMap((round) =>
      keys.map((key, i) => touch(`${key}-${round}`, key, `2026-03-02T0${round}:0${i}:00Z`, 'email')),
    );
    const cell = (await metricsOf(events, UTC)).days['2026-03-02']?.stages.consideration?.email;
    expect(cell?.events).toBe(10);
    expect(cell?.users).toEqual(usersOf(...keys));
  });

  it('gives the same merged partial whether persons are split over 1, 2 or 5 buckets', async () => {
    const events = journeyFixture();
    const whole = await metricsOf(events, UTC);
    for (const buckets of [2, 5]) {
      const merged = await metricsOf(events, { ...UTC, buckets });
      expect(merged).toEqual(whole);
      expect(JSON.stringify(merged)).toBe(JSON.stringify(whole));
    }
  });

  it('gives the same merged partial for any split of random events by person', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryEvent, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 6 }),
        async (generated, copies, buckets) => {
          // Unique ids, as upstream; then some exact copies (which the lake would have merged; compute de-duplicates them too).
          const unique = generated.map((e, i) => ({ ...e, eventId: `e${i}` }));
          const events = [
            ...unique,
            ...(unique.length
              ? copies.map((n) => ({ ...unique[n % unique.length] }) as NormalisedEvent)
              : []),
          ];
          const props: EngineProps = {
            from: '2026-03-05',
            to: '2026-03-20',
            timeZone: 'Europe/Berlin',
            lookbackDays: 7,
          };
          const whole = await metricsOf(events, props);
          const merged = await metricsOf(events, { ...props, buckets });
          expect(JSON.stringify(merged)).toBe(JSON.stringify(whole));
        },
      ),
      { numRuns: 10 },
    );
  });
});

function journeyFixture(): NormalisedEvent[] {
  return [
    touch('a1', 'u:alice', '2026-03-01T10:00:00Z', 'referral', { referralDomain: 'blog.example' }),
    touch('a2', 'u:alice', '2026-03-02T09:00:00Z', 'paid_search', { type: 'ad_click' }),
    conversion('a3', 'u:alice', '2026-03-02T10:00:00Z', { valueMicros: 50_000_000 }),
    touch('b1', 'u:bob', '2026-02-20T12:00:00Z', 'organic_search', {
      referralDomain: 'google.com',
      referralCategory: 'search',
    }),
    conversion('b2', 'u:bob', '2026-03-03T08:00:00Z', { stage: 'retention', conversion: 'renewal' }),
    conversion('c1', 'u:carol', '2026-03-03T09:00:00Z'),
    touch('d1', 'u:dave', '2026-03-02T09:00:00Z', 'email', { type: 'email', emailAction: 'open' }),
    touch('n1', undefined, '2026-03-01T00:00:00Z', 'paid_search', {
      type: 'ad_impression',
      stage: 'awareness',
      count: 1_000,
      voices: ['Acme'],
      voiceSource: 'ads',
    }),
    touch('n2', undefined, '2026-03-02T00:00:00Z', 'organic_search', {
      type: 'search',
      stage: 'awareness',
      count: 200,
      voices: ['Acme', 'Rival'],
      voiceSource: 'search',
    }),
    conversion('n3', undefined, '2026-03-04T00:00:00Z', { valueMicros: 1 }),
  ];
}

const BASE = Date.parse('2026-02-25T00:00:00Z');
const arbitraryEvent: fc.Arbitrary<NormalisedEvent> = fc
  .record({
    user: fc.option(fc.constantFrom('u:1', 'u:2', 'u:3', 'a:4', 'e:5', 'u:6'), { nil: undefined }),
    // 30 days in quarter hours, so instants often coincide and day boundaries are crossed.
    quarter: fc.integer({ min: 0, max: 30 * 96 }),
    kind: fc.constantFrom('touch', 'conversion', 'sent'),
    channel: fc.constantFrom(...CHANNEL_IDS),
    stage: fc.constantFrom(...STAGES),
    count: fc.integer({ min: 1, max: 5 }),
    value: fc.integer({ min: 0, max: 100 }),
    voices: fc.option(fc.subarray(['Acme', 'Rival', 'Other']), { nil: undefined }),
    source: fc.constantFrom('ads' as const, 'search' as const),
    domain: fc.option(fc.constantFrom('a.example', 'b.example'), { nil: undefined }),
    category: fc.constantFrom('search' as const, 'social' as const, 'referral' as const),
  })
  .map((r) => {
    const at = new Date(BASE + r.quarter * 900_000).toISOString();
    const eventId = 'set-by-the-property';
    if (r.kind === 'conversion')
      return conversion(eventId, r.user, at, { stage: r.stage, valueMicros: r.value });
    if (r.kind === 'sent') return touch(eventId, r.user, at, 'email', { touch: false, stage: undefined });
    return touch(eventId, r.user, at, r.channel, {
      stage: r.stage,
      count: r.count,
      voices: r.voices,
      voiceSource: r.voices ? r.source : undefined,
      referralDomain: r.domain,
      referralCategory: r.domain ? r.category : undefined,
    });
  });

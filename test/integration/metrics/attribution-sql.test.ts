import { describe, expect, it } from 'vitest';
import {
  type AttributionDay,
  type AttributionPartial,
  emptyAttributionDay,
  mergeAttribution,
} from '#domain/attribution/index.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { computeLakeRows, type EngineProps } from '../../support/engine.ts';
import { event } from '../../support/events.ts';

const PROPS: EngineProps = {
  from: '2026-03-01',
  to: '2026-03-31',
  timeZone: 'UTC',
  lookbackDays: 30,
  halfLifeDays: 7,
};

function touch(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  channel: NormalisedEvent['channel'],
  campaign?: string,
  fields: Partial<NormalisedEvent> = {},
): NormalisedEvent {
  return event(eventId, occurredAt, { userKey, channel, ...(campaign ? { campaign } : {}), ...fields });
}

function conversion(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  valueMicros = 0,
  fields: Partial<NormalisedEvent> = {},
): NormalisedEvent {
  return event(eventId, occurredAt, {
    type: 'conversion',
    conversion: 'purchase',
    userKey,
    stage: 'decision',
    touch: false,
    valueMicros,
    ...fields,
  });
}

/** `channel␟campaign`, the credit key. */
const k = (channel: string, campaign = '(none)') => `${channel}\u001f${campaign}`;
/** `from␟to`, the transition key. */
const t = (from: string, to: string) => `${from}\u001f${to}`;

/** The attribution statistics the compute SQL makes of these lake rows. */
async function map(
  events: readonly NormalisedEvent[],
  props: EngineProps = PROPS,
): Promise<AttributionPartial> {
  return (await computeLakeRows(events, props)).attribution;
}

function day(partial: AttributionPartial, date: string): AttributionDay {
  const found = partial.days[date];
  if (!found) throw new Error(`no day ${date} in ${Object.keys(partial.days).join(', ')}`);
  return found;
}

describe('attribution SQL: a repeated, looping journey', () => {
  // alice: paid_search/spring 03-03, paid_search/spring 03-10, email/newsletter 03-17,
  // paid_search/summer 03-24 (22, 15, 8 and 1 days before), purchase 03-25 worth 100.
  const alice = [
    touch('a1', 'u:alice', '2026-03-03T10:00:00Z', 'paid_search', 'spring'),
    touch('a2', 'u:alice', '2026-03-10T10:00:00Z', 'paid_search', 'spring'),
    touch('a3', 'u:alice', '2026-03-17T10:00:00Z', 'email', 'newsletter'),
    touch('a4', 'u:alice', '2026-03-24T10:00:00Z', 'paid_search', 'summer'),
    conversion('a5', 'u:alice', '2026-03-25T10:00:00Z', 100_000_000),
  ];

  it('credits every heuristic model per channel and campaign on the conversion day', async () => {
    const d = day(await map(alice), '2026-03-25');
    // first touch: a1 (spring) takes the whole conversion and value.
    expect(d.credits.first_touch).toEqual({
      [k('paid_search', 'spring')]: { credit: 1e9, valueMicros: 100e6 },
    });
    // last touch: a4 (summer).
    expect(d.credits.last_touch).toEqual({
      [k('paid_search', 'summer')]: { credit: 1e9, valueMicros: 100e6 },
    });
    // linear: 1/4 each → spring 2 × 0.25, newsletter 0.25, summer 0.25.
    expect(d.credits.linear).toEqual({
      [k('email', 'newsletter')]: { credit: 250_000_000, valueMicros: 25e6 },
      [k('paid_search', 'spring')]: { credit: 500_000_000, valueMicros: 50e6 },
      [k('paid_search', 'summer')]: { credit: 250_000_000, valueMicros: 25e6 },
    });
    // time decay: 2^(−22/7) : 2^(−15/7) : 2^(−8/7) : 2^(−1/7) = 1 : 2 : 4 : 8 → /15.
    // Credit 1e9/15 = 66666666.67, 133333333.33, 266666666.67, 533333333.33 → floors sum 999999998,
    // 2 left to the .67s (a1, a3) → 66666667, 133333333, 266666667, 533333333.
    // spring = a1 + a2 = 200000000. Value 100e6/15 the same way: 6666667, 13333333, 26666667, 53333333.
    expect(d.credits.time_decay).toEqual({
      [k('email', 'newsletter')]: { credit: 266_666_667, valueMicros: 26_666_667 },
      [k('paid_search', 'spring')]: { credit: 200_000_000, valueMicros: 20_000_000 },
      [k('paid_search', 'summer')]: { credit: 533_333_333, valueMicros: 53_333_333 },
    });
    // position based: path PS, PS, EM, PS collapses to three steps [PS×2, EM, PS] → 40/20/40;
    // the first step's 40% split over a1, a2 → 0.2 each. spring 0.4, newsletter 0.2, summer 0.4.
    expect(d.credits.position_based).toEqual({
      [k('email', 'newsletter')]: { credit: 200_000_000, valueMicros: 20e6 },
      [k('paid_search', 'spring')]: { credit: 400_000_000, valueMicros: 40e6 },
      [k('paid_search', 'summer')]: { credit: 400_000_000, valueMicros: 40e6 },
    });
  });

  it('emits the collapsed path as transitions and the channel set of the conversion', async () => {
    const d = day(await map(alice), '2026-03-25');
    // PS, PS, EM, PS → start→PS, PS→EM, EM→PS, PS→conversion (no PS→PS self-loop).
    expect(d.transitions).toEqual({
      [t('(start)', 'paid_search')]: 1,
      [t('email', 'paid_search')]: 1,
      [t('paid_search', '(conversion)')]: 1,
      [t('paid_search', 'email')]: 1,
    });
    expect(d.channelSets).toEqual({ 'email,paid_search': { conversions: 1, valueMicros: 100e6 } });
    expect(d.touchless).toEqual({ conversions: 0, valueMicros: 0 });
    expect(d.touches).toEqual({});
  });

  it('counts touches on the day they happen, per channel and campaign', async () => {
    const partial = await map(alice);
    expect(Object.keys(partial.days).sort()).toEqual([
      '2026-03-03',
      '2026-03-10',
      '2026-03-17',
      '2026-03-24',
      '2026-03-25',
    ]);
    expect(day(partial, '2026-03-03').touches).toEqual({ [k('paid_search', 'spring')]: 1 });
    expect(day(partial, '2026-03-10').touches).toEqual({ [k('paid_search', 'spring')]: 1 });
    expect(day(partial, '2026-03-17').touches).toEqual({ [k('email', 'newsletter')]: 1 });
    expect(day(partial, '2026-03-24').touches).toEqual({ [k('paid_search', 'summer')]: 1 });
    // A touch day carries nothing else.
    expect(day(partial, '2026-03-03')).toEqual({
      ...emptyAttributionDay(),
      touches: { [k('paid_search', 'spring')]: 1 },
    });
  });

  it('does not depend on the order events arrive in', async () => {
    // Rows reach the lake in any order; merging (which every caller does) makes the partial canonical.
    const canonical = async (events: NormalisedEvent[]) =>
      JSON.stringify(mergeAttribution([await map(events)]));
    expect(await canonical([...alice].reverse())).toBe(await canonical(alice));
    expect(await canonical([alice[2], alice[4], alice[0], alice[3], alice[1]] as NormalisedEvent[])).toBe(
      await canonical(alice),
    );
  });
});

describe('attribution SQL: paths', () => {
  it('collapses consecutive same-channel touches in the path but not in the channel set', async () => {
    // A, A, B → start→A, A→B, B→conv; set {A, B}.
    const d = day(
      await map([
        touch('1', 'u:1', '2026-03-02T00:00:00Z', 'display'),
        touch('2', 'u:1', '2026-03-03T00:00:00Z', 'display'),
        touch('3', 'u:1', '2026-03-04T00:00:00Z', 'email'),
        conversion('4', 'u:1', '2026-03-05T00:00:00Z'),
      ]),
      '2026-03-05',
    );
    expect(d.transitions).toEqual({
      [t('(start)', 'display')]: 1,
      [t('display', 'email')]: 1,
      [t('email', '(conversion)')]: 1,
    });
    expect(d.channelSets).toEqual({ 'display,email': { conversions: 1, valueMicros: 0 } });
  });

  it('keeps a channel that comes back as a loop: A, B, A → start→A, A→B, B→A, A→conv', async () => {
    const d = day(
      await map([
        touch('1', 'u:1', '2026-03-02T00:00:00Z', 'display'),
        touch('2', 'u:1', '2026-03-03T00:00:00Z', 'email'),
        touch('3', 'u:1', '2026-03-04T00:00:00Z', 'display'),
        conversion('4', 'u:1', '2026-03-05T00:00:00Z'),
      ]),
      '2026-03-05',
    );
    expect(d.transitions).toEqual({
      [t('(start)', 'display')]: 1,
      [t('display', '(conversion)')]: 1,
      [t('display', 'email')]: 1,
      [t('email', 'display')]: 1,
    });
    // Position based on three steps: 40/20/40 → display 0.8, email 0.2.
    expect(d.credits.position_based).toEqual({
      [k('display')]: { credit: 800_000_000, valueMicros: 0 },
      [k('email')]: { credit: 200_000_000, valueMicros: 0 },
    });
  });

  it('makes a journey without a conversion a path to null on the day of its last touch', async () => {
    // bob: display 03-05, organic_search 03-06, never converts → start→display→organic_search→null on 03-06.
    const partial = await map([
      touch('b1', 'u:bob', '2026-03-05T08:00:00Z', 'display'),
      touch('b2', 'u:bob', '2026-03-06T08:00:00Z', 'organic_search'),
    ]);
    expect(day(partial, '2026-03-05').transitions).toEqual({});
    expect(day(partial, '2026-03-06').transitions).toEqual({
      [t('(start)', 'display')]: 1,
      [t('display', 'organic_search')]: 1,
      [t('organic_search', '(null)')]: 1,
    });
    expect(day(partial, '2026-03-06').channelSets).toEqual({});
  });

  it("decides a day's paths to null by the events up to lookback after it, whatever range is computed", async () => {
    // bob: display 03-05, purchase 03-20 (15 days later, inside the 30-day lookback). The display
    // belongs to the purchase's journey: no path to null on 03-05, whether 03-05 is computed alone
    // (the schedule on 03-05 and again later) or with the purchase's day.
    const events = [
      touch('b1', 'u:bob', '2026-03-05T08:00:00Z', 'display'),
      conversion('b2', 'u:bob', '2026-03-20T08:00:00Z'),
    ];
    const alone = await map(events, { ...PROPS, from: '2026-03-05', to: '2026-03-05' });
    const whole = await map(events, { ...PROPS, from: '2026-03-05', to: '2026-03-20' });
    expect(alone.days['2026-03-05']?.transitions ?? {}).toEqual({});
    expect(whole.days['2026-03-05']?.transitions ?? {}).toEqual({});
    expect(day(whole, '2026-03-20').transitions).toEqual({
      [t('(start)', 'display')]: 1,
      [t('display', '(conversion)')]: 1,
    });
  });

  it('sees the hours after the range on its last UTC day too, in a zone behind UTC', async () => {
    // New York: display 03-05 23:00 (04:00Z on 03-06), purchase 03-06 10:00 (15:00Z on 03-06).
    // A compute of 03-05 alone ends at 04:59:59Z on 03-06: the purchase is after it, on the same
    // UTC day, and still makes the display part of its journey, not a path to null on 03-05.
    const ny = { ...PROPS, timeZone: 'America/New_York', from: '2026-03-05', to: '2026-03-05' };
    const partial = await map(
      [
        touch('n1', 'u:nina', '2026-03-06T04:00:00Z', 'display'),
        conversion('n2', 'u:nina', '2026-03-06T15:00:00Z'),
      ],
      ny,
    );
    expect(partial.days['2026-03-05']?.transitions ?? {}).toEqual({});
  });

  it('ends a journey without a conversion after lookback days with no touch, so one person can have two', async () => {
    // erin: display 03-01, then email 04-15 (45 days later, past the 30-day lookback), never
    // converts: two paths to null, start→display→null on 03-01 and start→email→null on 04-15;
    // not one display→email path on 04-15 (the display is more than lookback before the email).
    const partial = await map(
      [
        touch('e1', 'u:erin', '2026-03-01T08:00:00Z', 'display'),
        touch('e2', 'u:erin', '2026-04-15T08:00:00Z', 'email'),
      ],
      { ...PROPS, from: '2026-03-01', to: '2026-04-30' },
    );
    expect(day(partial, '2026-03-01').transitions).toEqual({
      [t('(start)', 'display')]: 1,
      [t('display', '(null)')]: 1,
    });
    expect(day(partial, '2026-04-15').transitions).toEqual({
      [t('(start)', 'email')]: 1,
      [t('email', '(null)')]: 1,
    });
  });

  it('makes the touches after the last conversion a path to null, apart from the converting path', async () => {
    // carol: paid_search 03-09, converts 03-10, then email 03-12 and 03-13.
    // Converting path (03-10): start→PS→conv. Null path (03-13): start→email→null (email×2 collapsed).
    const partial = await map([
      touch('c1', 'u:carol', '2026-03-09T08:00:00Z', 'paid_search'),
      conversion('c2', 'u:carol', '2026-03-10T08:00:00Z', 5_000_000),
      touch('c3', 'u:carol', '2026-03-12T08:00:00Z', 'email'),
      touch('c4', 'u:carol', '2026-03-13T08:00:00Z', 'email'),
    ]);
    expect(day(partial, '2026-03-10').transitions).toEqual({
      [t('(start)', 'paid_search')]: 1,
      [t('paid_search', '(conversion)')]: 1,
    });
    expect(day(partial, '2026-03-13').transitions).toEqual({
      [t('(start)', 'email')]: 1,
      [t('email', '(null)')]: 1,
    });
  });

  it('lets a later conversion reuse the touches before an earlier one within the lookback', async () => {
    // dave: display 03-01, converts 03-02, email 03-03, converts 03-04.
    // Journey 1: [display]. Journey 2: [display, email] (both within 30 days of 03-04).
    const partial = await map([
      touch('d1', 'u:dave', '2026-03-01T08:00:00Z', 'display'),
      conversion('d2', 'u:dave', '2026-03-02T08:00:00Z'),
      touch('d3', 'u:dave', '2026-03-03T08:00:00Z', 'email'),
      conversion('d4', 'u:dave', '2026-03-04T08:00:00Z'),
    ]);
    expect(day(partial, '2026-03-02').credits.linear).toEqual({
      [k('display')]: { credit: 1e9, valueMicros: 0 },
    });
    // Linear on [display, email]: 0.5 each.
    expect(day(partial, '2026-03-04').credits.linear).toEqual({
      [k('display')]: { credit: 500_000_000, valueMicros: 0 },
      [k('email')]: { credit: 500_000_000, valueMicros: 0 },
    });
    expect(day(partial, '2026-03-04').channelSets).toEqual({
      'display,email': { conversions: 1, valueMicros: 0 },
    });
  });

  it('counts a touch at the conversion instant in its journey', async () => {
    const d = day(
      await map([
        touch('1', 'u:1', '2026-03-05T00:00:00Z', 'email'),
        touch('2', 'u:1', '2026-03-06T00:00:00Z', 'display'),
        conversion('3', 'u:1', '2026-03-06T00:00:00Z'),
      ]),
      '2026-03-06',
    );
    // Last touch is the display touch at the same instant.
    expect(d.credits.last_touch).toEqual({ [k('display')]: { credit: 1e9, valueMicros: 0 } });
  });
});

describe('attribution SQL: lookback and touchless conversions', () => {
  it('leaves out a touch 31 days before the conversion with a 30-day lookback', async () => {
    // display 31 days before (02-05 → 03-08), email 29 days before (02-07 → 03-08): only email.
    const d = day(
      await map([
        touch('1', 'u:1', '2026-02-05T12:00:00Z', 'display'),
        touch('2', 'u:1', '2026-02-07T12:00:00Z', 'email'),
        conversion('3', 'u:1', '2026-03-08T12:00:00Z', 9_000_000),
      ]),
      '2026-03-08',
    );
    expect(d.credits.first_touch).toEqual({ [k('email')]: { credit: 1e9, valueMicros: 9e6 } });
    expect(d.transitions).toEqual({ [t('(start)', 'email')]: 1, [t('email', '(conversion)')]: 1 });
    expect(d.channelSets).toEqual({ email: { conversions: 1, valueMicros: 9e6 } });
  });

  it('counts a conversion whose only touch is 31 days earlier as touchless', async () => {
    // 02-03 12:00 + 31 days = 03-06 12:00 (February 2026 has 28 days).
    const d = day(
      await map([
        touch('1', 'u:1', '2026-02-03T12:00:00Z', 'referral'),
        conversion('2', 'u:1', '2026-03-06T12:00:00Z', 20_000_000),
      ]),
      '2026-03-06',
    );
    expect(d.touchless).toEqual({ conversions: 1, valueMicros: 20e6 });
    expect(d.credits.linear).toEqual({});
    expect(d.transitions).toEqual({});
    expect(d.channelSets).toEqual({});
  });

  it('counts a conversion with no user as touchless, and a touch with no user only as a touch', async () => {
    const partial = await map([
      touch('1', undefined, '2026-03-06T10:00:00Z', 'display', 'banner', { count: 1000 }),
      conversion('2', undefined, '2026-03-06T11:00:00Z', 3_000_000),
    ]);
    expect(day(partial, '2026-03-06')).toEqual({
      ...emptyAttributionDay(),
      touchless: { conversions: 1, valueMicros: 3e6 },
      touches: { [k('display', 'banner')]: 1000 },
    });
  });

  it('respects a longer lookback', async () => {
    // With 45 days, the display touch 31 days before is in the journey.
    const d = day(
      await map(
        [
          touch('1', 'u:1', '2026-02-05T12:00:00Z', 'display'),
          conversion('2', 'u:1', '2026-03-08T12:00:00Z'),
        ],
        { ...PROPS, lookbackDays: 45 },
      ),
      '2026-03-08',
    );
    expect(d.credits.first_touch).toEqual({ [k('display')]: { credit: 1e9, valueMicros: 0 } });
    expect(d.touchless).toEqual({ conversions: 0, valueMicros: 0 });
  });
});

describe('attribution SQL: what it counts', () => {
  it('ignores events that are neither touches nor conversions', async () => {
    // An e-mail `sent` is no touch: no touches, no journey step; the conversion is touchless.
    const partial = await map([
      event('1', '2026-03-05T00:00:00Z', {
        type: 'email',
        emailAction: 'sent',
        userKey: 'u:1',
        channel: 'email',
        touch: false,
      }),
      conversion('2', 'u:1', '2026-03-06T00:00:00Z'),
    ]);
    expect(partial.days['2026-03-05']).toBeUndefined();
    expect(day(partial, '2026-03-06').touchless).toEqual({ conversions: 1, valueMicros: 0 });
  });

  it('weights a conversion by its count and a touch by its count', async () => {
    // A conversion of count 2 over [display, email]: linear 1 conversion each, value 8 → 4 each;
    // transitions weighted 2; touches count the impressions (500) and the click (1).
    const partial = await map([
      touch('1', 'u:1', '2026-03-05T00:00:00Z', 'display', undefined, { count: 500 }),
      touch('2', 'u:1', '2026-03-06T00:00:00Z', 'email'),
      conversion('3', 'u:1', '2026-03-06T01:00:00Z', 8_000_000, { count: 2 }),
    ]);
    expect(day(partial, '2026-03-05').touches).toEqual({ [k('display')]: 500 });
    const d = day(partial, '2026-03-06');
    expect(d.touches).toEqual({ [k('email')]: 1 });
    expect(d.credits.linear).toEqual({
      [k('display')]: { credit: 1e9, valueMicros: 4e6 },
      [k('email')]: { credit: 1e9, valueMicros: 4e6 },
    });
    expect(d.transitions).toEqual({
      [t('(start)', 'display')]: 2,
      [t('display', 'email')]: 2,
      [t('email', '(conversion)')]: 2,
    });
    expect(d.channelSets).toEqual({ 'display,email': { conversions: 2, valueMicros: 8e6 } });
  });

  it('credits only conversions in range, but uses touches before the range in their journeys', async () => {
    // organic_search 02-24 (before `from`) then paid_social 03-03, conversion 03-10: journey of two.
    // A conversion on 04-02 (after `to`) is not credited.
    const partial = await map([
      touch('1', 'u:1', '2026-02-24T12:00:00Z', 'organic_search'),
      touch('2', 'u:1', '2026-03-03T12:00:00Z', 'paid_social'),
      conversion('3', 'u:1', '2026-03-10T12:00:00Z'),
      conversion('4', 'u:1', '2026-04-02T12:00:00Z'),
    ]);
    expect(Object.keys(partial.days).sort()).toEqual(['2026-03-03', '2026-03-10']);
    expect(day(partial, '2026-03-10').credits.first_touch).toEqual({
      [k('organic_search')]: { credit: 1e9, valueMicros: 0 },
    });
  });

  it('counts copies of one event of a user once', async () => {
    const click = touch('1', 'u:1', '2026-03-05T00:00:00Z', 'email');
    const buy = conversion('2', 'u:1', '2026-03-06T00:00:00Z', 1_000_000);
    const d = day(await map([click, click, buy, buy]), '2026-03-06');
    expect(d.channelSets).toEqual({ email: { conversions: 1, valueMicros: 1e6 } });
    expect(d.transitions).toEqual({ [t('(start)', 'email')]: 1, [t('email', '(conversion)')]: 1 });
  });

  it('reaches back lookbackDays × 24 h across a daylight-saving change, whatever range is computed', async () => {
    // New York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT), so that local day has 23 h.
    // The touch at 2026-03-08T04:45Z (03-07 23:45 EST) is 23 h 45 min before the conversion at
    // 2026-03-09T04:30Z (03-09 00:30 EDT): within a 1-day lookback, yet before 03-08's local midnight
    // (05:00Z), where a read starting "lookback days before `from`" at local midnight would begin.
    const events = [
      touch('t', 'u:1', '2026-03-08T04:45:00Z', 'paid_search'),
      conversion('c', 'u:1', '2026-03-09T04:30:00Z'),
    ];
    const props = { ...PROPS, timeZone: 'America/New_York', lookbackDays: 1 };
    const alone = await map(events, { ...props, from: '2026-03-09', to: '2026-03-09' });
    const wider = await map(events, { ...props, from: '2026-03-08', to: '2026-03-09' });
    expect(day(alone, '2026-03-09').channelSets).toEqual({ paid_search: { conversions: 1, valueMicros: 0 } });
    expect(day(wider, '2026-03-09').channelSets).toEqual(day(alone, '2026-03-09').channelSets);
  });

  it('dates days in the configured time zone', async () => {
    // 2026-03-01T03:00Z is 2026-02-28 22:00 in New York (UTC−5): before the range, not credited;
    // 2026-03-02T03:00Z is 03-01 22:00 local: credited on 03-01.
    const partial = await map(
      [
        touch('1', 'u:1', '2026-02-27T12:00:00Z', 'email'),
        conversion('2', 'u:1', '2026-03-01T03:00:00Z'),
        conversion('3', 'u:1', '2026-03-02T03:00:00Z'),
      ],
      { ...PROPS, timeZone: 'America/New_York' },
    );
    expect(Object.keys(partial.days)).toEqual(['2026-03-01']);
    expect(day(partial, '2026-03-01').channelSets).toEqual({ email: { conversions: 1, valueMicros: 0 } });
  });
});

import { describe, expect, it } from 'vitest';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import { emptyDayResult, STORED_SECTIONS } from '#domain/day-result.ts';
import {
  emptyAdCell,
  emptyJourneyDay,
  journeyDaySchema,
  MAX_PATH_STEPS,
  mergeJourneyDays,
} from '#domain/journey/journey-day.ts';
import {
  EMPTY_SKETCH,
  estimateUsers,
  hashUserKey,
  sketchOfHashes,
  type UserSketch,
} from '#domain/metrics/user-sketch.ts';
import { mergeStored } from '../../../support/stored-days.ts';

const users = (...keys: string[]) => sketchOfHashes(keys.map(hashUserKey));

describe('journey days', () => {
  it('reads each stored journey section with only its own fields, the missing ones as empty', () => {
    expect(STORED_SECTIONS.journey.schema.parse({})).toEqual({
      cart: {},
      visits: { visits: 0, pageViews: 0, bounces: 0, visitMs: 0 },
      visitors: {},
      stageWaits: {},
    });
    expect(STORED_SECTIONS.people.schema.parse({ nps: [['00000000000000aa', 1, 9, 'direct']] })).toEqual({
      nps: [['00000000000000aa', 1, 9, 'direct']],
      cohortConversions: [],
    });
    expect(emptyJourneyDay()).toMatchObject({
      email: {},
      nps: [],
      cart: {},
      convertingPaths: {},
      visitors: {},
    });
    // A journey part written before NPS, carts, visits and waits existed reads them as empty too.
    const early = { email: {}, ads: { platform: {}, campaign: {}, creative: {} } };
    expect(journeyDaySchema.parse(early)).toEqual(emptyJourneyDay());
  });

  it('merges e-mail recipients by union and ad figures by sum, in canonical order, keeping a campaign named __proto__', () => {
    const a = journeyDaySchema.parse(
      JSON.parse(
        `{"email":{"__proto__":{"open":"${users('u:a')}"},"z":{"sent":"${users('u:a', 'u:b')}"}},` +
          `"ads":{"platform":{"meta":{"impressions":5,"clicks":1,"costMicros":10,"spendMicros":0,"conversions":0}},"campaign":{},"creative":{}}}`,
      ),
    );
    const b = journeyDaySchema.parse({
      email: { z: { sent: users('u:b', 'u:c'), open: users('u:c') } },
      ads: {
        platform: { meta: { ...emptyAdCell(), impressions: 2, conversions: 1 } },
        campaign: {},
        creative: {},
      },
    });
    const merged = mergeJourneyDays([b, a]);
    expect(Object.keys(merged.email)).toEqual(['__proto__', 'z']);
    // sent: {a, b} ∪ {b, c} = 3 recipients; actions keep their funnel order (sent before open).
    expect(Object.keys(merged.email.z ?? {})).toEqual(['sent', 'open']);
    expect(estimateUsers(merged.email.z?.sent ?? EMPTY_SKETCH)).toBe(3);
    expect(merged.ads.platform.meta).toEqual({
      impressions: 7,
      clicks: 1,
      costMicros: 10,
      spendMicros: 0,
      conversions: 1,
    });
    expect(mergeJourneyDays([a, b])).toEqual(merged);
  });

  it('refuses a stored e-mail cell whose sketch is not one', () => {
    const bad = { email: { z: { sent: 'not a sketch' } }, ads: { platform: {}, campaign: {}, creative: {} } };
    expect(journeyDaySchema.safeParse(bad).success).toBe(false);
  });

  it('keeps NPS answers in single days only: a block merges the cart sketches and drops the answers', () => {
    const day = (nps: Array<[string, number, number, 'direct']>, adds: UserSketch) => ({
      ...emptyDayResult(),
      journey: { ...emptyDayResult().journey, nps, cart: { adds } },
    });
    const block = mergeStored(
      new Map([
        ['2026-03-01', day([['00000000000000aa', 1, 9, 'direct']], users('u:a'))],
        ['2026-03-02', day([['00000000000000bb', 2, 3, 'direct']], users('u:a', 'u:b'))],
      ]),
    );
    // The people section (NPS answers, cohort conversions) is stored in days only.
    expect(block.people).toBeUndefined();
    // adds {a} ∪ {a, b} = 2 users.
    expect(estimateUsers(block.journey?.cart.adds ?? EMPTY_SKETCH)).toBe(2);
  });

  it('keeps the 1,000 converting paths with the most conversions and the 1,000 others with the most journeys', () => {
    // 1,002 non-converting paths "p0000" … "p1001", path n with n + 1 journeys: the two smallest
    // (p0000 with 1 journey, p0001 with 2) are cut, 3 journeys apart. One converting path with a
    // single journey is kept all the same: the kinds are cut apart.
    const nonConvertingPaths = Object.fromEntries(
      Array.from({ length: 1002 }, (_, n) => [`p${String(n).padStart(4, '0')}`, n + 1]),
    );
    const convertingPaths = { email: { journeys: 1, conversions: 1, valueMicros: 5 } };
    const merged = mergeJourneyDays([{ ...emptyJourneyDay(), nonConvertingPaths, convertingPaths }]);
    expect(Object.keys(merged.nonConvertingPaths)).toHaveLength(1000);
    expect(merged.nonConvertingPaths.p0000).toBeUndefined();
    expect(merged.nonConvertingPaths.p0002).toBe(3);
    expect(merged.otherNonConverting).toBe(3);
    expect(merged.convertingPaths).toEqual(convertingPaths);
  });

  it('keeps the path constants within what journey-paths.sql encodes: 5-bit channel codes, a HUGEINT of steps', () => {
    // A code is a channel's place in CHANNEL_IDS from 1; 0 ends a path, so at most 31 channels.
    expect(CHANNEL_IDS.length).toBeLessThanOrEqual(31);
    // The first step is shifted by 5 × (steps − 1) bits; DuckDB's HUGEINT overflows past 125.
    expect(5 * (MAX_PATH_STEPS - 1)).toBeLessThan(125);
  });
});

import { describe, expect, it } from 'vitest';
import { type ComputeRows, foldComputeRows, mergeBucketPartials } from '#domain/compute-rows.ts';
import { MAX_PATHS } from '#domain/journey/journey-day.ts';
import { MAX_REFERRAL_DOMAINS, MAX_VOICE_NAMES } from '#domain/metrics/partial.ts';

const DAY = '2026-03-05';
const NO_ROWS = Object.fromEntries(
  [
    'touches',
    'conversions',
    'voices',
    'referralVisits',
    'stageUsers',
    'credits',
    'transitions',
    'channelSets',
    'touchless',
    'attributionTouches',
    'emailRecipients',
    'adEvents',
    'adConversions',
    'npsResponses',
    'cartUsers',
    'visitors',
    'visits',
    'stageEntries',
    'journeyPaths',
    'journeySummary',
    'surveySources',
    'cohortConversions',
  ].map((key) => [key, []]),
) as unknown as ComputeRows;

/**
 * Two buckets, each with 1,000 entries of 3 of its own and one entry X of 2 that both share:
 * the day has 2,000 entries of 3 and X of 4, so X is the day's largest and must be kept, whether
 * the persons were computed in one bucket or two (before, each bucket cut to its own top 1,000,
 * where X's 2 ranked last, and X was lost from the merged day).
 */
function buckets(): [Partial<ComputeRows>, Partial<ComputeRows>] {
  const paths = (prefix: string) => [
    ...Array.from({ length: MAX_PATHS }, (_, i) => ({
      day: DAY,
      converting: false,
      path: `${prefix}${i}`,
      journeys: 3,
      conversions: 0,
      value_micros: 0,
    })),
    { day: DAY, converting: false, path: 'X', journeys: 2, conversions: 0, value_micros: 0 },
  ];
  const domains = (prefix: string) => [
    ...Array.from({ length: MAX_REFERRAL_DOMAINS }, (_, i) => ({
      day: DAY,
      domain: `${prefix}${i}.example`,
      category: 'referral',
      visits: 3,
    })),
    { day: DAY, domain: 'x.example', category: 'referral', visits: 2 },
  ];
  const voices = (prefix: string) => [
    ...Array.from({ length: MAX_VOICE_NAMES }, (_, i) => ({
      day: DAY,
      source: 'search',
      name: `${prefix}${i}`,
      count: 3,
    })),
    { day: DAY, source: 'search', name: 'X', count: 2 },
  ];
  const bucket = (prefix: string) => ({
    journeyPaths: paths(prefix),
    referralVisits: domains(prefix),
    voices: voices(prefix),
  });
  return [bucket('a'), bucket('b')];
}
const merged = (parts: ReadonlyArray<Partial<ComputeRows>>) =>
  mergeBucketPartials(
    parts.map((rows) => foldComputeRows({ ...NO_ROWS, ...rows }, ['Acme'])),
    ['Acme'],
  );

describe('mergeBucketPartials', () => {
  it("keeps a day's largest path, referring domain and voice however its persons were split", () => {
    const [a, b] = buckets();
    const one = merged([
      {
        journeyPaths: [...(a.journeyPaths ?? []), ...(b.journeyPaths ?? [])],
        referralVisits: [...(a.referralVisits ?? []), ...(b.referralVisits ?? [])],
        voices: [...(a.voices ?? []), ...(b.voices ?? [])],
      },
    ]);
    const two = merged([a, b]);
    expect(two).toEqual(one);
    const journey = two.journey.days[DAY];
    const metrics = two.metrics.days[DAY];
    // X: 2 + 2 = 4 journeys, above every other path's 3.
    expect(journey?.nonConvertingPaths.X).toBe(4);
    expect(Object.keys(journey?.nonConvertingPaths ?? {})).toHaveLength(MAX_PATHS);
    // 2,001 paths of 2 × 1,000 × 3 + 4 = 6,004 journeys: 1,000 kept (X and 999 of 3), the rest summed.
    expect(journey?.otherNonConverting).toBe(6004 - (4 + 999 * 3));
    expect(metrics?.referrals['x.example']?.visits).toBe(4);
    expect(metrics?.otherReferrals).toEqual({ visits: 6004 - (4 + 999 * 3), conversions: 0 });
    expect(metrics?.voices.search.X).toBe(4);
    expect(metrics?.otherVoices).toEqual({ ads: 0, search: 6004 - (4 + 999 * 3) });
  });
});

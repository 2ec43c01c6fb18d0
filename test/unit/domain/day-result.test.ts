import { describe, expect, it } from 'vitest';
import { attribute, compareModels } from '#domain/attribution/index.ts';
import { creditKey } from '#domain/attribution/partial.ts';
import { type DayResult, emptyDayResult, type StoredDay, toComputePartial } from '#domain/day-result.ts';
import { channelShare, cpaByStage, referralTraffic } from '#domain/metrics/index.ts';
import { mergeStored, storedParts } from '../../support/stored-days.ts';

const day = (touches: Record<string, number>, spend: Record<string, number>): DayResult => {
  const result = emptyDayResult();
  result.attribution.touches = touches;
  result.attribution.spendMicros = spend;
  result.metrics.touches = { paid_search: Object.values(touches).reduce((a, b) => a + b, 0) };
  result.metrics.spendMicros = { paid_search: Object.values(spend).reduce((a, b) => a + b, 0) };
  result.metrics.referrals = {
    'news.example.org': { category: 'referral', visits: Object.keys(touches).length, conversions: 0 },
  };
  return result;
};
const brand = creditKey('paid_search', 'brand');
const generic = creditKey('paid_search', 'generic');
const banner = creditKey('display', 'banner');
// 2026-01-01: brand touched twice; spend on brand 10, generic 5, the display banner 3.
// 2026-01-02: generic and the banner touched once each; spend on generic 4.
const first = day({ [brand]: 2 }, { [brand]: 10e6, [generic]: 5e6, [banner]: 3e6 });
const second = day({ [generic]: 1, [banner]: 1 }, { [generic]: 4e6 });
const RANGE = { from: '2026-01-01', to: '2026-01-02' };
const spendOf = (rows: ReadonlyArray<{ key: string; spend: number }>) =>
  Object.fromEntries(rows.map((row) => [row.key, row.spend]));

describe('merged day results', () => {
  it('attribute spend only to touches of its own day, merged or not', () => {
    const days = toComputePartial(
      storedParts(
        new Map([
          ['2026-01-01', first],
          ['2026-01-02', second],
        ]),
      ),
    );
    const both = new Map([
      ['2026-01-01', first],
      ['2026-01-02', second],
    ]);
    const block = toComputePartial(storedParts(new Map([['2026-01-01', mergeStored(both) as StoredDay]])));
    for (const data of [days, block]) {
      // By campaign: brand's 10 matches its touch; generic's 5 and the banner's 3 on the first day
      // had no touch that day (the next day's touches do not take them): unattributed 8; generic's
      // 4 on the second day matches.
      const byCampaign = attribute(data.attribution, { ...RANGE, model: 'linear', groupBy: 'campaign' });
      expect(spendOf(byCampaign.rows)).toEqual({ brand: 10, generic: 4, unattributed: 8 });
      // By channel: paid search was touched on both days (10 + 5 + 4); display not on the first.
      const byChannel = attribute(data.attribution, { ...RANGE, model: 'markov', groupBy: 'channel' });
      expect(spendOf(byChannel.rows)).toEqual({ paid_search: 19, unattributed: 3 });
      expect(compareModels(data.attribution, RANGE).spend).toBe(22);
      expect(channelShare(data.metrics, { ...RANGE, basis: 'touches' }).total).toBe(4);
      expect(cpaByStage(data.metrics, { ...RANGE, currency: 'USD' }).spend).toBe(22);
      // One referral visit per touched key: 1 on the first day, 2 on the second, each on its day.
      expect(referralTraffic(data.metrics, { ...RANGE, limit: 10 })).toMatchObject({
        total: 3,
        daily: [
          { date: '2026-01-01', visits: 1 },
          { date: '2026-01-02', visits: 2 },
        ],
      });
    }
  });

  it('settles spend once: merging merged results changes nothing', () => {
    const once = mergeStored(
      new Map([
        ['2026-01-01', first],
        ['2026-01-02', second],
      ]),
    );
    expect(mergeStored(new Map([['2026-01-01', once as StoredDay]]))).toEqual(once);
    const halves = new Map([
      ['2026-01-01', mergeStored(new Map([['2026-01-01', first]])) as StoredDay],
      ['2026-01-02', mergeStored(new Map([['2026-01-02', second]])) as StoredDay],
    ]);
    expect(mergeStored(halves)).toEqual(once);
  });
});

import { describe, expect, it } from 'vitest';
import { emptyDayResult, STORED_SECTIONS } from '#domain/day-result.ts';
import { emailFunnel, withEmailDay } from '#domain/journey/email-funnel.ts';
import { emptyJourneyDay, type JourneyDay, mergeJourneyDays } from '#domain/journey/journey-day.ts';
import { hashUserKey, sketchOfHashes } from '#domain/metrics/user-sketch.ts';
import { mergeStored } from '../../../support/stored-days.ts';

const users = (...keys: string[]) => sketchOfHashes(keys.map(hashUserKey));
const day = (email: JourneyDay['email']): JourneyDay => ({ ...emptyJourneyDay(), email });

describe('the e-mail funnel', () => {
  // Mar 2: "spring" sent to a and b, opened by a. Mar 3: "spring" opened by a and b, "news" sent
  // to c. Day rows count each day's recipients: Mar 2 sent 2, opened 1; Mar 3 sent 1 (c), opened 2.
  // The range's spring openers are a and b, so the totals say 2 opened, not 1 + 2.
  const mar2 = withEmailDay(day({ spring: { sent: users('a', 'b'), open: users('a') } }), '2026-03-02');
  const mar3 = withEmailDay(
    day({ spring: { open: users('a', 'b') }, news: { sent: users('c') } }),
    '2026-03-03',
  );
  const range = { from: '2026-03-02', to: '2026-03-03', groupBy: 'day' } as const;

  it('stores each day with its own counts, under its date', () => {
    expect(mar3.emailDays).toEqual({
      '2026-03-03': {
        sent: 1,
        delivered: 0,
        bounced: 0,
        opened: 2,
        clicked: 0,
        unsubscribed: 0,
        complained: 0,
        subscribed: 0,
      },
    });
    expect(withEmailDay(emptyJourneyDay(), '2026-03-04').emailDays).toEqual({});
  });

  it('answers the same day rows and totals from a block of days as from the single days', () => {
    const fromDays = emailFunnel({ days: { '2026-03-02': mar2, '2026-03-03': mar3 } }, range);
    const block = mergeJourneyDays([mar2, mar3]);
    const fromBlock = emailFunnel({ days: { '2026-03-02': block } }, range);
    expect(fromDays.rows.map((r) => [r.key, r.sent, r.opened])).toEqual([
      ['2026-03-02', 2, 1],
      ['2026-03-03', 1, 2],
    ]);
    expect(fromBlock).toEqual(fromDays);
    expect(fromDays.totals).toMatchObject({ sent: 3, opened: 2, openRate: null }); // nothing delivered
  });

  it('keeps the dated counts in the stored e-mail section and its blocks', () => {
    const stored = mergeStored(
      new Map([
        ['2026-03-02', { ...emptyDayResult(), journey: day({ spring: { sent: users('a', 'b') } }) }],
        ['2026-03-03', { ...emptyDayResult(), journey: day({ spring: { sent: users('b') } }) }],
      ]),
    );
    const read = STORED_SECTIONS.email.schema.parse(JSON.parse(JSON.stringify(stored.email)));
    expect(Object.entries(read.emailDays).map(([date, counts]) => [date, counts.sent])).toEqual([
      ['2026-03-02', 2],
      ['2026-03-03', 1],
    ]);
  });

  it('never merges two parts holding the same date', () => {
    expect(() => mergeJourneyDays([mar2, mar2])).toThrow(RangeError);
  });
});

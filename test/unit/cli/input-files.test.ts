import { describe, expect, it } from 'vitest';
import { checkColumns, readEventsCsv, readNdjson, readSpendCsv } from '../../../cli/input-files.ts';

describe('reading NDJSON events', () => {
  it('keeps each event with its line and skips, by line, what is not a JSON object', () => {
    // Lines: 1 event, 2 not JSON, 3 blank (neither event nor skipped), 4 an array, 5 event, 6 null.
    const text = ['{"eventId":"a"}', '{"eventId":', '', '[1]', '{"eventId":"b"}\r', 'null', ''].join('\n');
    const { events, skipped } = readNdjson(text);
    expect(events).toEqual([
      { line: 1, event: { eventId: 'a' } },
      { line: 5, event: { eventId: 'b' } },
    ]);
    expect(skipped.map((s) => s.line)).toEqual([2, 4, 6]);
    expect(skipped[0]?.reason).toMatch(/^not JSON \(/);
    expect(skipped[1]?.reason).toBe('not a JSON object');
  });
});

describe('reading CSV events', () => {
  it('maps utm_* into utm, money with its currency and numbers, and numbers rows by their line', () => {
    // Line 1 header, 2 a search, 3 blank, 4 a conversion worth 12.5 EUR.
    const text = [
      'eventId,type,occurredAt,query,count,position,utm_source,value,currency',
      's1,search,2026-03-01T00:00:00Z,acme,3,2,,,',
      '',
      'c1,conversion,2026-03-01T01:00:00Z,,,,news,12.5,EUR',
    ].join('\n');
    expect(readEventsCsv(text)).toEqual({
      events: [
        {
          line: 2,
          event: {
            eventId: 's1',
            type: 'search',
            occurredAt: '2026-03-01T00:00:00Z',
            query: 'acme',
            count: 3,
            position: 2,
          },
        },
        {
          line: 4,
          event: {
            eventId: 'c1',
            type: 'conversion',
            occurredAt: '2026-03-01T01:00:00Z',
            utm: { source: 'news' },
            value: { amount: 12.5, currency: 'EUR' },
          },
        },
      ],
      skipped: [],
    });
  });

  it('reads a survey score as a number, as the intake requires of an NPS answer', () => {
    const text = [
      'eventId,type,occurredAt,userId,survey,score',
      'n1,survey,2026-03-01T00:00:00Z,u1,nps,9',
    ].join('\n');
    expect(readEventsCsv(text).events.map((e) => e.event)).toEqual([
      {
        eventId: 'n1',
        type: 'survey',
        occurredAt: '2026-03-01T00:00:00Z',
        userId: 'u1',
        survey: 'nps',
        score: 9,
      },
    ]);
  });
});

describe('CSV columns', () => {
  it('refuses the misspelt columns of a CSV of events, naming the nearest known one', () => {
    // Both are one edit away: referer → referrer (insert r), utm_souce → utm_source (insert r); the limit is 2.
    const text =
      'eventId,type,occurredAt,userId,url,referer,utm_souce\np1,page_view,2026-03-01T00:00:00Z,u,https://a.example/,https://news.example/,news\n';
    expect(() => readEventsCsv(text)).toThrow(
      'unknown CSV columns "referer" (did you mean referrer?), "utm_souce" (did you mean utm_source?)',
    );
  });

  it('takes case, _ and - as typos, and lists the columns when a name is no typo of one', () => {
    // user_id and USERID are userId loosely (distance 0); "colour" is 5 edits from url and 6 from userid.
    expect(() => checkColumns(['user_id', 'USERID', 'colour'], ['userId', 'url'])).toThrow(
      'unknown CSV columns "user_id" (did you mean userId?), "USERID" (did you mean userId?), "colour"; the columns are userId, url',
    );
    expect(checkColumns(['url', 'userId'], ['userId', 'url'])).toEqual(['url', 'userId']);
  });

  it('checks the columns of spend rows against their fields, and reads the numbers', () => {
    expect(() => readSpendCsv('date,platform,campain,amount,currency\n')).toThrow(
      'unknown CSV column "campain" (did you mean campaign?)',
    );
    expect(
      readSpendCsv('date,platform,network,amount,currency,clicks\n2026-03-01,meta,,12.5,USD,3\n'),
    ).toEqual([{ date: '2026-03-01', platform: 'meta', amount: 12.5, currency: 'USD', clicks: 3 }]);
  });
});

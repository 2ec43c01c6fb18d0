import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbSession } from '#adapters/duckdb.ts';

let engine: DuckDbSession;

beforeAll(async () => {
  engine = await DuckDbSession.open({ threads: 1 });
});

afterAll(async () => {
  await engine.close();
});

describe('a text list bound as a statement parameter', () => {
  it('matches exactly the texts given, quotes and non-ASCII included', async () => {
    const texts = ["o'brien", 'é東京🙂', 'a,b', 'plain'];
    // Of the five candidates only 'absent' is not in the list: four rows come back.
    const found = await engine.all<{ t: string }>(
      `SELECT t FROM (VALUES ('plain'), ('absent'), ('a,b'), ('é東京🙂'), ('o''brien')) v(t)
       WHERE t IN (SELECT unnest($texts)) ORDER BY t`,
      { texts: engine.textList(texts) },
    );
    expect(found.map((row) => row.t)).toEqual(['a,b', "o'brien", 'plain', 'é東京🙂']);
  });

  it('refuses an empty list, whose element type could not be inferred', () => {
    expect(() => engine.textList([])).toThrow(/at least one text/);
  });
});

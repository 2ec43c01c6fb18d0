import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvResponse } from '#http/responses.ts';

/** The rows a standard CSV reader (csv-parse, RFC 4180) gets back from a download. */
const rowsOf = (rows: unknown[][]) =>
  parse(csvResponse('x.csv', ['name', 'n'], rows).body ?? '', {}) as string[][];

describe('csvResponse', () => {
  it('keeps a cell holding a lone line feed or carriage return one cell of one row', () => {
    const cells = [
      ['Spring\nsale', 5],
      ['Autumn\rsale', 6],
      ['Winter\r\nsale', 7],
    ];
    expect(rowsOf(cells)).toEqual([
      ['name', 'n'],
      ['Spring\nsale', '5'],
      ['Autumn\rsale', '6'],
      ['Winter\r\nsale', '7'],
    ]);
  });

  it('quotes such a cell, so a formula after the break cannot start a row of its own', () => {
    const { body } = csvResponse('x.csv', ['name', 'n'], [["Spring\n=cmd|' /C calc'!A0", 5]]);
    expect(body).toBe(`name,n\r\n"Spring\n=cmd|' /C calc'!A0",5\r\n`);
  });

  it('prefixes a cell a spreadsheet would run as a formula, and leaves negative numbers alone', () => {
    expect(
      rowsOf([
        ['=1+1', -3],
        ['@SUM(A1)', '+7'],
      ]),
    ).toEqual([
      ['name', 'n'],
      ["'=1+1", '-3'],
      ["'@SUM(A1)", '+7'],
    ]);
  });
});

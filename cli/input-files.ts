import { parse as parseCsv } from 'csv-parse/sync';
import { closest, distance } from 'fastest-levenshtein';
import { EVENT_FIELDS, utmSchema } from '#domain/event-schema.ts';
import { SPEND_ROW_FIELDS } from '#domain/spend.ts';

/** An event read from a file, with the line it came from: messages name lines, not indexes. */
export interface EventLine {
  readonly line: number;
  readonly event: Record<string, unknown>;
}

/** A line that held no event, and why. */
export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

export interface EventFile {
  readonly events: EventLine[];
  readonly skipped: SkippedLine[];
}

/**
 * One event per line. A line that is not a JSON object is skipped, not fatal: one bad line of a
 * large export should not hold back the others, and the caller reports each by its line number.
 */
export function readNdjson(text: string): EventFile {
  const events: EventLine[] = [];
  const skipped: SkippedLine[] = [];
  // A byte order mark (spreadsheet and Windows exports) is not part of the first line.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      skipped.push({ line, reason: `not JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      events.push({ line, event: value as Record<string, unknown> });
    } else {
      skipped.push({ line, reason: 'not a JSON object' });
    }
  });
  return { events, skipped };
}

/**
 * A header row naming event fields, then one event per row: `utm_*` columns go into `utm`,
 * `value` and `cost` are amounts in `currency` (default USD), `count`, `position` and `score` numbers.
 * A row's line is the one it ends on (a quoted cell may span lines).
 */
export function readEventsCsv(text: string): EventFile {
  const rows = parseCsv(text, {
    columns: (header: string[]) => checkColumns(header, EVENT_COLUMNS),
    skip_empty_lines: true,
    trim: true,
    info: true,
  }) as Array<{
    record: Record<string, string>;
    info: { lines: number };
  }>;
  const events = rows.map(({ record, info }) => {
    const event: Record<string, unknown> = {};
    const utm: Record<string, string> = {};
    for (const [column, value] of Object.entries(record)) {
      if (value === '') continue;
      if (column.startsWith('utm_')) utm[column.slice(4)] = value;
      else if (column === 'count' || column === 'position' || column === 'score')
        event[column] = Number(value);
      else if (column === 'value' || column === 'cost')
        event[column] = { amount: Number(value), currency: record.currency || 'USD' };
      else if (column !== 'currency') event[column] = value;
    }
    if (Object.keys(utm).length > 0) event.utm = utm;
    return { line: info.lines, event };
  });
  return { events, skipped: [] };
}

/**
 * Columns of a CSV of events: the events' fields, but `utm` as one `utm_*` column per UTM field and
 * `currency` for `value` and `cost`; `properties`, an object, has no column.
 */
const EVENT_COLUMNS = [
  ...EVENT_FIELDS.filter((field) => field !== 'utm' && field !== 'properties'),
  ...Object.keys(utmSchema.shape).map((field) => `utm_${field}`),
  'currency',
];

/** Spend rows from a CSV whose header names their fields; `amount`, `impressions` and `clicks` are numbers. */
export function readSpendCsv(text: string): Record<string, unknown>[] {
  const rows = parseCsv(text, {
    columns: (header: string[]) => checkColumns(header, SPEND_ROW_FIELDS),
    skip_empty_lines: true,
    trim: true,
  }) as Record<string, string>[];
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([, value]) => value !== '')
        .map(([column, value]) => [
          column,
          ['amount', 'impressions', 'clicks'].includes(column) ? Number(value) : value,
        ]),
    ),
  );
}

/** Names are compared without case, `_` or `-`: `user_id` and `UserID` are near `userId`. */
const loose = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
/** How far (in edits of the loose names) a column may be from a known one to be a typo of it. */
const MAX_TYPO_DISTANCE = 2;

/**
 * Refuses a header with a column that no field has, naming the nearest known one: such a column
 * would be dropped without a word and its rows misread (a `referer` column leaves a referral
 * visit direct). Returns the header, as csv-parse's `columns` wants.
 */
export function checkColumns(header: string[], known: readonly string[]): string[] {
  const unknown = header.filter((column) => !known.includes(column));
  if (unknown.length === 0) return header;
  const byLoose = new Map(known.map((name) => [loose(name), name]));
  const looseNames = [...byLoose.keys()];
  let typos = 0;
  const named = unknown.map((column) => {
    const nearest = closest(loose(column), looseNames);
    if (distance(loose(column), nearest) > MAX_TYPO_DISTANCE) return `"${column}"`;
    typos++;
    return `"${column}" (did you mean ${byLoose.get(nearest)}?)`;
  });
  // The whole list only helps when some column is not a typo of one.
  const list = typos < unknown.length ? `; the columns are ${known.join(', ')}` : '';
  throw new Error(`unknown CSV column${unknown.length > 1 ? 's' : ''} ${named.join(', ')}${list}`);
}

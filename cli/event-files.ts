import { parse as parseCsv } from 'csv-parse/sync';

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
  text.split('\n').forEach((raw, index) => {
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
 * `value` and `cost` are amounts in `currency` (default USD), `count` and `position` numbers.
 * A row's line is the one it ends on (a quoted cell may span lines).
 */
export function readEventsCsv(text: string): EventFile {
  const rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as Array<{
    record: Record<string, string>;
    info: { lines: number };
  }>;
  const events = rows.map(({ record, info }) => {
    const event: Record<string, unknown> = {};
    const utm: Record<string, string> = {};
    for (const [column, value] of Object.entries(record)) {
      if (value === '') continue;
      if (column.startsWith('utm_')) utm[column.slice(4)] = value;
      else if (column === 'count' || column === 'position') event[column] = Number(value);
      else if (column === 'value' || column === 'cost')
        event[column] = { amount: Number(value), currency: record.currency || 'USD' };
      else if (column !== 'currency') event[column] = value;
    }
    if (Object.keys(utm).length > 0) event.utm = utm;
    return { line: info.lines, event };
  });
  return { events, skipped: [] };
}

import { stringify } from 'csv-stringify/sync';
import type { AppError } from '#domain/errors.ts';
import type { HttpResult } from './types.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The JSON error body every 4xx and 5xx carries: `{ error: { code, message, issues? } }`. */
export function errorResponse(error: AppError, requestId?: string): HttpResult {
  const exposed = error.expose;
  return jsonResponse(
    error.statusCode,
    {
      error: {
        code: error.code,
        message: exposed ? error.message : 'internal error',
        ...(exposed && error.issues.length > 0 ? { issues: error.issues } : {}),
        ...(requestId ? { requestId } : {}),
      },
    },
    error.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {},
  );
}

/**
 * An RFC 4180 CSV download: CRLF line ends, quoting where needed, a header row and a file name.
 * Cells that a spreadsheet would run as a formula are prefixed with `'`.
 */
export function csvResponse(
  fileName: string,
  header: readonly string[],
  rows: readonly unknown[][],
): HttpResult {
  // csv-stringify quotes a cell holding the whole record delimiter (CRLF) only; a lone CR or LF
  // inside a cell must be quoted too, or readers split the row there (RFC 4180).
  const body = stringify([header, ...rows.map((row) => row.map(toCell))], {
    record_delimiter: '\r\n',
    quoted_match: /[\r\n]/,
  });
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
      'cache-control': 'no-store',
    },
    body,
  };
}

function toCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
}

import { z } from 'zod';
import { addDays, calendarDateSchema, daysBetween, localDate, MAX_RANGE_DAYS } from '#domain/dates.ts';
import { ValidationError } from '#domain/errors.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { header } from './request.ts';
import type { HttpEvent } from './types.ts';

/** Parameters every metric endpoint takes. */
export const rangeParams = {
  from: calendarDateSchema.optional(),
  to: calendarDateSchema.optional(),
  format: z.enum(['json', 'csv']).optional(),
};

export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** Refuses a range that runs backwards or spans more than {@link MAX_RANGE_DAYS} days. */
export function checkRange(from: string, to: string): void {
  if (from > to) {
    throw new ValidationError('from must not be after to', {
      issues: [{ path: 'from', message: 'must not be after to' }],
    });
  }
  if (daysBetween(from, to) >= MAX_RANGE_DAYS) {
    throw new ValidationError(`the range may span at most ${MAX_RANGE_DAYS} days`, {
      issues: [{ path: 'to', message: `must be within ${MAX_RANGE_DAYS} days of from` }],
    });
  }
}

/**
 * Parses a query string strictly: unknown parameters are refused (a typo must not silently
 * change the answer). `from`/`to` default to the last 30 days ending today in `timeZone`.
 */
export function parseQuery<T extends z.ZodRawShape>(
  event: HttpEvent,
  shape: T,
  timeZone: string,
): z.output<z.ZodObject<T>> & DateRange & { format: 'json' | 'csv' } {
  const params = event.queryStringParameters ?? {};
  const parsed = parseOrThrow(z.strictObject({ ...rangeParams, ...shape }), params, 'query string') as Record<
    string,
    unknown
  >;
  const to = (parsed.to as string | undefined) ?? localDate(Date.now(), timeZone);
  const from = (parsed.from as string | undefined) ?? addDays(to, -29);
  checkRange(from, to);
  const accept = header(event, 'accept') ?? '';
  const format =
    (parsed.format as 'json' | 'csv' | undefined) ?? (/\btext\/csv\b/i.test(accept) ? 'csv' : 'json');
  return { ...parsed, from, to, format } as unknown as z.output<z.ZodObject<T>> &
    DateRange & { format: 'json' | 'csv' };
}

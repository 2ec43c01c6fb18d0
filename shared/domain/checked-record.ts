import { z } from 'zod';

/** A count or sum read back from storage: doubles, exact below 2⁵³, and never a failure above it. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * A record of `expected` values (keyed by data: campaigns, channel sets), checked where it lies.
 * `z.record` rebuilds the record entry by entry through a schema per value, which was most of a
 * query's time spent validating the thousands of campaign keys of a stored block of days. The
 * record is handed back as read (its keys come from JSON.parse, so every key is an own property).
 */
export function checkedRecord<T>(
  isValue: (value: unknown) => value is T,
  expected: string,
): z.ZodType<Record<string, T>> {
  return z.custom<Record<string, T>>().superRefine((input, context) => {
    if (!isPlainObject(input)) {
      context.addIssue({ code: 'custom', message: `expected a record of ${expected}` });
      return;
    }
    for (const key of Object.keys(input)) {
      if (!isValue(input[key]))
        context.addIssue({ code: 'custom', message: `expected ${expected}`, path: [key] });
    }
  });
}

function isPlainObject(input: unknown): input is Record<string, unknown> {
  if (typeof input !== 'object' || input === null) return false;
  const prototype = Object.getPrototypeOf(input);
  return prototype === Object.prototype || prototype === null;
}

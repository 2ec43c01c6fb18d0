import { expect } from 'vitest';

/**
 * The expected value with every non-integer number replaced by `expect.closeTo(n, digits)`:
 * shares and costs are rounded by the API, the expectations are exact fractions.
 */
export function approx<T>(value: T, digits = 6): T {
  if (typeof value === 'number' && !Number.isInteger(value)) return expect.closeTo(value, digits) as T;
  if (Array.isArray(value)) return value.map((item) => approx(item, digits)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, approx(item, digits)])) as T;
  }
  return value;
}

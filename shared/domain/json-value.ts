import { ValidationError } from './errors.ts';

/** Why an integer beyond ±2⁵³ is refused, wherever one is. */
export const UNSAFE_INTEGER_MESSAGE =
  'is an integer beyond ±2^53, which JSON numbers cannot hold exactly; send it as a string';

/** An integer-valued number JSON parsing has already rounded (beyond ±2⁵³). */
export function isUnsafeInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

export interface UnfaithfulValueProps {
  /** Deepest nesting of objects and arrays allowed (the root is at depth 0). */
  readonly maxDepth: number;
  /** Refuse integer-valued numbers beyond ±2⁵³: JSON parsing has already rounded them. */
  readonly safeIntegers: boolean;
}

/**
 * The first value of parsed JSON (in document order) that could not be kept as sent: nesting
 * deeper than `maxDepth`, or (with `safeIntegers`) an integer that is not a safe integer. Walked
 * with a stack of its own: a few kilobytes of `[[[[…]]]]` are thousands of levels, past what a
 * recursive reader's call stack holds.
 */
export function unfaithfulValue(
  root: unknown,
  props: UnfaithfulValueProps,
): { path: Array<string | number>; message: string } | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { value, path } = next;
    if (typeof value === 'number') {
      if (props.safeIntegers && isUnsafeInteger(value)) return { path, message: UNSAFE_INTEGER_MESSAGE };
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (path.length >= props.maxDepth)
      return { path, message: `nests objects and arrays deeper than ${props.maxDepth} levels` };
    const entries: Array<[string | number, unknown]> = Array.isArray(value)
      ? value.map((inner, i): [number, unknown] => [i, inner])
      : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, inner] = entries[i] as [string | number, unknown];
      stack.push({ value: inner, path: [...path, key] });
    }
  }
  return undefined;
}

export interface ParseJsonBytesProps {
  /**
   * Integers too large for a double keep their digits, as a string (ad platforms send 64-bit
   * ids as JSON numbers).
   */
  readonly keepLargeIntegers?: boolean;
}

/** A request body as JSON: strict UTF-8, and a 400 naming `(body)` and where it breaks. */
export function parseJsonBytes(bytes: Uint8Array, props: ParseJsonBytesProps = {}): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return props.keepLargeIntegers
      ? JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
          isUnsafeInteger(value) && context?.source ? context.source : value,
        )
      : JSON.parse(text);
  } catch (error) {
    throw new ValidationError('the body is not valid JSON', {
      cause: error,
      issues: [
        {
          path: '(body)',
          // Only where: V8's message quotes the body, which may hold personal data.
          message: error instanceof TypeError ? 'not valid UTF-8' : jsonErrorPlace(error as Error),
        },
      ],
    });
  }
}

function jsonErrorPlace(error: Error): string {
  const position = /position (\d+)/.exec(error.message)?.[1];
  if (position) return `not valid JSON at position ${position}`;
  return /end of JSON input/.test(error.message) ? 'not valid JSON: it ends too early' : 'not valid JSON';
}

import type { z } from 'zod';
import type { FieldIssue } from './errors.ts';
import { ValidationError } from './errors.ts';

/** Turns zod issues into field issues whose paths are dotted (`events.2.occurredAt`). */
export function toFieldIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

/** Parses `input` with `schema` or throws a {@link ValidationError} naming every bad field. */
export function parseOrThrow<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
  prefix: readonly PropertyKey[] = [],
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error, prefix);
  const first = issues[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  return raise(new ValidationError(`invalid ${what} (${summary})`, { issues, cause: result.error }));
}

function raise(error: Error): never {
  throw error;
}

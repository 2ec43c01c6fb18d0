import { z } from 'zod';
import {
  AppError,
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';

export const JOB_KINDS = ['compute', 'replay'] as const;
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

/** A compute or replay job as `GET /v1/jobs/{jobId}` shows it. */
export const jobSchema = z.object({
  jobId: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  from: z.string(),
  to: z.string(),
  /** The first day computed, when refunds of earlier conversions widened the range (services/late-refunds.ts). */
  computedFrom: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  /** Steps done of all the job's steps (lake days to rebuild, then compute buckets, then the reduce). */
  progress: z.object({ done: z.int().min(0), total: z.int().min(0) }).optional(),
  /** What the job did: events scanned, objects loaded, days written... */
  stats: z.record(z.string(), z.number()).optional(),
});
export type Job = z.infer<typeof jobSchema>;

/**
 * A job id: `<kind>-<UTC stamp>-<8 hex>` for jobs started through the API, `<kind>-<execution name>`
 * for those the schedule starts; the one schema for routes, state-machine input and tasks.
 */
export const jobIdSchema = z.string().regex(/^(compute|replay)-[A-Za-z0-9-]{8,100}$/, 'is not a job id');

/** The id of the job a scheduled execution runs: derived from its name, so its end can find it. */
export function jobIdForExecution(executionName: string): string {
  return `compute-${executionName
    .replace(/[^A-Za-z0-9-]/g, '')
    .slice(0, 100)
    .padEnd(8, '0')}`;
}

/**
 * The version a job stores its days at: when it read the lake, then its id. The time tells a later
 * plan what the job may not have seen (a refund built after it: services/late-refunds.ts).
 */
export function dayVersion(jobId: string, readAt: string): string {
  return `${readAt.replace(/[-:.]/g, '')}~${jobId}`;
}

/** When the job that stored `version` read the lake (epoch ms); undefined for versions without it. */
export function versionReadAt(version: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z~/.exec(version);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, sec, ms] = match.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, sec, ms);
}

/** Errors whose message is written for whoever reads the job (our own, naming no internals). */
const SHOWN_ERRORS: ReadonlySet<string> = new Set(
  [
    ValidationError,
    UnauthorizedError,
    ForbiddenError,
    NotFoundError,
    MethodNotAllowedError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
    ServiceUnavailableError,
  ].map((type) => type.name),
);
const lambdaErrorSchema = z.object({ errorType: z.string(), errorMessage: z.string() });

/**
 * Why a job failed, as `GET /v1/jobs/{jobId}` shows it, the same from either runner: the message
 * of one of our errors meant to be read (a window too large, a store that stayed busy); for a
 * Step Functions error, the message of the Lambda error in its cause when it is one of those, or
 * the States error and its cause; anything else (an SDK, DuckDB or programming error, whose
 * text may name tables, buckets or SQL) only by its name, the logs holding the rest. A Lambda
 * error's cause is its JSON (`errorType`, `errorMessage`, `trace`): the stack is never kept.
 */
export function failureReason(error: unknown): string {
  const internal = (name: string) => `internal error (${name}); the logs have the details`;
  const reason = (): string => {
    if (error instanceof AppError) return SHOWN_ERRORS.has(error.name) ? error.message : internal(error.name);
    if (error && typeof error === 'object' && 'Error' in error) {
      const { Error: name, Cause: cause } = error as { Error?: unknown; Cause?: unknown };
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(cause));
      } catch {
        parsed = undefined;
      }
      const lambda = lambdaErrorSchema.safeParse(parsed);
      if (lambda.success)
        return SHOWN_ERRORS.has(lambda.data.errorType)
          ? lambda.data.errorMessage
          : internal(lambda.data.errorType);
      return cause ? `${String(name)}: ${String(cause)}` : String(name);
    }
    return internal(error instanceof Error ? error.name : typeof error);
  };
  return reason().slice(0, 1000);
}

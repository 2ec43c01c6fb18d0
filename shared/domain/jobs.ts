import { z } from 'zod';

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

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
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  /** What the job did: events scanned, objects loaded, days written... */
  stats: z.record(z.string(), z.number()).optional(),
});
export type Job = z.infer<typeof jobSchema>;

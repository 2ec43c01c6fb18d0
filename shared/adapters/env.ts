import { z } from 'zod';
import { computeBucketsVariableSchema } from '#domain/compute-buckets.ts';
import { ValidationError } from '#domain/errors.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('false')
  .transform((value) => value === 'true' || value === '1');

/** Every environment variable the functions read, parsed once (docs/architecture.md). */
export const envSchema = z.object({
  RAW_BUCKET: z.string().min(3),
  RESULTS_TABLE: z.string().min(3),
  SPEND_TABLE: z.string().min(3),
  KEYS_TABLE: z.string().min(3),
  /**
   * Path of the config file. On Lambda it is a file of the function's own asset: the environment
   * holds 4 KB in all, a config can be far larger (docs/decisions.md).
   */
  ATTRIBUTION_CONFIG: z.string().min(1).default('attribution.config.json'),
  /** Keys the e-mail hash; at least 16 characters. On AWS, `PII_HASH_SECRET_ARN` names it instead. */
  PII_HASH_SECRET: z.string().min(16).optional(),
  /** Secrets Manager secret holding the e-mail hash key, read once per container. */
  PII_HASH_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** Secrets Manager secret holding a bootstrap API key valid for ingest and query. */
  BOOTSTRAP_API_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** The compute state machine; jobs start it when set, and run in-process otherwise. */
  STATE_MACHINE_ARN: z.string().startsWith('arn:').optional(),
  /**
   * Hash buckets of persons one compute run is split into (each a task over whole journeys): `auto`
   * sizes them by the window's events Parquet (domain/compute-buckets.ts), a number fixes them.
   */
  COMPUTE_BUCKETS: computeBucketsVariableSchema.default('auto'),
  /**
   * Bytes of the compute function's work folder (/tmp): a plan refuses a window whose cache and
   * spill would not fit (domain/compute-buckets.ts). Unset (the local runtime): no limit.
   */
  COMPUTE_WORK_FOLDER_BYTES: z.coerce.number().int().positive().optional(),
  /** DuckDB worker threads (default: one per core) and memory limit before it spills to disk. */
  DUCKDB_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/)
    .optional(),
  /** Where DuckDB spills and stages files; Lambda: /tmp. */
  DUCKDB_TEMP_DIR: z.string().min(1).optional(),
  /** Where fetched lake partitions are cached between invocations; Lambda: /tmp. */
  LAKE_CACHE_DIR: z.string().min(1).optional(),
  /** The SNS topic the daily KPI check publishes alerts to; without it they go to the log. */
  ALERTS_TOPIC_ARN: z.string().startsWith('arn:').optional(),
  /** S3-compatible servers (the local runtime) want path-style URLs. */
  S3_FORCE_PATH_STYLE: flag,
});
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** The parsed environment; parsed on first use and kept, so a bad variable fails loudly once. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source !== process.env) return parseEnv(source);
  cached ??= parseEnv(source);
  return cached;
}

function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error);
  throw new ValidationError(
    `invalid environment: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    {
      issues,
      cause: result.error,
    },
  );
}

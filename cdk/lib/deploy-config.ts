import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { computeBucketsSchema } from '../../shared/domain/compute-buckets.ts';
import { attributionConfigSchema } from '../../shared/domain/config.ts';
import { isSecretReference } from '../../shared/domain/secret-references.ts';
import { toFieldIssues } from '../../shared/domain/zod-issues.ts';

/**
 * Deployment settings: the `deploy` key of the attribution config file (README: Deploy). The rest
 * of the file is validated here, so a bad file fails `cdk synth` naming the field, and ships as a
 * file in every function's asset (the functions validate it again at start).
 */
export const deploySettingsSchema = z.strictObject({
  /** Distinguishes several deployments in one account: stack and resource names carry it. */
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'lower-case letters, digits and dashes, up to 20')
    .default('prod'),
  /**
   * When the scheduled compute runs, as an EventBridge Scheduler expression. A run reads only the
   * lake partitions of its window (BENCHMARKS.md has the cost): hourly by default.
   */
  computeSchedule: z.string().min(6).default('rate(1 hour)'),
  /** When the daily KPI check runs (README: Alerts), for the day before: 06:00 UTC by default. */
  alertsSchedule: z.string().min(6).default('cron(0 6 * * ? *)'),
  /**
   * Hash buckets of persons a compute is split into, one Map iteration (a compute Lambda running
   * DuckDB over whole journeys) each: `auto` (one per 400 MB of the window's events Parquet, about
   * 10M events) or a number.
   */
  computeBuckets: computeBucketsSchema.default('auto'),
  /** Version 1's scan segments: accepted so older files deploy, and ignored (see computeBuckets). */
  scanSegments: z.int().min(1).optional(),
  logRetentionDays: z.int().min(1).max(3653).default(30),
  /** Raw objects move to Infrequent Access after this many days and expire after `rawExpiryDays` (0 keeps them). */
  rawInfrequentAccessDays: z.int().min(30).default(30),
  rawExpiryDays: z.int().min(0).default(0),
  /** Alarm e-mails go here when set (the subscription must be confirmed). */
  alarmEmail: z.email().optional(),
  /** Steady-state requests per second and burst of each route of the HTTP API (the stage's default). */
  throttleRate: z.number().positive().default(500),
  throttleBurst: z.int().positive().default(1000),
  /**
   * The same for each route browsers send to (`/v1/batch`, `/v1/t`, the tag, …), whose write key is
   * public: a site can hold them lower (or raise them for heavy traffic) without touching the
   * keyed routes. Defaults to the stage's.
   */
  collectThrottleRate: z.number().positive().optional(),
  collectThrottleBurst: z.int().positive().optional(),
  /**
   * The customer-managed KMS key of the secrets and SecureString parameters the config references,
   * when they are not under the AWS managed key: the functions that read them may decrypt with it,
   * through Secrets Manager and SSM only. A key ARN, not an alias: IAM grants on a key's ARN.
   */
  secretsKmsKeyArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$/,
      'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias',
    )
    .optional(),
});
export type DeploySettings = z.infer<typeof deploySettingsSchema>;

export interface DeployConfig {
  readonly settings: DeploySettings;
  /** Secrets Manager ARNs and SSM parameter names the config refers to (webhook secrets, write keys). */
  readonly secretReferences: { readonly webhooks: readonly string[]; readonly writeKeys: readonly string[] };
  /**
   * The attribution config without `deploy`, written to a file that each function's asset carries:
   * Lambda allows 4 KB of environment for all variables, a config can be hundreds of KB.
   */
  readonly attributionConfigFile: string;
}

/** Reads the config file and validates its `deploy` key; throws naming the bad field. */
export function loadDeployConfig(path: string): DeployConfig {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const { deploy, ...attribution } = raw;
  const inline = inlineSecrets(attribution);
  if (inline.length > 0) {
    throw new Error(
      `${path}: ${inline.join(', ')} must name a Secrets Manager secret (arn:...) or an SSM SecureString (ssm:/...) on AWS, not hold the secret: the file goes into the functions' configuration`,
    );
  }
  const parsed = deploySettingsSchema.safeParse(deploy ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid deploy settings in ${path}: deploy.${issue?.path.join('.')}: ${issue?.message}`);
  }
  const checked = attributionConfigSchema.safeParse(attribution);
  if (!checked.success) {
    const issue = toFieldIssues(checked.error)[0];
    throw new Error(`invalid config in ${path}: ${issue?.path}: ${issue?.message}`);
  }
  const json = JSON.stringify(attribution);
  const attributionConfigFile = join(
    tmpdir(),
    `attribution-config-${createHash('sha256').update(json).digest('hex').slice(0, 16)}.json`,
  );
  writeFileSync(attributionConfigFile, json);
  return {
    settings: parsed.data,
    attributionConfigFile,
    secretReferences: {
      webhooks: referencesIn(attribution.webhooks),
      writeKeys: referencesIn(attribution.writeKeys),
    },
  };
}

/** Paths of secret-bearing config values (webhook secrets) that hold a value, not a reference. */
export function inlineSecrets(config: Record<string, unknown>): string[] {
  const isReference = (value: unknown) => typeof value === 'string' && isSecretReference(value);
  const found: string[] = [];
  const webhooks = (config.webhooks ?? {}) as Record<string, Record<string, unknown>>;
  for (const [provider, settings] of Object.entries(webhooks)) {
    for (const [name, value] of Object.entries(settings ?? {})) {
      const values = Array.isArray(value) ? value : [value];
      // SES topic ARNs are identifiers, not secrets.
      if (name !== 'topicArns' && values.some((v) => !isReference(v)))
        found.push(`webhooks.${provider}.${name}`);
    }
  }
  // Write keys are not among them: they are public, written into the pages that send events.
  return found;
}

/** The shortest CloudWatch Logs retention that keeps logs at least `days` days. */
export function retentionOf(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  const fit = allowed.filter((v) => v >= days).sort((a, b) => a - b)[0];
  return (fit ?? RetentionDays.TEN_YEARS) as RetentionDays;
}

/** Every `arn:…:secretsmanager:…` and `ssm:/…` string inside a config value. */
function referencesIn(value: unknown): string[] {
  if (typeof value === 'string') return isSecretReference(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

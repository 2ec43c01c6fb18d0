import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { loadConfig } from '#adapters/config-loader.ts';
import { envSchema } from '#adapters/env.ts';
import { hashApiKey, type KeyScope } from '#adapters/key-store.ts';
import { logger } from '#adapters/observability.ts';
import { createPipeline, type Pipeline } from '#adapters/pipeline.ts';
import { createSnsCertificateSource, createSnsSubscriptionConfirmer } from '#adapters/sns-http.ts';
import type { ComputeBuckets } from '#domain/compute-buckets.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { addDays, calendarDateSchema, localDate } from '#domain/dates.ts';
import { createSesWebhook } from '#domain/webhooks/ses.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner, createJobsHandler } from '#functions/jobs/handler.ts';
import { createKeysHandler } from '#functions/keys/handler.ts';
import { createLoadHandler } from '#functions/load/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { createWebhooksHandler } from '#functions/webhooks/handler.ts';
import { checkAlerts } from '#services/alerts.ts';
import type { DayBuild } from '#services/build-lake.ts';
import type { InProcessJobRunner } from '#services/jobs.ts';
import { defaultWindow, jobSteps, newJob } from '#services/jobs.ts';
import { type Gateway, startGateway } from './gateway.ts';
import { LoadQueue } from './load-queue.ts';
import { readOrCreateLocalState } from './local-state.ts';
import { type EmbeddedServers, LOCAL_NAMES, startEmbeddedServers } from './servers.ts';

export interface LocalRuntimeProps {
  readonly dataDir: string;
  readonly configPath: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** One key valid for ingest and query (`LOCAL_API_KEY`), instead of the generated pair. */
  readonly apiKey?: string | undefined;
  /** Seconds between scheduled computes; 0 turns the schedule off. */
  readonly computeIntervalSeconds?: number;
  /** Recompute the days a lake refresh touched, as soon as it is done (default on). */
  readonly computeOnLoad?: boolean;
  readonly computeBuckets?: ComputeBuckets;
  /** Wraps the SDK clients the handlers use (fault injection in tests). */
  readonly wrapClients?: (clients: { s3: S3Client; dynamo: DynamoDBDocumentClient }) => {
    s3: S3Client;
    dynamo: DynamoDBDocumentClient;
  };
}

export interface LocalRuntime {
  readonly url: string;
  readonly keys: { readonly ingest: string; readonly query: string; readonly admin: string };
  readonly pipeline: Pipeline;
  readonly queue: LoadQueue;
  readonly jobs: InProcessJobRunner;
  readonly servers: EmbeddedServers;
  /**
   * Resolves when every raw object is in the lake and every job has ended (a compute after load
   * that keeps failing is tried again meanwhile, so this waits for it to succeed).
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole pipeline in one process: embedded DynamoDB- and S3-compatible servers, the real
 * handlers behind a local API Gateway, the load queue fed by S3 notifications, and the compute
 * schedule (docs/architecture.md).
 */
export async function startLocalRuntime(props: LocalRuntimeProps): Promise<LocalRuntime> {
  const config = loadConfig({ path: props.configPath });
  // Keys, hashes of e-mail addresses and every event live here: only this user may enter it.
  mkdirSync(props.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(props.dataDir, 0o700);
  const state = readOrCreateLocalState(props.dataDir);
  const servers = await startEmbeddedServers(props.dataDir, { secret: randomBytes(24).toString('hex') });
  const pipeline = createLocalPipeline({ ...props, config, servers, hashSecret: state.piiHashSecret });

  const keys = props.apiKey
    ? { ingest: props.apiKey, query: props.apiKey, admin: props.apiKey }
    : { ingest: state.ingestKey, query: state.queryKey, admin: state.adminKey };
  await registerKeys(pipeline, keys);

  // Jobs of a process that stopped mid-run would otherwise stay queued or running for ever.
  for (const job of await pipeline.results.listUnfinishedJobs()) {
    await jobSteps.fail(job.jobId, 'the local runtime stopped while the job ran; start it again', {
      jobStore: pipeline.results,
    });
  }
  const jobs = createInProcessRunner(pipeline);
  // New data is counted as soon as its days are rebuilt: one compute at a time over the range
  // touched since the last one started, so a steady stream of objects costs one job after another.
  // The range still owed a compute is kept on disk too, so a crash between a load and its
  // compute does not leave loaded events uncounted: the next start computes it.
  const owedFile = join(props.dataDir, 'compute-owed.json');
  let pending: DateSpan | undefined = readOwed(owedFile);
  let pumping: Promise<void> = Promise.resolve();
  let pumpRunning = false;
  // A compute that failed (a store that was busy, say) stays owed and is tried again after
  // 1, 2, 4 … up to 60 s; `close` ends the wait and leaves the range on disk for the next start.
  let closing = false;
  let endRetryWait: (() => void) | undefined;
  const waitBeforeRetry = (failures: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(60_000, 1000 * 2 ** (failures - 1)));
      endRetryWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const pump = async () => {
    pumpRunning = true;
    try {
      let failures = 0;
      while (pending && !closing) {
        const range = pending;
        pending = undefined;
        let succeeded = false;
        try {
          const job = newJob('compute', range.from, range.to);
          await jobs.start(job);
          await jobs.idle();
          succeeded = (await pipeline.results.get(job.jobId))?.status === 'succeeded';
        } catch (error) {
          // The store failing to take or show the job owes the range as much as a failed job.
          logger.warn('compute after load could not be started or read; trying again', { error });
        }
        if (succeeded) failures = 0;
        else {
          pending = widen(pending, range);
          await waitBeforeRetry(++failures);
        }
      }
      if (!pending) rmSync(owedFile, { force: true });
    } finally {
      pumpRunning = false;
    }
  };
  const owe = (range: DateSpan) => {
    pending = widen(pending, range);
    writeFileSync(owedFile, JSON.stringify(pending), { mode: 0o600 });
    if (!pumpRunning)
      pumping = pump().catch((error: unknown) => logger.error('compute after load failed', { error }));
  };
  const recompute = (builds: readonly DayBuild[]) => {
    if (props.computeOnLoad === false || builds.length === 0) return;
    owe(touchedRange(builds, config));
  };
  if (pending) owe(pending);
  const queue = new LoadQueue({
    handler: createLoadHandler(pipeline, { onBuilt: recompute }),
    // Everything waiting goes in one batch: a day is rebuilt once however many objects it got.
    batchSize: 100_000,
    onDeadLetter: (letter) => logger.error('raw day moved to the dead-letter list', { letter }),
    // Survives a crash: every notification is on disk before S3 answers the PUT behind a 202.
    journalPath: join(props.dataDir, 'load-queue.jsonl'),
  });
  servers.onS3Event((notification) => {
    if (notification.Records.some((r) => r.eventName.startsWith('ObjectCreated'))) queue.send(notification);
  });

  const gateway: Gateway = await startGateway({
    host: props.host ?? '127.0.0.1',
    port: props.port ?? 3000,
    handlers: {
      ingest: createIngestHandler(pipeline),
      collect: createCollectHandler(pipeline),
      webhooks: createWebhooksHandler({
        pipeline,
        webhooks: config.webhooks,
        ses: createSesWebhook({
          certificates: createSnsCertificateSource(),
          confirm: createSnsSubscriptionConfirmer(),
        }),
      }),
      spend: createSpendHandler(pipeline),
      keys: createKeysHandler(pipeline),
      query: createQueryHandler(pipeline),
      jobs: createJobsHandler({ pipeline, runner: jobs }),
    },
  });

  const interval = (props.computeIntervalSeconds ?? 0) * 1000;
  let scheduled = Promise.resolve();
  // A tick while the last scheduled compute is still queued or running is skipped: a compute
  // longer than the interval must not pile up jobs that API jobs would then wait behind.
  let scheduledBusy = false;
  // The daily KPI check runs with the first scheduled compute of each day, for the day before.
  let alertsChecked: string | undefined;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (scheduledBusy) return;
          scheduledBusy = true;
          scheduled = (async () => {
            await queue.idle();
            const window = defaultWindow(config);
            await jobs.start(newJob('compute', window.from, window.to));
            await jobs.idle();
            const yesterday = addDays(localDate(Date.now(), config.timeZone), -1);
            if (alertsChecked === yesterday) return;
            await checkAlerts(yesterday, { ...pipeline, publisher: pipeline.alertPublisher });
            alertsChecked = yesterday;
          })()
            // One failed run must not stop the schedule (or the process).
            .catch((error: unknown) => logger.error('scheduled compute failed to start', { error }))
            .finally(() => {
              scheduledBusy = false;
            });
        }, interval)
      : undefined;

  return {
    url: gateway.url,
    keys,
    pipeline,
    queue,
    jobs,
    servers,
    async idle() {
      await queue.idle();
      await pumping;
      await jobs.idle();
    },
    async close() {
      if (timer) clearInterval(timer);
      await gateway.close();
      await queue.idle();
      closing = true;
      endRetryWait?.();
      await pumping;
      // A scheduled run in progress ends (its job and its alert check) before the servers close.
      await scheduled;
      await jobs.idle();
      queue.close();
      await servers.close();
    },
  };
}

/**
 * The local days whose numbers rebuilt UTC days can change: a UTC day touches the local day on
 * either side, and its touches reach conversions up to a lookback later (never past today).
 */
function touchedRange(builds: readonly DayBuild[], config: AttributionConfig): { from: string; to: string } {
  const today = localDate(Date.now(), config.timeZone);
  const first = builds.reduce((low, b) => min(low, b.date), builds[0]?.date ?? today);
  const last = builds.reduce((high, b) => max(high, b.date), first);
  const from = min(addDays(first, -1), today);
  const to = max(from, min(addDays(last, config.lookbackDays + 1), today));
  // The longest range a job takes; older days of a huge backfill need an explicit compute.
  return { from: max(from, addDays(to, -365)), to };
}

const min = (a: string, b: string) => (a < b ? a : b);
const max = (a: string, b: string) => (a > b ? a : b);
/** The smallest span holding both. */
const widen = (a: DateSpan | undefined, b: DateSpan): DateSpan =>
  a ? { from: min(a.from, b.from), to: max(a.to, b.to) } : b;

export interface LocalPipelineProps {
  readonly dataDir: string;
  readonly servers: Pick<EmbeddedServers, 's3' | 'dynamo'>;
  readonly config: AttributionConfig;
  readonly configPath: string;
  readonly hashSecret: string;
  readonly computeBuckets?: ComputeBuckets;
  readonly wrapClients?: LocalRuntimeProps['wrapClients'];
}

/** The pipeline the handlers share, wired to the embedded servers. */
export function createLocalPipeline(props: LocalPipelineProps): Pipeline {
  const env = envSchema.parse({
    ...LOCAL_NAMES,
    ATTRIBUTION_CONFIG: props.configPath,
    PII_HASH_SECRET: props.hashSecret,
    COMPUTE_BUCKETS: String(props.computeBuckets ?? 'auto'),
    LAKE_CACHE_DIR: join(props.dataDir, 'lake-cache'),
    S3_FORCE_PATH_STYLE: 'true',
  });
  const clients =
    props.wrapClients?.({ s3: props.servers.s3, dynamo: props.servers.dynamo }) ?? props.servers;
  return createPipeline({ env, config: props.config, s3: clients.s3, dynamo: clients.dynamo });
}

export async function registerKeys(
  pipeline: Pipeline,
  keys: { ingest: string; query: string; admin: string },
): Promise<void> {
  const createdAt = new Date().toISOString();
  const scopesByKey = new Map<string, KeyScope[]>();
  scopesByKey.set(keys.ingest, ['ingest']);
  scopesByKey.set(keys.query, [...(scopesByKey.get(keys.query) ?? []), 'query']);
  scopesByKey.set(keys.admin, [...(scopesByKey.get(keys.admin) ?? []), 'admin']);
  for (const [key, scopes] of scopesByKey) {
    // A key stored before (revoked, perhaps) is left as it is.
    await pipeline.keyStore.create({
      keyHash: hashApiKey(key),
      name: `local-${scopes.join('-')}`,
      scopes,
      createdAt,
    });
  }
}

type DateSpan = { readonly from: string; readonly to: string };
const dateSpanSchema = z.object({ from: calendarDateSchema, to: calendarDateSchema });

/** The range a stopped process still owed a compute, if any. */
function readOwed(file: string): DateSpan | undefined {
  try {
    return dateSpanSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

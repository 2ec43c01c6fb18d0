import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '#adapters/config-loader.ts';
import { envSchema } from '#adapters/env.ts';
import { hashApiKey, type KeyScope } from '#adapters/key-store.ts';
import { logger } from '#adapters/logger.ts';
import { createPipeline, type Pipeline } from '#adapters/pipeline.ts';
import { createSnsCertificateSource, createSnsSubscriptionConfirmer } from '#adapters/sns-http.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { addDays, localDate } from '#domain/dates.ts';
import { createSesWebhook } from '#domain/webhooks/ses.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner, createJobsHandler } from '#functions/jobs/handler.ts';
import { createKeysHandler } from '#functions/keys/handler.ts';
import { createLoadHandler } from '#functions/load/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { createWebhooksHandler } from '#functions/webhooks/handler.ts';
import type { InProcessJobRunner } from '#services/jobs.ts';
import { newJob } from '#services/jobs.ts';
import { replayRange } from '#services/replay.ts';
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
  readonly segments?: number;
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
  /** Resolves when every raw object is loaded and every job has ended. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole pipeline in one process: embedded DynamoDB- and S3-compatible servers, the real
 * handlers behind a local API Gateway, the load queue fed by S3 notifications, and the compute
 * schedule (DESIGN §7).
 */
export async function startLocalRuntime(props: LocalRuntimeProps): Promise<LocalRuntime> {
  const config = loadConfig({ path: props.configPath });
  const state = readOrCreateLocalState(props.dataDir);
  const servers = await startEmbeddedServers(props.dataDir);
  const pipeline = createLocalPipeline({ ...props, config, servers, hashSecret: state.piiHashSecret });

  const keys = props.apiKey
    ? { ingest: props.apiKey, query: props.apiKey, admin: props.apiKey }
    : { ingest: state.ingestKey, query: state.queryKey, admin: state.adminKey };
  await registerKeys(pipeline, keys);

  const jobs = createInProcessRunner(pipeline);
  const queue = new LoadQueue({
    handler: createLoadHandler(pipeline),
    onDeadLetter: (letter) => logger.error('raw object moved to the dead-letter list', { letter }),
  });
  servers.onS3Event((notification) => {
    if (notification.Records.some((r) => r.eventName.startsWith('ObjectCreated'))) queue.send(notification);
  });

  // Objects written just before a previous stop may not have been loaded: load the recent raw days again.
  const today = new Date().toISOString().slice(0, 10);
  const catchUp = replayRange(addDays(today, -1), today, pipeline).catch((error: unknown) =>
    logger.error('catch-up load failed', { error }),
  );

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
  const timer =
    interval > 0
      ? setInterval(() => {
          scheduled = scheduled
            .then(async () => {
              await queue.idle();
              const to = localDate(Date.now(), config.timeZone);
              await jobs.start(newJob('compute', addDays(to, 1 - config.scheduleWindowDays), to));
            })
            // One failed run must not stop the schedule (or the process).
            .catch((error: unknown) => logger.error('scheduled compute failed to start', { error }));
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
      await catchUp;
      await queue.idle();
      await jobs.idle();
    },
    async close() {
      if (timer) clearInterval(timer);
      await gateway.close();
      await catchUp;
      await queue.idle();
      await jobs.idle();
      queue.close();
      await servers.close();
    },
  };
}

export interface LocalPipelineProps {
  readonly servers: Pick<EmbeddedServers, 's3' | 'dynamo'>;
  readonly config: AttributionConfig;
  readonly configPath: string;
  readonly hashSecret: string;
  readonly segments?: number;
  readonly wrapClients?: LocalRuntimeProps['wrapClients'];
}

/** The pipeline the handlers share, wired to the embedded servers. */
export function createLocalPipeline(props: LocalPipelineProps): Pipeline {
  const env = envSchema.parse({
    ...LOCAL_NAMES,
    ATTRIBUTION_CONFIG: props.configPath,
    PII_HASH_SECRET: props.hashSecret,
    SCAN_SEGMENTS: String(props.segments ?? 4),
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
    await pipeline.keyStore.put({
      keyHash: hashApiKey(key),
      name: `local-${scopes.join('-')}`,
      scopes,
      createdAt,
    });
  }
}

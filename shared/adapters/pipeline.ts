import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { type ChannelClassifier, createChannelClassifier } from '#domain/channels.ts';
import { createEventClassifier, type EventClassifier } from '#domain/classify.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { STORED_SECTIONS, type StoredDay } from '#domain/day-result.ts';
import { ValidationError } from '#domain/errors.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { type AlertPublisher, createSnsAlertPublisher, logAlertPublisher } from './alert-publisher.ts';
import { type AlertStore, DynamoAlertStore } from './alert-store.ts';
import { createDocumentClient, createS3Client, createSnsClient } from './aws-clients.ts';
import { loadConfig } from './config-loader.ts';
import { DuckDbSession } from './duckdb.ts';
import { type Env, readEnv } from './env.ts';
import { DynamoKeyStore, type KeyStore, withBootstrapKey } from './key-store.ts';
import { type LakeStore, S3LakeStore } from './lake-store.ts';
import { type RawStore, S3RawStore } from './raw-store.ts';
import { DynamoReplayGuard, type ReplayGuard } from './replay-guard.ts';
import { DynamoResultsStore } from './results-store.ts';
import { readSecretStrings } from './secret-references.ts';
import { DynamoSpendStore, type SpendStore } from './spend-store.ts';

/** Everything a function needs, built once per container from the environment. */
export interface Pipeline {
  readonly env: Env;
  /** The S3 client behind the raw store (compute partials share the bucket). */
  readonly s3: S3Client;
  readonly config: AttributionConfig;
  readonly classifier: ChannelClassifier;
  /** Classifies stored events for the lake with the current config. */
  readonly eventClassifier: EventClassifier;
  /** Keys the e-mail hash; only the functions that take in events have it. */
  readonly hashSecret: string | undefined;
  readonly rawStore: RawStore;
  readonly lakeStore: LakeStore;
  /** Opens a DuckDB session for one task (lake build, compute). */
  readonly openEngine: () => Promise<DuckDbSession>;
  readonly spendStore: SpendStore;
  readonly results: DynamoResultsStore<StoredDay>;
  readonly keyStore: KeyStore;
  /** One-time tokens of signed webhook deliveries (Mailgun's). */
  readonly replayGuard: ReplayGuard;
  /** The daily KPI check's findings, and where they are told. */
  readonly alerts: AlertStore;
  readonly alertPublisher: AlertPublisher;
}

export interface PipelineProps {
  readonly env?: Env;
  /** The e-mail hash key, when it does not come in the environment (Secrets Manager). */
  readonly hashSecret?: string;
  /** Already-loaded config; read from `env` when absent. */
  readonly config?: AttributionConfig;
  /** Injected SDK clients (fault injection in tests); created from the environment when absent. */
  readonly s3?: S3Client;
  readonly dynamo?: DynamoDBDocumentClient;
  readonly sns?: SNSClient;
}

export function createPipeline(props: PipelineProps = {}): Pipeline {
  const env = props.env ?? readEnv();
  const config = props.config ?? loadConfig({ path: env.ATTRIBUTION_CONFIG });
  const classifier = createClassifier(config);
  const s3 = props.s3 ?? createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE });
  const dynamo = props.dynamo ?? createDocumentClient();
  const hashSecret = props.hashSecret ?? env.PII_HASH_SECRET;
  return {
    env,
    s3,
    config,
    classifier,
    eventClassifier: createEventClassifier({ config, classifier }),
    hashSecret: hashSecret ? checkSecret(hashSecret) : undefined,
    rawStore: new S3RawStore({ client: s3, bucket: env.RAW_BUCKET }),
    lakeStore: new S3LakeStore({ client: s3, bucket: env.RAW_BUCKET, cacheDirectory: env.LAKE_CACHE_DIR }),
    openEngine: () =>
      DuckDbSession.open({
        threads: env.DUCKDB_THREADS,
        memoryLimit: env.DUCKDB_MEMORY_LIMIT,
        tempDirectory: env.DUCKDB_TEMP_DIR,
      }),
    spendStore: new DynamoSpendStore({ client: dynamo, table: env.SPEND_TABLE }),
    results: new DynamoResultsStore({
      client: dynamo,
      table: env.RESULTS_TABLE,
      sections: STORED_SECTIONS,
    }),
    keyStore: new DynamoKeyStore({ client: dynamo, table: env.KEYS_TABLE }),
    replayGuard: new DynamoReplayGuard({ client: dynamo, table: env.RESULTS_TABLE }),
    alerts: new DynamoAlertStore({ client: dynamo, table: env.RESULTS_TABLE }),
    alertPublisher: env.ALERTS_TOPIC_ARN
      ? createSnsAlertPublisher(props.sns ?? createSnsClient(), env.ALERTS_TOPIC_ARN)
      : logAlertPublisher,
  };
}

/**
 * The pipeline of a Lambda container: like {@link createPipeline}, fetching from Secrets Manager
 * first the e-mail hash key (when asked) and the bootstrap API key, when the environment names them.
 */
export async function createPipelineFromEnvironment(
  options: { readonly hashSecret?: boolean } = {},
): Promise<Pipeline> {
  const env = readEnv();
  const needsHashKey = options.hashSecret && !env.PII_HASH_SECRET && env.PII_HASH_SECRET_ARN;
  if (!needsHashKey && !env.BOOTSTRAP_API_KEY_SECRET_ARN) return createPipeline({ env });
  const hashArn = needsHashKey ? env.PII_HASH_SECRET_ARN : undefined;
  const secrets = await readSecretStrings(
    [hashArn, env.BOOTSTRAP_API_KEY_SECRET_ARN].filter((arn): arn is string => arn !== undefined),
  );
  const hashSecret = hashArn ? secrets.get(hashArn) : undefined;
  const bootstrapKey = env.BOOTSTRAP_API_KEY_SECRET_ARN
    ? secrets.get(env.BOOTSTRAP_API_KEY_SECRET_ARN)
    : undefined;
  const pipeline = createPipeline({ env, ...(hashSecret ? { hashSecret } : {}) });
  if (!bootstrapKey) return pipeline;
  return { ...pipeline, keyStore: withBootstrapKey(pipeline.keyStore, bootstrapKey) };
}

function checkSecret(secret: string): string {
  if (secret.length < 16) throw new ValidationError('the e-mail hash key must be at least 16 characters');
  return secret;
}

/** The channel classifier a config asks for: its own rules or the defaults, plus its source list. */
export function createClassifier(config: AttributionConfig): ChannelClassifier {
  return createChannelClassifier({
    rules: config.channelRules ?? DEFAULT_CHANNEL_RULES,
    catalogue: createReferrerCatalogue(config.sources),
    ownDomains: config.ownDomains,
  });
}

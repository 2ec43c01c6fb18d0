import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { type ChannelClassifier, createChannelClassifier } from '#domain/channels.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { type DayResult, dayResultSchema } from '#domain/day-result.ts';
import { InternalError, ValidationError } from '#domain/errors.ts';
import { createNormaliser, type Normaliser } from '#domain/normalise.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { createDocumentClient, createS3Client } from './aws-clients.ts';
import { loadConfig } from './config-loader.ts';
import { type Env, readEnv } from './env.ts';
import { DynamoEventStore, type EventStore } from './event-store.ts';
import { DynamoKeyStore, type KeyStore, withBootstrapKey } from './key-store.ts';
import { type RawStore, S3RawStore } from './raw-store.ts';
import { DynamoResultsStore } from './results-store.ts';
import { DynamoSpendStore, type SpendStore } from './spend-store.ts';

/** Everything a function needs, built once per container from the environment. */
export interface Pipeline {
  readonly env: Env;
  /** The S3 client behind the raw store (compute partials share the bucket). */
  readonly s3: S3Client;
  readonly config: AttributionConfig;
  readonly classifier: ChannelClassifier;
  readonly normaliser: Normaliser;
  readonly rawStore: RawStore;
  readonly eventStore: EventStore;
  readonly spendStore: SpendStore;
  readonly results: DynamoResultsStore<DayResult>;
  readonly keyStore: KeyStore;
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
}

export function createPipeline(props: PipelineProps = {}): Pipeline {
  const env = props.env ?? readEnv();
  const config =
    props.config ?? loadConfig({ path: env.ATTRIBUTION_CONFIG, json: env.ATTRIBUTION_CONFIG_JSON });
  const classifier = createClassifier(config);
  const s3 = props.s3 ?? createS3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE });
  const dynamo = props.dynamo ?? createDocumentClient();
  const hashSecret = props.hashSecret ?? env.PII_HASH_SECRET;
  return {
    env,
    s3,
    config,
    classifier,
    // Only ingest hashes e-mail, so only it needs the key; elsewhere using it is a wiring error.
    normaliser: hashSecret
      ? createNormaliser({ config, classifier, hashSecret: checkSecret(hashSecret) })
      : missingNormaliser(),
    rawStore: new S3RawStore({ client: s3, bucket: env.RAW_BUCKET }),
    eventStore: new DynamoEventStore({
      client: dynamo,
      table: env.EVENTS_TABLE,
      retentionDays: config.eventRetentionDays,
    }),
    spendStore: new DynamoSpendStore({ client: dynamo, table: env.SPEND_TABLE }),
    results: new DynamoResultsStore({
      client: dynamo,
      table: env.RESULTS_TABLE,
      daySchema: dayResultSchema,
    }),
    keyStore: new DynamoKeyStore({ client: dynamo, table: env.KEYS_TABLE }),
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
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const read = async (arn: string | undefined) =>
    arn ? (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString : undefined;
  const [hashSecret, bootstrapKey] = await Promise.all([
    needsHashKey ? read(env.PII_HASH_SECRET_ARN) : undefined,
    read(env.BOOTSTRAP_API_KEY_SECRET_ARN),
  ]);
  client.destroy();
  const pipeline = createPipeline({ env, ...(hashSecret ? { hashSecret } : {}) });
  if (!bootstrapKey) return pipeline;
  return { ...pipeline, keyStore: withBootstrapKey(pipeline.keyStore, bootstrapKey) };
}

function checkSecret(secret: string): string {
  if (secret.length < 16) throw new ValidationError('the e-mail hash key must be at least 16 characters');
  return secret;
}

function missingNormaliser(): Normaliser {
  const fail = (): never => {
    throw new InternalError('no e-mail hash key is configured (PII_HASH_SECRET or PII_HASH_SECRET_ARN)');
  };
  return { checkEvent: fail, normalise: fail };
}

/** The channel classifier a config asks for: its own rules or the defaults, plus its source list. */
export function createClassifier(config: AttributionConfig): ChannelClassifier {
  return createChannelClassifier({
    rules: config.channelRules ?? DEFAULT_CHANNEL_RULES,
    catalogue: createReferrerCatalogue(config.sources),
    ownDomains: config.ownDomains,
  });
}

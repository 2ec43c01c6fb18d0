import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import { type ChannelClassifier, createChannelClassifier } from '#domain/channels.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { type DayResult, dayResultSchema } from '#domain/day-result.ts';
import { ValidationError } from '#domain/errors.ts';
import { createNormaliser, type Normaliser } from '#domain/normalise.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';
import { createDocumentClient, createS3Client } from './aws-clients.ts';
import { loadConfig } from './config-loader.ts';
import { type Env, readEnv } from './env.ts';
import { DynamoEventStore, type EventStore } from './event-store.ts';
import { DynamoKeyStore, type KeyStore } from './key-store.ts';
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
  let normaliser: Normaliser | undefined;
  return {
    env,
    s3,
    config,
    classifier,
    // Built on first use: only ingest hashes e-mail, so only it needs the key.
    get normaliser() {
      normaliser ??= createNormaliser({
        config,
        classifier,
        hashSecret: requireSecret(props.hashSecret ?? env.PII_HASH_SECRET),
      });
      return normaliser;
    },
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
 * The pipeline of a Lambda container: like {@link createPipeline}, fetching the e-mail hash key
 * from Secrets Manager first when the environment names it by ARN.
 */
export async function createPipelineFromEnvironment(
  options: { readonly hashSecret?: boolean } = {},
): Promise<Pipeline> {
  const env = readEnv();
  if (!options.hashSecret || env.PII_HASH_SECRET || !env.PII_HASH_SECRET_ARN) return createPipeline({ env });
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const secret = await client.send(new GetSecretValueCommand({ SecretId: env.PII_HASH_SECRET_ARN }));
  client.destroy();
  return createPipeline({ env, hashSecret: secret.SecretString });
}

function requireSecret(secret: string | undefined): string {
  if (!secret || secret.length < 16) {
    throw new ValidationError(
      'the e-mail hash key is missing or shorter than 16 characters (PII_HASH_SECRET or PII_HASH_SECRET_ARN)',
    );
  }
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

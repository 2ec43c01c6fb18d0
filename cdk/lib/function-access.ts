/**
 * What each function's code calls on AWS, and on what: the one list the pipeline stack turns into
 * IAM statements (least privilege, docs/decisions.md: On AWS). Derived from the code path of each
 * handler (functions/<name>/handler.ts → shared/services → shared/adapters); a new SDK call
 * belongs here first. Besides these, CDK gives every function the X-Ray write actions of active
 * tracing and AWSLambdaBasicExecutionRole for its logs.
 *
 * The tables and secrets use AWS managed keys (storage-stack.ts), which need no KMS grant; a secret
 * reference under a customer-managed key gets `kms:Decrypt` through `deploy.secretsKmsKeyArn`.
 */

export type { TableName } from '../../shared/adapters/table-keys.ts';

import type { TableName } from '../../shared/adapters/table-keys.ts';
/** Prefixes of the raw bucket (the raw zone, the lake, compute partials, the archive). */
export type BucketPrefix = 'raw' | 'lake' | 'compute' | 'archive';
/** The storage stack's own secrets. */
export type StoredSecret = 'hashKey' | 'bootstrapKey';
/** The config blocks whose secret references (secret-references.ts) a function resolves. */
export type ReferenceBlock = 'webhooks' | 'writeKeys';

export interface FunctionAccess {
  /** `dynamodb:<action>` on each table. */
  readonly tables?: Partial<Record<TableName, readonly string[]>>;
  /** `s3:<action>` on the objects under each prefix. */
  readonly objects?: Partial<Record<BucketPrefix, readonly string[]>>;
  /** `s3:ListBucket` limited to these prefixes (also what turns a missing key's 403 into `NoSuchKey`). */
  readonly lists?: readonly BucketPrefix[];
  /** `secretsmanager:GetSecretValue` on these secrets, whose ARNs the function gets in its environment. */
  readonly secrets?: readonly StoredSecret[];
  /** Secret references of this config block: `secretsmanager:GetSecretValue` / `ssm:GetParameter`. */
  readonly references?: ReferenceBlock;
  /** `states:<action>` on the job state machine. */
  readonly stateMachine?: readonly string[];
  /** `sqs:<action>` on the load queue, called by Lambda's event source mapping with the function's role. */
  readonly loadQueue?: readonly string[];
  /** `sns:<action>` on the KPI alerts topic (and its key's data-key actions), whose ARN it gets as ALERTS_TOPIC_ARN. */
  readonly alertsTopic?: readonly string[];
}

export const FUNCTION_ACCESS = {
  ingest: {
    // http/middleware.ts apiKeyAuth → key-store.ts find (GetCommand).
    tables: { keys: ['GetItem'] },
    // services/intake.ts → raw-store.ts putEvents: PutObject, and DeleteObjects (s3:DeleteObject per
    // key) to take back what landed when another object of the request failed.
    objects: { raw: ['PutObject', 'DeleteObject'] },
    // adapters/pipeline.ts createPipelineFromEnvironment (GetSecretValue).
    secrets: ['hashKey', 'bootstrapKey'],
  },
  collect: {
    // services/collect.ts authenticateWriteKey → key-store.ts find.
    tables: { keys: ['GetItem'] },
    // services/collect.ts → intake.ts → raw-store.ts putEvents; putArchive for messages not counted.
    objects: { raw: ['PutObject', 'DeleteObject'], archive: ['PutObject'] },
    secrets: ['hashKey', 'bootstrapKey'],
    // functions/collect/handler.ts → adapters/secret-references.ts resolveSecretReferences.
    references: 'writeKeys',
  },
  webhooks: {
    // Providers' signatures, not API keys: no keys table. replay-guard.ts claim (PutCommand) and
    // release (DeleteCommand) of Mailgun's one-time tokens.
    tables: { results: ['PutItem', 'DeleteItem'] },
    // services/intake.ts → raw-store.ts putEvents.
    objects: { raw: ['PutObject', 'DeleteObject'] },
    secrets: ['hashKey'],
    references: 'webhooks',
  },
  spend: {
    tables: {
      keys: ['GetItem'],
      // spend-store.ts upsert → dynamo-batch.ts batchWriteAll (PutRequests only).
      spend: ['BatchWriteItem'],
    },
    secrets: ['bootstrapKey'],
  },
  keys: {
    // key-store.ts: find (GetCommand), create (PutCommand), list (ScanCommand), revoke (UpdateCommand).
    tables: { keys: ['GetItem', 'PutItem', 'Scan', 'UpdateItem'] },
    secrets: ['bootstrapKey'],
  },
  query: {
    tables: {
      keys: ['GetItem'],
      // results-store.ts readRange → #readHeads / #readBodies → dynamo-batch.ts batchGetAll.
      results: ['BatchGetItem'],
    },
    secrets: ['bootstrapKey'],
  },
  jobs: {
    tables: {
      keys: ['GetItem'],
      // results-store.ts get (GET /v1/jobs/{jobId}); put (step-functions-runner.ts start: queued, or failed).
      results: ['GetItem', 'PutItem'],
    },
    // step-functions-runner.ts start (StartExecutionCommand).
    stateMachine: ['StartExecution'],
    secrets: ['bootstrapKey'],
  },
  load: {
    // services/refresh-lake.ts → build-lake.ts appendToLakeDay: raw-store.ts readObject (GetObject);
    // lake-store.ts putPartition, listParts (ListObjectsV2), and when merging parts fetchPartitions
    // (ListObjectsV2, GetObject) and deleteParts. Listing raw/ is what makes a taken-back object
    // answer NoSuchKey (skipped), not 403 (a failed day and a dead letter).
    objects: { raw: ['GetObject'], lake: ['GetObject', 'PutObject', 'DeleteObject'] },
    lists: ['raw', 'lake'],
    // The permissions Lambda documents for an SQS event source mapping (AWSLambdaSQSQueueExecutionRole).
    loadQueue: ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'],
  },
  compute: {
    tables: {
      // functions/compute/handler.ts plan and services/jobs.ts reduce, fail → results-store.ts get
      // (GetItem) and put (PutItem); build, map → advance (UpdateItem); compute.ts reduceBuckets →
      // writeDays → #recordVersions (UpdateItem), #readHeads / #tryRead (BatchGetItem) and
      // #writeItems (BatchWriteItem: chunks and heads put, replaced chunks deleted); plan →
      // late-refunds.ts refundedFrom → readVersions (BatchGetItem).
      results: ['GetItem', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'],
      // compute.ts reduceBuckets → spend-store.ts list (QueryCommand).
      spend: ['Query'],
    },
    objects: {
      // build: build-lake.ts buildLakeDay → raw-store.ts listKeys (ListObjectsV2) and readObject.
      raw: ['GetObject'],
      // build: putPartition, deleteParts; plan: settledDays → listParts, late-refunds.ts
      // refundedFrom → fetchPartitions; map: compute.ts openComputeSession → fetchPartitions.
      lake: ['GetObject', 'PutObject', 'DeleteObject'],
      // map: partial-store.ts put; reduce: get.
      compute: ['GetObject', 'PutObject'],
    },
    lists: ['raw', 'lake'],
    // alerts: services/alerts.ts checkAlerts → alert-publisher.ts createSnsAlertPublisher (Publish).
    alertsTopic: ['Publish'],
  },
} as const satisfies Record<string, FunctionAccess>;

export type FunctionName = keyof typeof FUNCTION_ACCESS;

import type { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';

/** Fixed names of the local tables and bucket. */
export const LOCAL_NAMES = {
  RAW_BUCKET: 'attribution-raw',
  RESULTS_TABLE: 'attribution-results',
  SPEND_TABLE: 'attribution-spend',
  KEYS_TABLE: 'attribution-keys',
} as const;

/** s3rver accepts only these credentials; dynalite accepts any. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'us-east-1';

export interface S3Notification {
  readonly Records: ReadonlyArray<{
    readonly eventName: string;
    readonly s3: { readonly object: { readonly key: string } };
  }>;
}

export interface EmbeddedServers {
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  /** Called with every S3 event notification (object created or removed). */
  onS3Event(listener: (notification: S3Notification) => void): void;
  close(): Promise<void>;
}

/**
 * Starts the DynamoDB-compatible (dynalite) and S3-compatible (s3rver) servers in this process
 * on free loopback ports, with their data under `dataDir`, and creates tables and bucket.
 */
export async function startEmbeddedServers(dataDir: string): Promise<EmbeddedServers> {
  mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
  mkdirSync(join(dataDir, 's3'), { recursive: true });

  const dynamoServer = dynalite({
    path: join(dataDir, 'dynamodb'),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    dynamoServer.once('error', reject);
    dynamoServer.listen(0, '127.0.0.1', () => resolve());
  });
  const dynamoEndpoint = `http://127.0.0.1:${(dynamoServer.address() as AddressInfo).port}`;

  const s3Server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: join(dataDir, 's3'),
    silent: true,
  });
  const { port: s3Port } = await s3Server.run();
  const s3Endpoint = `http://127.0.0.1:${s3Port}`;

  const s3 = new S3Client({
    endpoint: s3Endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    forcePathStyle: true,
  });
  const dynamoClient = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: REGION,
    credentials: CREDENTIALS,
  });
  const dynamo = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true },
  });

  await s3.send(new CreateBucketCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET })).catch((error: Error) => {
    if (!/BucketAlready/.test(error.name)) throw error;
  });
  for (const table of tableDefinitions()) {
    await dynamoClient.send(new CreateTableCommand(table)).catch((error: unknown) => {
      if (!(error instanceof ResourceInUseException)) throw error;
    });
  }
  // dynalite makes a table ACTIVE a moment after CreateTable answers; writes before that fail.
  for (const table of tableDefinitions()) {
    await waitUntilTableExists(
      { client: dynamoClient, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: table.TableName },
    );
  }

  return {
    dynamoEndpoint,
    s3Endpoint,
    s3,
    dynamo,
    onS3Event(listener) {
      // s3rver is a Koa application, an EventEmitter its typings leave out.
      (s3Server as unknown as EventEmitter).on('event', listener);
    },
    async close() {
      s3.destroy();
      dynamo.destroy();
      dynamoClient.destroy();
      await s3Server.close();
      await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
    },
  };
}

/** An S3 client for the embedded S3-compatible server. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
}

/** A DynamoDB document client for the embedded DynamoDB-compatible server. */
export function localDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: REGION, credentials: CREDENTIALS }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
}

function tableDefinitions(): CreateTableCommandInput[] {
  const pkSk = (TableName: string): CreateTableCommandInput => ({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
  });
  return [
    pkSk(LOCAL_NAMES.RESULTS_TABLE),
    pkSk(LOCAL_NAMES.SPEND_TABLE),
    {
      TableName: LOCAL_NAMES.KEYS_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'keyHash', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
    },
  ];
}

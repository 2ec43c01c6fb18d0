import { timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
import { TABLE_KEYS, type TableName } from '#adapters/table-keys.ts';

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
  /** The servers' URLs; a guarded server's carries its secret as the URL's user name. */
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  /** Called with every S3 event notification (object created or removed). */
  onS3Event(listener: (notification: S3Notification) => void): void;
  close(): Promise<void>;
}

export interface EmbeddedServersProps {
  /**
   * When given, both servers answer only requests carrying it (any local user can reach a
   * loopback port, and neither server checks signatures): the local runtime sets one.
   */
  readonly secret?: string;
}

/** The header that carries a guarded server's secret. */
const SECRET_HEADER = 'x-attribution-local-secret';

/**
 * Starts the DynamoDB-compatible (dynalite) and S3-compatible (s3rver) servers in this process
 * on free loopback ports, with their data under `dataDir`, and creates tables and bucket.
 */
export async function startEmbeddedServers(
  dataDir: string,
  props: EmbeddedServersProps = {},
): Promise<EmbeddedServers> {
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
  const withSecret = (url: string) =>
    props.secret ? url.replace('http://', `http://${props.secret}@`) : url;
  const dynamoEndpoint = withSecret(`http://127.0.0.1:${(dynamoServer.address() as AddressInfo).port}`);

  const s3Server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: join(dataDir, 's3'),
    silent: true,
  });
  const { port: s3Port } = await s3Server.run();
  const s3Endpoint = withSecret(`http://127.0.0.1:${s3Port}`);
  if (props.secret) {
    guard(dynamoServer, props.secret);
    guard((s3Server as unknown as { httpServer: Server }).httpServer, props.secret);
  }

  const s3 = localS3Client(s3Endpoint);
  const dynamoClient = localDynamoClient(dynamoEndpoint);
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
  const { url, secret } = splitEndpoint(endpoint);
  return sendingSecret(
    new S3Client({ endpoint: url, region: REGION, credentials: CREDENTIALS, forcePathStyle: true }),
    secret,
  );
}

/** A DynamoDB document client for the embedded DynamoDB-compatible server. */
export function localDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoClient(endpoint), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

function localDynamoClient(endpoint: string): DynamoDBClient {
  const { url, secret } = splitEndpoint(endpoint);
  return sendingSecret(
    new DynamoDBClient({ endpoint: url, region: REGION, credentials: CREDENTIALS }),
    secret,
  );
}

function splitEndpoint(endpoint: string): { url: string; secret?: string } {
  const parsed = new URL(endpoint);
  const secret = parsed.username || undefined;
  parsed.username = '';
  return { url: parsed.origin, ...(secret ? { secret } : {}) };
}

/** Adds the secret header to every request the client sends. */
function sendingSecret<T extends S3Client | DynamoDBClient>(client: T, secret: string | undefined): T {
  if (!secret) return client;
  (client as S3Client).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[SECRET_HEADER] = secret;
      return next(args);
    },
    { step: 'build', name: 'embeddedServerSecret' },
  );
  return client;
}

/** Lets through only requests that carry the secret; the others get a 403. */
function guard(server: Server, secret: string): void {
  const expected = Buffer.from(secret);
  const handlers = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const given = Buffer.from(String(req.headers[SECRET_HEADER] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'this embedded server answers the local runtime only' }));
      return;
    }
    for (const handler of handlers) handler.call(server, req, res);
  });
}

function tableDefinitions(): CreateTableCommandInput[] {
  const names: Record<TableName, string> = {
    results: LOCAL_NAMES.RESULTS_TABLE,
    spend: LOCAL_NAMES.SPEND_TABLE,
    keys: LOCAL_NAMES.KEYS_TABLE,
  };
  return (Object.keys(TABLE_KEYS) as TableName[]).map((table) => {
    const keys: { partitionKey: string; sortKey?: string } = TABLE_KEYS[table];
    const attributes = [keys.partitionKey, ...(keys.sortKey ? [keys.sortKey] : [])];
    return {
      TableName: names[table],
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributes.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: attributes.map((AttributeName, i) => ({
        AttributeName,
        KeyType: i === 0 ? 'HASH' : 'RANGE',
      })),
    };
  });
}

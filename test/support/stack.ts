import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { loadConfig } from '#adapters/config-loader.ts';
import { hashApiKey } from '#adapters/key-store.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import type { HttpEvent } from '#http/types.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { createLocalPipeline, type LocalRuntimeProps } from '#local/runtime.ts';
import { type EmbeddedServers, startEmbeddedServers } from '#local/servers.ts';

export const TEST_CONFIG_PATH = fileURLToPath(
  new URL('../fixtures/attribution.config.json', import.meta.url),
);
export const INGEST_KEY = 'test-ingest-key-0123456789';
export const QUERY_KEY = 'test-query-key-0123456789';
export const HASH_SECRET = 'test-hash-secret-0123456789';

export interface TestStack {
  readonly dataDir: string;
  readonly servers: EmbeddedServers;
  readonly pipeline: Pipeline;
  /** A pipeline over the same servers whose SDK clients are wrapped (fault injection). */
  pipelineWith(wrapClients: NonNullable<LocalRuntimeProps['wrapClients']>): Pipeline;
  close(): Promise<void>;
}

/** Embedded DynamoDB- and S3-compatible servers in a fresh temporary folder, with test keys registered. */
export async function startTestStack(configPath = TEST_CONFIG_PATH): Promise<TestStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attribution-test-'));
  const servers = await startEmbeddedServers(dataDir);
  const config = loadConfig({ path: configPath });
  const build = (wrapClients?: LocalRuntimeProps['wrapClients']) =>
    createLocalPipeline({
      dataDir,
      servers,
      config,
      configPath,
      hashSecret: HASH_SECRET,
      computeBuckets: 3,
      wrapClients,
    });
  const pipeline = build();
  const createdAt = new Date().toISOString();
  await pipeline.keyStore.create({
    keyHash: hashApiKey(INGEST_KEY),
    name: 'ingest',
    scopes: ['ingest'],
    createdAt,
  });
  await pipeline.keyStore.create({
    keyHash: hashApiKey(QUERY_KEY),
    name: 'query',
    scopes: ['query'],
    createdAt,
  });
  return {
    dataDir,
    servers,
    pipeline,
    pipelineWith: build,
    async close() {
      await servers.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiEventProps {
  readonly method?: string;
  readonly path: string;
  /** Route pattern when it differs from the path (`/v1/jobs/{jobId}`). */
  readonly route?: string;
  readonly body?: unknown;
  /** The body exactly as sent (a string that may not be JSON). */
  readonly rawBody?: string;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly pathParameters?: Record<string, string>;
  readonly key?: string | null;
}

/** An API Gateway HTTP API (payload 2.0) event, as the gateway or AWS would deliver it. */
export function apiEvent(props: ApiEventProps): HttpEvent {
  const method = props.method ?? (props.body === undefined && props.rawBody === undefined ? 'GET' : 'POST');
  const routeKey = `${method} ${props.route ?? props.path}`;
  const body = props.rawBody ?? (props.body === undefined ? undefined : JSON.stringify(props.body));
  return {
    version: '2.0',
    routeKey,
    rawPath: props.path,
    rawQueryString: new URLSearchParams(props.query ?? {}).toString(),
    headers: {
      'content-type': 'application/json',
      ...(props.key === null ? {} : { authorization: `Bearer ${props.key ?? INGEST_KEY}` }),
      ...props.headers,
    },
    ...(props.query ? { queryStringParameters: props.query } : {}),
    ...(props.pathParameters ? { pathParameters: props.pathParameters } : {}),
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: props.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: props.isBase64Encoded ?? false,
  };
}

export function testContext(name = 'test'): Context {
  return lambdaContext(name, `req-${Math.random().toString(36).slice(2)}`);
}

/**
 * Whether a raw or archive object was written by the request of `context`: its name is
 * `<timestamp>-<request id>[-<n>].ndjson.gz`. Lets a test look at its own objects only, whatever
 * other tests of the file wrote to the same bucket before it.
 */
export function writtenBy(context: Context): (key: string) => boolean {
  const id = context.awsRequestId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64);
  const name = new RegExp(`^\\d{8}T\\d{9}Z-${id}(-\\d+)?\\.ndjson\\.gz$`);
  return (key) => name.test(key.slice(key.lastIndexOf('/') + 1));
}

/** The JSON body of a handler result. */
export function bodyOf<T = Record<string, unknown>>(result: { body?: string | undefined }): T {
  return JSON.parse(result.body ?? 'null') as T;
}

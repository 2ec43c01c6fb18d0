/**
 * Bundles every Lambda entry point for real, as CDK's NodejsFunction would (bench/bundles.ts),
 * and loads each bundle in a fresh Node process: the check that what deploys is what was tested.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES } from '#local/servers.ts';
import {
  type BundleResult,
  bundleAll,
  ESM_REQUIRE_BANNER,
  entryPoints,
  importInChild,
} from '../../bench/bundles.ts';
import { readLake } from '../support/lake.ts';
import { apiEvent, INGEST_KEY, startTestStack, type TestStack } from '../support/stack.ts';

/** Generous: today's bundles are about 1 MB; this catches a dependency ballooning or a broken tree-shake. */
const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;
const FUNCTIONS = ['collect', 'compute', 'ingest', 'jobs', 'keys', 'load', 'query', 'spend', 'webhooks'];

let outdir: string;
let bundles: BundleResult[];

const bundleOf = (name: string): BundleResult => {
  const bundle = bundles.find((b) => b.name === name);
  if (!bundle) throw new Error(`no bundle for ${name}`);
  return bundle;
};

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'attribution-bundles-'));
  bundles = await bundleAll(outdir);
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles (esbuild, ESM, node22, minified, linked source maps)', () => {
  it('finds every entry point', () => {
    expect(entryPoints().map((e) => e.name)).toEqual(FUNCTIONS);
    expect(bundles.map((b) => b.name)).toEqual(FUNCTIONS);
  });

  it.each(FUNCTIONS)('%s builds without errors, as an ES module, under the size bound', (name) => {
    const bundle = bundleOf(name);
    expect(bundle.errors.map((e) => e.text)).toEqual([]);
    expect(bundle.bytes).toBeGreaterThan(0);
    expect(bundle.bytes).toBeLessThan(MAX_BUNDLE_BYTES);
    expect(bundle.mapBytes).toBeGreaterThan(0);
    const code = readFileSync(bundle.file, 'utf8');
    // Booleans, not the code itself: a failure must not print a megabyte of minified JavaScript.
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code.includes('//# sourceMappingURL=index.mjs.map')).toBe(true);
    // Minified, but error classes keep their names: the job state machine retries by them.
    expect(code.includes('"ServiceUnavailableError"')).toBe(true);
  });

  it.each(FUNCTIONS)('%s imports in a fresh process and exports handler as a function', async (name) => {
    const loaded = await importInChild(bundleOf(name).file);
    expect(loaded.exports).toContain('handler');
    expect(loaded.handlerType).toBe('function');
  });
});

describe('bundled handlers against the embedded servers', () => {
  let stack: TestStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    // The bundles reach the embedded servers through the standard SDK variables, as on AWS.
    env = {
      ...LOCAL_NAMES,
      AWS_ENDPOINT_URL_S3: stack.servers.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: stack.servers.dynamoEndpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    };
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('ingest writes a batch to S3 and load builds its lake day (SDK v3 bundled in, DuckDB beside)', async () => {
    const ingested = await importInChild(bundleOf('ingest').file, {
      env,
      invoke: {
        requestId: 'bundle-check',
        event: apiEvent({
          path: '/v1/events',
          key: INGEST_KEY,
          body: {
            events: [
              {
                eventId: 'bundle-evt-1',
                type: 'page_view',
                occurredAt: '2026-03-02T10:00:00Z',
                userId: 'bundle-user',
                url: 'https://acme.example/?utm_source=newsletter&utm_medium=email',
              },
            ],
          },
        }),
      },
    });
    expect(ingested.result).toMatchObject({ statusCode: 202 });

    const keys: string[] = [];
    for await (const key of stack.pipeline.rawStore.listKeys('2026-03-02', '2026-03-02')) keys.push(key);
    expect(keys).toHaveLength(1);

    const loaded = await importInChild(bundleOf('load').file, {
      env,
      invoke: {
        requestId: 'bundle-check-load',
        event: {
          Records: [
            {
              messageId: 'm1',
              receiptHandle: 'r1',
              body: JSON.stringify({
                Records: [
                  {
                    eventName: 'ObjectCreated:Put',
                    s3: { bucket: { name: LOCAL_NAMES.RAW_BUCKET }, object: { key: keys[0] } },
                  },
                ],
              }),
              attributes: {},
              messageAttributes: {},
              md5OfBody: '',
              eventSource: 'aws:sqs',
              eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:load',
              awsRegion: 'us-east-1',
            },
          ],
        },
      },
    });
    expect((loaded.result as SQSBatchResponse).batchItemFailures).toEqual([]);
    // The bundled load ran DuckDB from the binding beside it and wrote the day's lake partition.
    const rows = await readLake<{ event_id: string; channel: string }>(
      stack.pipeline,
      'events',
      'event_id, channel',
    );
    expect(rows).toEqual([{ event_id: 'bundle-evt-1', channel: 'email' }]);
  });

  it('ingest logs with the Lambda context, publishes its counts as EMF and traces its S3 call', async () => {
    // A stand-in X-Ray daemon: the SDK sends each closed (sub)segment as one UDP datagram.
    const daemon = createSocket('udp4');
    const datagrams: string[] = [];
    daemon.on('message', (message) => datagrams.push(message.toString('utf8')));
    await new Promise<void>((done) => daemon.bind(0, '127.0.0.1', done));
    const pageView = {
      type: 'page_view',
      occurredAt: '2026-03-03T10:00:00Z',
      userId: 'observed-user',
      url: 'https://acme.example/pricing',
    };
    try {
      const invoked = await importInChild(bundleOf('ingest').file, {
        env: {
          ...env,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'attribution-ingest',
          // What Lambda sets for an actively traced function.
          AWS_LAMBDA_FUNCTION_NAME: 'attribution-ingest',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
          LAMBDA_TASK_ROOT: '/var/task',
          _HANDLER: 'index.handler',
          _X_AMZN_TRACE_ID: 'Root=1-6752b3c1-5a9d1e2f3b4c5d6e7f809a1b;Parent=53995c3f42cd8ad8;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        },
        invoke: {
          requestId: 'observed-request',
          event: apiEvent({
            path: '/v1/events',
            key: INGEST_KEY,
            body: {
              events: [
                { ...pageView, eventId: 'obs-1' },
                { ...pageView, eventId: 'obs-1' },
                { ...pageView, eventId: 'obs-2', occurredAt: 'not a time' },
              ],
            },
          }),
        },
      });
      expect(invoked.result).toMatchObject({ statusCode: 202 });
      const lines = invoked.output.map((line) => JSON.parse(line) as Record<string, unknown>);

      const ingested = lines.find((line) => line.message === 'ingested');
      expect(ingested).toMatchObject({
        function_request_id: 'observed-request',
        cold_start: true,
        service: 'attribution-ingest',
        accepted: 1,
      });

      // The counts of this request (1 accepted, 1 repeat, 1 refused), each by source.
      const emf = lines.filter((line) => '_aws' in line);
      const counts = ['EventsAccepted', 'EventsDuplicate', 'EventsRejected'].map((name) =>
        emf.find((line) => name in line),
      );
      const shape = {
        source: 'events',
        service: 'attribution-ingest',
        _aws: { CloudWatchMetrics: [{ Namespace: 'Attribution' }] },
      };
      expect(counts).toMatchObject([
        { EventsAccepted: 1, ...shape },
        { EventsDuplicate: 1, ...shape },
        { EventsRejected: 1, ...shape },
      ]);
      expect(emf.some((line) => line.ColdStart === 1)).toBe(true);

      // The handler's subsegment and, under the same trace, the S3 PutObject of the raw batch.
      // The child has exited; its datagrams may still be in this process's socket queue.
      for (let tries = 0; tries < 50 && !datagrams.some((d) => d.includes('"PutObject"')); tries++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const segments = datagrams.map((d) => JSON.parse(d.split('\n')[1] ?? '{}') as Record<string, unknown>);
      expect(segments.map((segment) => segment.trace_id)).toContain('1-6752b3c1-5a9d1e2f3b4c5d6e7f809a1b');
      expect(segments.some((segment) => segment.name === '## index.handler')).toBe(true);
      expect(
        segments.some(
          (segment) =>
            segment.name === 'S3' && (segment.aws as { operation?: string })?.operation === 'PutObject',
        ),
      ).toBe(true);
    } finally {
      daemon.close();
    }
  });

  it('collect reads a 256 KB config file at its first invocation and takes a page view', async () => {
    const configFile = join(outdir, 'large-config.json');
    const competitors = Array.from({ length: 600 }, (_, i) => ({
      name: `Competitor ${i}`,
      terms: Array.from({ length: 20 }, (_, t) => `competitor ${i} search term ${t}`),
    }));
    writeFileSync(
      configFile,
      JSON.stringify({
        brand: { name: 'Acme', terms: ['acme'] },
        competitors,
        writeKeys: ['bundle-write-key-0123'],
      }),
    );
    expect(statSync(configFile).size).toBeGreaterThan(256 * 1024);
    const collected = await importInChild(bundleOf('collect').file, {
      env: { ...env, ATTRIBUTION_CONFIG: configFile },
      invoke: {
        requestId: 'bundle-check-collect',
        event: apiEvent({
          path: '/v1/batch',
          key: null,
          headers: { authorization: `Basic ${Buffer.from('bundle-write-key-0123:').toString('base64')}` },
          body: {
            batch: [
              {
                type: 'page',
                messageId: 'bundle-page-1',
                anonymousId: 'a1',
                properties: { url: 'https://acme.example/' },
              },
            ],
          },
        }),
      },
    });
    expect(collected.result).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((collected.result as { body: string }).body)).toMatchObject({ accepted: 1 });
  });

  it('query answers GET /v1/health', async () => {
    const answered = await importInChild(bundleOf('query').file, {
      env,
      invoke: { requestId: 'bundle-check-query', event: apiEvent({ path: '/v1/health', key: null }) },
    });
    expect(answered.result).toMatchObject({ statusCode: 200 });
  });
});

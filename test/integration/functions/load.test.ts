import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger } from '#adapters/logger.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createLoadHandler } from '#functions/load/handler.ts';
import { LOCAL_NAMES, localDocumentClient } from '#local/servers.ts';
import { SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { injectFault } from '../../support/faults.ts';
import { apiEvent, bodyOf, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;
let keys: string[];

function sqsEvent(objectKeys: readonly string[], raw?: string): SQSEvent {
  return {
    Records: objectKeys.map((key, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body:
        raw ??
        JSON.stringify({
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: LOCAL_NAMES.RAW_BUCKET }, object: { key } },
            },
          ],
        }),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'test',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:load',
      awsRegion: 'us-east-1',
    })),
  };
}

async function storedEventIds(): Promise<string[]> {
  const result = await stack.servers.dynamo.send(new ScanCommand({ TableName: LOCAL_NAMES.EVENTS_TABLE }));
  return (result.Items ?? []).map((item) => String(item.eventId)).sort();
}

describe('load (SQS → events table)', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    const ingest = createIngestHandler(stack.pipeline);
    const result = await ingest(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    expect(bodyOf(result)).toMatchObject({ accepted: SCENARIO_EVENTS.length });
    keys = [];
    for await (const key of stack.pipeline.rawStore.listKeys('2026-03-01', '2026-03-06')) keys.push(key);
  });
  afterAll(() => stack.close());

  it('loads every event of the raw objects, and loading them again stores each event once', async () => {
    const load = createLoadHandler(stack.pipeline);
    expect(await load(sqsEvent(keys), testContext('load'))).toEqual({ batchItemFailures: [] });
    const once = await storedEventIds();
    expect(once).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    expect(await load(sqsEvent(keys), testContext('load'))).toEqual({ batchItemFailures: [] });
    expect(await storedEventIds()).toEqual(once);
  });

  it('keeps the normalised event intact through the table (read back through the schema)', async () => {
    const all = [];
    for (let segment = 0; segment < 2; segment++) {
      for await (const event of stack.pipeline.eventStore.scanSegment(segment, 2, {
        fromTs: 0,
        toTs: Date.parse('2030-01-01'),
      })) {
        all.push(event);
      }
    }
    const purchase = all.find((event) => event.eventId === 'e3');
    expect(purchase).toMatchObject({
      type: 'conversion',
      conversion: 'purchase',
      valueMicros: 100_000_000,
      userKey: 'u:u1',
    });
    expect(all).toHaveLength(SCENARIO_EVENTS.length);
  });

  it('reports a poison message and a poison object for the DLQ while the rest of the batch loads', async () => {
    await stack.servers.s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_NAMES.RAW_BUCKET,
        Key: 'raw/v1/dt=2026-03-09/hr=00/poison.ndjson.gz',
        Body: 'not gzip',
      }),
    );
    const load = createLoadHandler(stack.pipeline);
    const good = sqsEvent([keys[0] ?? '']).Records[0];
    const poisonObject = {
      ...sqsEvent(['raw/v1/dt=2026-03-09/hr=00/poison.ndjson.gz']).Records[0],
      messageId: 'poison-object',
    };
    const poisonMessage = { ...sqsEvent(['x'], '{not json').Records[0], messageId: 'poison-message' };
    const missing = {
      ...sqsEvent(['raw/v1/dt=2026-03-09/hr=00/missing.ndjson.gz']).Records[0],
      messageId: 'missing',
    };
    const logged = vi.spyOn(logger, 'error');
    const response = await load(
      { Records: [good, poisonObject, poisonMessage, missing] as SQSEvent['Records'] },
      testContext('load'),
    );
    // Each failure is logged with its message id and the reason, for whoever reads the DLQ.
    const reasons = Object.fromEntries(
      logged.mock.calls.map(([, extra]) => [
        (extra as { messageId: string }).messageId,
        (extra as { reason: string }).reason,
      ]),
    );
    logged.mockRestore();
    expect(reasons).toEqual({
      'poison-object': 'raw object raw/v1/dt=2026-03-09/hr=00/poison.ndjson.gz could not be loaded',
      'poison-message': 'message body is not JSON',
    });
    // An object that no longer exists (ingest took it back after a failed request) is done, not poison.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'poison-message',
      'poison-object',
    ]);
  });

  it('ignores S3 test events and non-create notifications', async () => {
    const load = createLoadHandler(stack.pipeline);
    const test = sqsEvent(['x'], JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }));
    expect(await load(test, testContext('load'))).toEqual({ batchItemFailures: [] });
  });

  it.each([
    [
      'throttles',
      () =>
        Object.assign(new Error('throttled'), {
          name: 'ProvisionedThroughputExceededException',
          $retryable: {},
        }),
    ],
    ['times out', () => Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
  ])(
    'reports the message as failed when DynamoDB %s past the retries, and the retry stores each event once',
    async (_, error) => {
      const dynamo = localDocumentClient(stack.servers.dynamoEndpoint);
      const plan = { commands: ['BatchWriteItemCommand', 'BatchWriteCommand'], times: 100, error };
      injectFault(dynamo, plan);
      const load = createLoadHandler(stack.pipelineWith(({ s3 }) => ({ s3, dynamo })));
      const response = await load(sqsEvent([keys[0] ?? '']), testContext('load'));
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
      plan.times = 0;
      expect(await load(sqsEvent([keys[0] ?? '']), testContext('load'))).toEqual({ batchItemFailures: [] });
      expect(await storedEventIds()).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    },
  );
});

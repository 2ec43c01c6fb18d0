import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { logger, metrics } from '#adapters/observability.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createLoadHandler } from '#functions/load/handler.ts';
import { LOCAL_NAMES, localS3Client } from '#local/servers.ts';
import { SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { injectFault } from '../../support/faults.ts';
import { readLake } from '../../support/lake.ts';
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

/** The event ids the lake holds, as compute keeps them. */
async function storedEventIds(): Promise<string[]> {
  const rows = await readLake<{ event_id: string }>(stack.pipeline, 'events', 'event_id');
  return rows.map((row) => row.event_id).sort();
}

describe('load (SQS → lake)', () => {
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
    // Every test starts from the built lake, whatever order they run in.
    expect(await createLoadHandler(stack.pipeline)(sqsEvent(keys), testContext('load'))).toEqual({
      batchItemFailures: [],
    });
  });
  afterAll(() => stack.close());

  it('appends the raw objects to their days, and loading them again still holds each event', async () => {
    const load = createLoadHandler(stack.pipeline);
    expect(await load(sqsEvent(keys), testContext('load'))).toEqual({ batchItemFailures: [] });
    const once = await storedEventIds();
    expect(once).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    expect(await load(sqsEvent(keys), testContext('load'))).toEqual({ batchItemFailures: [] });
    expect(await storedEventIds()).toEqual(once);
  });

  it('records the load lag from the oldest message and the events built', async () => {
    const added = vi.spyOn(metrics, 'addMetric');
    try {
      const event = sqsEvent(keys);
      const sentAt = Date.now() - 42_000;
      event.Records.forEach((record, i) => {
        record.attributes.SentTimestamp = String(sentAt + i * 1000);
      });
      await createLoadHandler(stack.pipeline)(event, testContext('load'));
      const recorded = new Map(added.mock.calls.map(([name, , value]) => [name, value]));
      // The oldest message was sent 42 s ago; the load itself takes a few seconds at most.
      expect(recorded.get('LoadLag')).toBeGreaterThanOrEqual(42);
      expect(recorded.get('LoadLag')).toBeLessThan(42 + 30);
      // Every event of the scenario's objects was appended again (one row per eventId per part).
      expect(recorded.get('LakeEventsBuilt')).toBe(SCENARIO_EVENTS.length);
      expect(recorded.get('LakeDaysFailed')).toBe(0);
    } finally {
      added.mockRestore();
    }
  });

  it('keeps each event as a typed, classified lake row', async () => {
    const rows = await readLake(stack.pipeline);
    const purchase = rows.find((row) => row.event_id === 'e3');
    expect(purchase).toMatchObject({
      type: 'conversion',
      conversion: 'purchase',
      value_micros: 100_000_000n,
      user_key: 'u:u1',
      stage: 'decision',
      source: 'events',
    });
    expect(rows).toHaveLength(SCENARIO_EVENTS.length);
  });

  it('skips and reports a bad raw object while the rest of its day loads; a poison message goes to the DLQ', async () => {
    const day = SCENARIO_EVENTS[0]?.occurredAt.slice(0, 10) ?? '';
    const badKey = `raw/v2/dt=${day}/hr=00/poison.ndjson.gz`;
    await stack.servers.s3.send(
      new PutObjectCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET, Key: badKey, Body: 'not gzip' }),
    );
    const load = createLoadHandler(stack.pipeline);
    const poisonObject = { ...sqsEvent([badKey]).Records[0], messageId: 'poison-object' };
    const poisonMessage = { ...sqsEvent(['x'], '{not json').Records[0], messageId: 'poison-message' };
    const missing = {
      ...sqsEvent([`raw/v2/dt=${day}/hr=00/missing.ndjson.gz`]).Records[0],
      messageId: 'missing',
    };
    const warned = vi.spyOn(logger, 'warn');
    const errors = vi.spyOn(logger, 'error');
    const response = await load(
      { Records: [poisonObject, poisonMessage, missing] as SQSEvent['Records'] },
      testContext('load'),
    );
    const skipped = warned.mock.calls.map(([, extra]) => extra as { key?: string; reason?: string });
    const failures = errors.mock.calls.map(([, extra]) => extra as { messageId?: string; reason?: string });
    warned.mockRestore();
    errors.mockRestore();
    // The bad object is named with its reason; the day's good events are all still there.
    expect(skipped).toContainEqual(
      expect.objectContaining({ key: badKey, reason: expect.stringMatching(/header/i) }),
    );
    expect(await storedEventIds()).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    expect(failures).toContainEqual(
      expect.objectContaining({ messageId: 'poison-message', reason: 'message body is not JSON' }),
    );
    // Only the message that can never succeed fails (for the DLQ); an object taken back is simply gone.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['poison-message']);
  });

  it('ignores S3 test events and non-create notifications', async () => {
    const load = createLoadHandler(stack.pipeline);
    const test = sqsEvent(['x'], JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }));
    expect(await load(test, testContext('load'))).toEqual({ batchItemFailures: [] });
  });

  it('fails the message, dropping nothing, when S3 cannot be read for a while; the retry loads every event', async () => {
    const s3 = localS3Client(stack.servers.s3Endpoint);
    const plan = { commands: ['GetObjectCommand'], times: 1 };
    injectFault(s3, plan);
    const load = createLoadHandler(stack.pipelineWith(({ dynamo }) => ({ s3, dynamo })));
    const response = await load(sqsEvent([keys[0] ?? '']), testContext('load'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    // The failed build wrote nothing: the day still holds every event (it would have lost that object's).
    expect(await storedEventIds()).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    expect(await load(sqsEvent([keys[0] ?? '']), testContext('load'))).toEqual({ batchItemFailures: [] });
    expect(await storedEventIds()).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
  });

  it('reports the message as failed when the lake cannot be written, and the retry stores every event', async () => {
    const s3 = localS3Client(stack.servers.s3Endpoint);
    const plan = { commands: ['PutObjectCommand'], times: 100 };
    injectFault(s3, plan);
    const load = createLoadHandler(stack.pipelineWith(({ dynamo }) => ({ s3, dynamo })));
    const response = await load(sqsEvent([keys[0] ?? '']), testContext('load'));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
    plan.times = 0;
    expect(await load(sqsEvent([keys[0] ?? '']), testContext('load'))).toEqual({ batchItemFailures: [] });
    expect(await storedEventIds()).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
  });
});

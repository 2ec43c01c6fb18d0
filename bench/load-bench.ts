/**
 * The load step (SQS → `load` handler → events table) per raw object of 500 events, against the
 * embedded servers, plus the sizes the cost model needs: request body, gzip raw object and
 * DynamoDB item size per event.
 */
import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { validateEventBatch } from '#domain/event-batch.ts';
import { createLoadHandler } from '#functions/load/handler.ts';
import { generateDemoMonth } from '#local/demo-data.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { LOCAL_NAMES } from '#local/servers.ts';
import { withBenchStack } from './bench-stack.ts';
import { median, percentile } from './stats.ts';

export const BATCH_EVENTS = 500;

export interface LoadFigures {
  readonly objects: number;
  readonly eventsPerObject: number;
  /** Load handler time per SQS message naming one raw object of 500 events. */
  readonly p50ObjectMs: number;
  readonly p99ObjectMs: number;
  readonly eventsPerSecond: number;
  /** `POST /v1/events` body of a 500-event batch (uncompressed JSON). */
  readonly batchBodyBytes: number;
  /** One demo event as the sender's JSON. */
  readonly eventJsonBytes: { readonly median: number; readonly p90: number; readonly max: number };
  /** Raw zone: gzip NDJSON bytes per event, one 500-event object. */
  readonly gzipBytesPerEvent: number;
  /** Events-table item size by DynamoDB's rules (attribute names + values + overheads). */
  readonly itemBytes: { readonly median: number; readonly p90: number; readonly max: number };
  /** Mean write request units per item (1 per started KB). */
  readonly wruPerItem: number;
  readonly itemsOver1Kb: number;
  readonly items: number;
  /** Scan + unmarshal + validate per item through the event store (against dynalite, in process). */
  readonly scanUsPerItem: number;
}

/** Demo events (every type) re-timed into one hour with unique ids, as bench/ingest-bench.ts sends them. */
export function demoBatches(count: number): Record<string, unknown>[][] {
  const events = generateDemoMonth('2026-03-31', 1, 2000).events;
  const hour = Date.parse('2026-03-31T10:00:00Z');
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: BATCH_EVENTS }, (_, i) => {
      const event = events[(b * BATCH_EVENTS + i) % events.length] ?? {};
      return { ...event, eventId: `bench-${b}-${i}`, occurredAt: new Date(hour + i * 7_000).toISOString() };
    }),
  );
}

function sqsMessage(key: string, n: number): SQSEvent {
  return {
    Records: [
      {
        messageId: `m${n}`,
        receiptHandle: `r${n}`,
        body: JSON.stringify({
          Records: [
            {
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: LOCAL_NAMES.RAW_BUCKET }, object: { key: encodeURIComponent(key) } },
            },
          ],
        }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '0',
          SenderId: 'bench',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:load',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** DynamoDB's size of a number: about one byte per two significant digits, plus one. */
function numberBytes(value: number): number {
  const digits = Math.abs(value)
    .toExponential()
    .replace(/e.*$/, '')
    .replace('.', '')
    .replace(/^0+|0+$/g, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberBytes(value);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 0);
  if (typeof value === 'object') {
    let size = 3;
    for (const [name, v] of Object.entries(value as Record<string, unknown>))
      if (v !== undefined) size += utf8(name) + valueBytes(v) + 1;
    return size;
  }
  return utf8(String(value));
}

/**
 * An item's size as DynamoDB counts it (Developer Guide, "Item sizes and formats"): attribute
 * names plus values; numbers about 1 byte per 2 significant digits + 1; list and map 3 bytes
 * plus 1 per element.
 */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    if (value !== undefined) size += utf8(name) + valueBytes(value);
  return size;
}

/** Ingests `objects + 1` batches straight to the raw store, then times the load handler on each object. */
export async function benchLoad(props: { objects: number }): Promise<LoadFigures> {
  return withBenchStack(async ({ servers, pipeline }) => {
    const batches = demoBatches(props.objects + 1);
    const bodies = batches.map((events) => JSON.stringify({ events }));
    const eventJson = batches.flat().map((event) => utf8(JSON.stringify(event)));

    // What ingest writes: validated, normalised events, one gzip NDJSON object per batch.
    const keys: string[] = [];
    const gzipPerEvent: number[] = [];
    for (const [n, body] of bodies.entries()) {
      const outcome = validateEventBatch(JSON.parse(body), pipeline.normaliser, new Date().toISOString());
      if (outcome.accepted.length !== BATCH_EVENTS)
        throw new Error(`batch ${n}: ${outcome.rejected.length} events rejected`);
      const written = await pipeline.rawStore.putEvents(outcome.accepted, `bench-load-${n}`);
      if (written.length !== 1) throw new Error(`batch ${n} wrote ${written.length} objects, expected 1`);
      keys.push(...written);
      const ndjson = `${outcome.accepted.map((e) => JSON.stringify(e)).join('\n')}\n`;
      gzipPerEvent.push(gzipSync(ndjson).length / outcome.accepted.length);
    }

    const handler = createLoadHandler(pipeline);
    const latencies: number[] = [];
    let timedMs = 0;
    for (const [n, key] of keys.entries()) {
      const t0 = performance.now();
      const result = await handler(sqsMessage(key, n), lambdaContext('load', `bench-${n}`));
      const ms = performance.now() - t0;
      if (result.batchItemFailures.length > 0) throw new Error(`load failed for ${key}`);
      // The first object warms the handler up (clients, connections, JIT).
      if (n === 0) continue;
      latencies.push(ms);
      timedMs += ms;
    }

    // The stored items, read back raw, for their DynamoDB size.
    const sizes: number[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await servers.dynamo.send(
        new ScanCommand({ TableName: LOCAL_NAMES.EVENTS_TABLE, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) sizes.push(dynamoItemBytes(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const scanStarted = performance.now();
    let scanned = 0;
    for await (const _event of pipeline.eventStore.scanSegment(0, 1, {
      fromTs: 0,
      toTs: Number.MAX_SAFE_INTEGER,
    }))
      scanned++;
    const scanMs = performance.now() - scanStarted;

    return {
      objects: latencies.length,
      eventsPerObject: BATCH_EVENTS,
      p50ObjectMs: median(latencies),
      p99ObjectMs: percentile(latencies, 99),
      eventsPerSecond: (latencies.length * BATCH_EVENTS) / (timedMs / 1000),
      batchBodyBytes: median(bodies.map(utf8)),
      eventJsonBytes: {
        median: median(eventJson),
        p90: percentile(eventJson, 90),
        max: Math.max(...eventJson),
      },
      gzipBytesPerEvent: median(gzipPerEvent),
      itemBytes: { median: median(sizes), p90: percentile(sizes, 90), max: Math.max(...sizes) },
      wruPerItem: sizes.reduce((sum, size) => sum + Math.ceil(size / 1024), 0) / sizes.length,
      itemsOver1Kb: sizes.filter((size) => size > 1024).length,
      items: sizes.length,
      scanUsPerItem: (scanMs * 1000) / Math.max(1, scanned),
    };
  });
}

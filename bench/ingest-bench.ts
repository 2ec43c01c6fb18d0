import { hashApiKey } from '#adapters/key-store.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import type { HttpEvent } from '#http/types.ts';
import { generateDemoMonth } from '#local/demo-data.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { withBenchStack } from './bench-stack.ts';
import { median, percentile } from './stats.ts';

export interface IngestFigures {
  readonly label: string;
  /** Median over runs of events per second, one batch at a time on one core. */
  readonly eventsPerSecond: number;
  readonly p50BatchMs: number;
  readonly p99BatchMs: number;
  readonly batches: number;
}

const KEY = 'bench-ingest-key-0123456789';

/** A raw store that accepts and drops: isolates the handler's own cost from the S3 write. */
const discardingRawStore: RawStore = {
  putEvents: async () => [],
  putArchive: async () => '',
  readObject: async () => ({ events: [], invalid: [] }),
  listKeys: async function* () {},
};

function batchEvents(body: string): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /v1/events',
    rawPath: '/v1/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path: '/v1/events',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: 'bench',
      routeKey: 'POST /v1/events',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

/**
 * Ingest throughput through the real handler with 500-event batches: once writing to the
 * embedded S3-compatible server, once with the write dropped.
 */
export async function benchIngest(props: { runs: number; batchesPerRun: number }): Promise<IngestFigures[]> {
  return withBenchStack(async ({ pipeline }) => {
    await pipeline.keyStore.put({
      keyHash: hashApiKey(KEY),
      name: 'bench',
      scopes: ['ingest'],
      createdAt: new Date().toISOString(),
    });
    // Demo events (every type, realistic URLs and referrers) re-timed into one hour, as a live
    // sender's batch is; unique ids per batch.
    const events = generateDemoMonth('2026-03-31', 1, 2000).events;
    const hour = Date.parse('2026-03-31T10:00:00Z');
    const bodies: string[] = [];
    for (let b = 0; b < props.batchesPerRun; b++) {
      const batch = Array.from({ length: 500 }, (_, i) => {
        const event = events[(b * 500 + i) % events.length] ?? {};
        return { ...event, eventId: `bench-${b}-${i}`, occurredAt: new Date(hour + i * 7_000).toISOString() };
      });
      bodies.push(JSON.stringify({ events: batch }));
    }
    const results: IngestFigures[] = [];
    for (const [label, target] of [
      ['with the S3 write', pipeline],
      ['without the S3 write', { ...pipeline, rawStore: discardingRawStore } satisfies Pipeline],
    ] as const) {
      const handler = createIngestHandler(target);
      await handler(batchEvents(bodies[0] ?? ''), lambdaContext('ingest', 'warm-up'));
      const rates: number[] = [];
      const latencies: number[] = [];
      for (let run = 0; run < props.runs; run++) {
        const started = performance.now();
        for (const body of bodies) {
          const t0 = performance.now();
          const result = await handler(batchEvents(body), lambdaContext('ingest', 'bench'));
          latencies.push(performance.now() - t0);
          if (result.statusCode !== 202)
            throw new Error(`ingest answered ${result.statusCode}: ${result.body}`);
        }
        rates.push((bodies.length * 500) / ((performance.now() - started) / 1000));
      }
      results.push({
        label,
        eventsPerSecond: median(rates),
        p50BatchMs: median(latencies),
        p99BatchMs: percentile(latencies, 99),
        batches: latencies.length,
      });
    }
    return results;
  });
}

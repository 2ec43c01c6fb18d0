import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '#adapters/pipeline.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import { createSesWebhook } from '#domain/webhooks/ses.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner, createJobsHandler } from '#functions/jobs/handler.ts';
import { createKeysHandler } from '#functions/keys/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { createWebhooksHandler } from '#functions/webhooks/handler.ts';
import { ROUTES } from '#http/routes.ts';
import type { HttpResult } from '#http/types.ts';
import { createDispatcher, type GatewayRequest } from '#local/gateway.ts';
import { INGEST_KEY, QUERY_KEY, startTestStack, type TestStack } from '../support/stack.ts';

/** Inputs per CI run; `npm run fuzz` raises it. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);

/** The real raw store, counting what reaches it, so a rejected request can be shown to store nothing. */
class CountingRawStore implements RawStore {
  events = 0;
  readonly #inner: RawStore;
  constructor(inner: RawStore) {
    this.#inner = inner;
  }
  putEvents(events: Parameters<RawStore['putEvents']>[0], requestId: string) {
    this.events += events.length;
    return this.#inner.putEvents(events, requestId);
  }
  putArchive(records: readonly unknown[], requestId: string) {
    this.events += records.length;
    return this.#inner.putArchive(records, requestId);
  }
  readObject(key: string) {
    return this.#inner.readObject(key);
  }
  listKeys(from: string, to: string) {
    return this.#inner.listKeys(from, to);
  }
}

const HUGE = 'x'.repeat(200_000);
const hostileText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 40 }) },
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    '\u0000',
    '\r\nx-injected: 1',
    '2026-02-30',
    '2026-02-30T10:00:00Z',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '2026-03-01T10:00:00',
    'NaN',
    'Infinity',
    '-1e309',
    'javascript:alert(1)',
    'http://',
    '=cmd|calc',
    HUGE,
  ),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e21, Number.MAX_SAFE_INTEGER + 2, 1e308),
);
const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const eventLike = fc.record(
  {
    eventId: fc.oneof(hostileText, hostileNumber),
    type: fc.oneof(
      fc.constantFrom('ad_impression', 'ad_click', 'search', 'page_view', 'email', 'conversion'),
      hostileText,
    ),
    occurredAt: fc.oneof(
      fc
        .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      hostileText,
    ),
    userId: hostileText,
    anonymousId: hostileText,
    url: fc.oneof(fc.webUrl({ withQueryParameters: true }), hostileText),
    referrer: fc.oneof(fc.webUrl(), hostileText),
    platform: hostileText,
    campaign: hostileText,
    name: hostileText,
    action: fc.oneof(fc.constantFrom('open', 'click', 'sent'), hostileText),
    count: hostileNumber,
    cost: fc.record({ amount: hostileNumber, currency: fc.oneof(fc.constant('USD'), hostileText) }),
    utm: hostileValue,
    properties: hostileValue,
  },
  { requiredKeys: [] },
);

const jsonBody = fc.oneof(
  fc.record({ events: fc.array(eventLike, { maxLength: 6 }) }).map((body) => JSON.stringify(body)),
  fc.record({ rows: fc.array(hostileValue, { maxLength: 4 }) }).map((body) => JSON.stringify(body)),
  fc.record({ from: hostileText, to: hostileText }, { requiredKeys: [] }).map((body) => JSON.stringify(body)),
  hostileValue.map((value) => JSON.stringify(value) ?? ''),
  fc.constantFrom(
    '{"__proto__": {"polluted": true}, "events": [{"__proto__": {"polluted": true}, "eventId": "p"}]}',
    '{"constructor": {"prototype": {"polluted": true}}, "rows": []}',
    '{"events": [NaN, Infinity]}',
    '{"events": [',
    '',
    'null',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `{"events": ${'['.repeat(3000)}1${']'.repeat(3000)}}`,
    `{"events": [{"eventId": "${HUGE}"}]}`,
  ),
);

const body = fc.oneof(
  {
    weight: 5,
    arbitrary: jsonBody.map((text) => ({ bytes: Buffer.from(text, 'utf8'), encoding: undefined })),
  },
  jsonBody.map((text) => ({ bytes: gzipSync(text), encoding: 'gzip' as const })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), encoding: 'gzip' as const })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), encoding: undefined })),
  // Invalid UTF-8 inside otherwise plausible JSON.
  fc.constant({
    bytes: Buffer.concat([
      Buffer.from('{"events":[{"eventId":"'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}]}'),
    ]),
    encoding: undefined,
  }),
);

/** Mostly a real route with its own method and the key it needs, so inputs get past routing and auth. */
const target = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(...ROUTES).map((route) => ({
      method: route.method as string,
      path: route.path
        .replace('{jobId}', 'compute-20260101T000000-deadbeef')
        .replace('{provider}', 'sendgrid'),
      key:
        route.target === 'ingest' || route.target === 'spend' || route.target === 'collect'
          ? INGEST_KEY
          : QUERY_KEY,
    })),
  },
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom(...ROUTES.map((route) => route.path)),
      hostileText.map((id) => `/v1/jobs/${encodeURIComponent(id)}`),
      fc.webPath(),
    ),
    key: fc.constantFrom(INGEST_KEY, QUERY_KEY),
  }),
);

const query = fc.dictionary(
  fc.oneof(
    fc.constantFrom('from', 'to', 'basis', 'source', 'limit', 'channel', 'format', 'model', 'groupBy'),
    hostileText,
  ),
  hostileText,
  { maxKeys: 4 },
);

const request = fc.record({
  target,
  query,
  body,
  authorization: fc.oneof(
    { weight: 8, arbitrary: fc.constant('matching') },
    fc.constantFrom(
      undefined,
      'Bearer',
      'Basic Zm9vOmJhcg==',
      `Bearer ${HUGE}`,
      `Bearer ${INGEST_KEY}`,
      `Bearer ${QUERY_KEY}`,
    ),
    hostileText,
  ),
  contentType: fc.oneof(
    { weight: 4, arbitrary: fc.constant('application/json') },
    fc.constantFrom(
      undefined,
      'text/plain',
      'application/octet-stream',
      'application/xml',
      'application/json; charset=utf-16',
      '',
    ),
  ),
  accept: fc.constantFrom(undefined, 'text/csv', '*/*'),
  extraHeader: fc.tuple(hostileText, hostileText),
});

let stack: TestStack;
let counting: CountingRawStore;
let dispatch: ReturnType<typeof createDispatcher>;

describe('every HTTP route under generated hostile input', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    counting = new CountingRawStore(stack.pipeline.rawStore);
    const pipeline: Pipeline = { ...stack.pipeline, rawStore: counting };
    dispatch = createDispatcher({
      ingest: createIngestHandler(pipeline),
      collect: createCollectHandler(pipeline),
      webhooks: createWebhooksHandler({
        pipeline,
        webhooks: pipeline.config.webhooks,
        ses: createSesWebhook({
          certificates: {
            get: async () => {
              throw new Error('no certificate fetch in the fuzz test');
            },
          },
          confirm: { confirm: async () => undefined },
        }),
      }),
      spend: createSpendHandler(pipeline),
      keys: createKeysHandler(pipeline),
      query: createQueryHandler(pipeline),
      jobs: createJobsHandler({ pipeline, runner: waitingRunner(createInProcessRunner(pipeline)) }),
    });
  });
  afterAll(() => stack.close());

  it(`never answers 5xx, always answers errors as JSON, and stores nothing it rejects (${RUNS} inputs)`, async () => {
    let served = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        const search = new URLSearchParams(input.query).toString();
        const headers: Record<string, string> = {};
        const authorization =
          input.authorization === 'matching' ? `Bearer ${input.target.key}` : input.authorization;
        if (authorization !== undefined) headers.authorization = authorization;
        if (input.contentType !== undefined) headers['content-type'] = input.contentType;
        if (input.accept !== undefined) headers.accept = input.accept;
        if (input.body.encoding) headers['content-encoding'] = input.body.encoding;
        headers[`x-${input.extraHeader[0].replace(/[^a-z0-9-]/gi, '').slice(0, 20) || 'extra'}`] =
          input.extraHeader[1];
        const { method, path } = input.target;
        const gatewayRequest: GatewayRequest = {
          method,
          url: `${path.startsWith('/') ? path : `/${path}`}${search ? `?${search}` : ''}`,
          headers,
          body: method === 'GET' ? Buffer.alloc(0) : input.body.bytes,
        };
        const before = counting.events;
        const result: HttpResult = await dispatch(gatewayRequest);
        served += 1;
        const status = result.statusCode ?? 200;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, `${method} ${gatewayRequest.url}`).toBeLessThan(500);
        if (status >= 400) {
          const parsed = JSON.parse(result.body ?? '') as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code).toBe('string');
          expect(typeof parsed.error?.message).toBe('string');
          expect(counting.events).toBe(before);
        }
        if (status === 202 && gatewayRequest.url.startsWith('/v1/events')) {
          const accepted = (JSON.parse(result.body ?? '{}') as { accepted: number }).accepted;
          expect(counting.events - before).toBe(accepted);
        }
      }),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    expect(served).toBeGreaterThanOrEqual(RUNS);
    // The inputs reach past authentication into every kind of answer, not only 401s.
    console.log('fuzz statuses', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
    for (const status of [200, 202, 400, 401, 403, 404, 405])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 600_000);
});

/** A runner whose start resolves once the job has ended, so nothing runs after the property. */
function waitingRunner(runner: ReturnType<typeof createInProcessRunner>) {
  return {
    start: async (job: Parameters<typeof runner.start>[0]) => runner.start(job).then(() => runner.idle()),
  };
}

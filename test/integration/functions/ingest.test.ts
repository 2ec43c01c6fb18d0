import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_PREFIX } from '#adapters/raw-store.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { LOCAL_NAMES, localS3Client } from '#local/servers.ts';
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { SCENARIO_EVENTS } from '../../fixtures/scenario.ts';
import { injectFault } from '../../support/faults.ts';
import { readLake } from '../../support/lake.ts';
import {
  apiEvent,
  bodyOf,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
  writtenBy,
} from '../../support/stack.ts';

let stack: TestStack;
let ingest: ReturnType<typeof createIngestHandler>;

const valid = (eventId: string, extra: Record<string, unknown> = {}) => ({
  eventId,
  type: 'page_view',
  occurredAt: '2026-03-02T10:00:00Z',
  userId: 'u1',
  url: 'https://acme.example/',
  ...extra,
});

async function post(body: unknown, props: Partial<Parameters<typeof apiEvent>[0]> = {}) {
  return ingest(apiEvent({ path: '/v1/events', body, ...props }), testContext('ingest'));
}

async function rawKeys(): Promise<string[]> {
  const page = await stack.servers.s3.send(
    new ListObjectsV2Command({ Bucket: LOCAL_NAMES.RAW_BUCKET, Prefix: RAW_PREFIX }),
  );
  return (page.Contents ?? []).map((object) => object.Key ?? '');
}

describe('POST /v1/events', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    ingest = createIngestHandler(stack.pipeline);
  });
  afterAll(() => stack.close());

  it('accepts a batch, writes it as gzip NDJSON under Hive-style keys and reads it back event for event', async () => {
    const context = testContext('ingest');
    const result = await ingest(apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }), context);
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ accepted: 14, duplicates: 0, rejected: [] });
    // Only this request's objects: other tests of the file write events on the same dates.
    const keys = (await rawKeys()).filter(writtenBy(context));
    // The events fall on 6 UTC dates, 03-01 to 03-06 → one object each, in the hour of its earliest
    // event: 03-01 00h (e11–e14 before e1 at 10h), 03-02 10h, 03-03 09h, 03-04 07h (e8), 03-05 12h, 03-06 12h.
    expect(keys).toHaveLength(6);
    expect(keys.map((key) => key.slice(7, 26)).sort()).toEqual([
      'dt=2026-03-01/hr=00',
      'dt=2026-03-02/hr=10',
      'dt=2026-03-03/hr=09',
      'dt=2026-03-04/hr=07',
      'dt=2026-03-05/hr=12',
      'dt=2026-03-06/hr=12',
    ]);
    for (const key of keys)
      expect(key).toMatch(/^raw\/v2\/dt=\d{4}-\d{2}-\d{2}\/hr=\d{2}\/[\w-]+\.ndjson\.gz$/);
    const read = await Promise.all(keys.map((key) => stack.pipeline.rawStore.readObject(key)));
    const ids = read.flatMap((object) => object.events.map((stored) => stored.event.eventId)).sort();
    expect(ids).toEqual(SCENARIO_EVENTS.map((event) => event.eventId).sort());
    expect(read.every((object) => object.invalid.length === 0)).toBe(true);
  });

  it('accepts the valid events of a mixed batch and names the fields of the others', async () => {
    const result = await post({
      events: [
        valid('m1'),
        { ...valid('m2'), type: 'teleport' },
        { ...valid('m3'), occurredAt: '2026-02-30T10:00:00Z' },
        { ...valid('m4'), userId: undefined },
        valid('m1'),
        { ...valid('m5'), url: 42 },
      ],
    });
    expect(result.statusCode).toBe(202);
    const body = bodyOf<{
      accepted: number;
      duplicates: number;
      rejected: Array<{ index: number; errors: Array<{ path: string }> }>;
    }>(result);
    expect(body.accepted).toBe(1);
    expect(body.duplicates).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.errors.map((e) => e.path)])).toEqual([
      [1, ['type']],
      [2, ['occurredAt']],
      [3, ['userId']],
      [5, ['url']],
    ]);
  });

  it.each([
    ['a body that is not JSON', { rawBody: '{"events": [' }, 400, '(body)'],
    ['an envelope without events', { body: { items: [] } }, 400, 'events'],
    ['events that are not a list', { body: { events: 'many' } }, 400, 'events'],
    ['an empty batch', { body: { events: [] } }, 400, 'events'],
    [
      'more than 500 events',
      { body: { events: Array.from({ length: 501 }, (_, i) => valid(`x${i}`)) } },
      400,
      'events',
    ],
    [
      'more than 1 MB',
      { body: { events: [valid('big', { properties: { pad: 'x'.repeat(1_100_000) } })] } },
      413,
      '(body)',
    ],
    [
      'an unsupported content type',
      { body: { events: [] }, headers: { 'content-type': 'application/xml' } },
      415,
      undefined,
    ],
    [
      'gzip that is not gzip',
      { rawBody: 'bm90IGd6aXA=', isBase64Encoded: true, headers: { 'content-encoding': 'gzip' } },
      400,
      '(body)',
    ],
    ['base64 that is not base64', { rawBody: '%%%%', isBase64Encoded: true }, 400, '(body)'],
  ])('refuses %s with a JSON error', async (_, props, status, path) => {
    const before = (await rawKeys()).length;
    const result = await post(undefined, props);
    expect(result.statusCode).toBe(status);
    const body = bodyOf<{ error: { code: string; message: string; issues?: Array<{ path: string }> } }>(
      result,
    );
    expect(body.error.message).toEqual(expect.any(String));
    if (path) expect(body.error.issues?.[0]?.path).toBe(path);
    expect((await rawKeys()).length).toBe(before);
  });

  it('keeps the later copy of an event id sent twice in one request, as the lake does for later requests', async () => {
    const result = await post({
      events: [valid('twice', { campaign: 'old' }), valid('twice', { campaign: 'new' })],
    });
    expect(bodyOf(result)).toMatchObject({ accepted: 1, duplicates: 1 });
    const keys = (await rawKeys()).filter((key) => key.includes('dt=2026-03-02'));
    const stored = (await Promise.all(keys.map((key) => stack.pipeline.rawStore.readObject(key)))).flatMap(
      (object) => object.events,
    );
    expect(stored.filter((s) => s.event.eventId === 'twice').map((s) => s.event.campaign)).toEqual(['new']);
  });

  it('stores odd property values faithfully or refuses them naming the field, and its neighbours still load', async () => {
    // Sent as text, so the numbers reach the parser exactly as a sender writes them.
    const rawBody = `{"events":[
      {"eventId":"p-proto","type":"page_view","occurredAt":"2026-04-20T10:00:00Z","userId":"u1","url":"https://acme.example/","properties":{"constructor":{"prototype":{}},"__proto__":{"x":1}}},
      {"eventId":"p-order","type":"conversion","occurredAt":"2026-04-20T10:01:00Z","userId":"u1","name":"purchase","properties":{"orderId":12345678901234567890}},
      {"eventId":"p-huge","type":"conversion","occurredAt":"2026-04-20T10:02:00Z","userId":"u1","name":"purchase","properties":{"score":1e200}},
      {"eventId":"p-tiny","type":"conversion","occurredAt":"2026-04-20T10:03:00Z","userId":"u1","name":"purchase","properties":{"ratio":1e-200,"nested":[1,{"n":2.5}]}}
    ]}`;
    const result = await post(undefined, { rawBody });
    expect(result.statusCode).toBe(202);
    const outcome = bodyOf<{
      accepted: number;
      rejected: Array<{ index: number; errors: Array<{ path: string }> }>;
    }>(result);
    // Integers past 2^53 were rounded by JSON parsing: refused, naming the property.
    expect(outcome.accepted).toBe(2);
    expect(outcome.rejected.map((r) => [r.index, r.errors[0]?.path])).toEqual([
      [1, 'properties.orderId'],
      [2, 'properties.score'],
    ]);
    // What was accepted is loadable: the lake keeps the properties exactly as JSON.
    await refreshLakeDays(wholeDays(['2026-04-20']), stack.pipeline);
    const rows = await readLake<{ event_id: string; properties: string }>(
      stack.pipeline,
      'events',
      'event_id, properties',
    );
    const byId = Object.fromEntries(rows.map((row) => [row.event_id, JSON.parse(row.properties)]));
    expect(byId['p-tiny']).toEqual({ ratio: 1e-200, nested: [1, { n: 2.5 }] });
    expect(Object.keys(byId['p-proto'])).toEqual(['constructor', '__proto__']);
    expect(byId['p-proto'].constructor).toEqual({ prototype: {} });
  });

  it('rejects an event nested too deep to serialise by its index, never a 500', async () => {
    const deep = `${'{"a":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
    const ok = JSON.stringify(valid('n1'));
    const rawBody = `{"events":[${ok},{"eventId":"n2","type":"page_view","occurredAt":"2026-03-02T10:00:00Z","userId":"u1","url":"https://acme.example/","properties":${deep}}]}`;
    const result = await post(undefined, { rawBody });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, errors: [{ path: 'properties' }] }],
    });
  });

  it('accepts a gzip body delivered base64-encoded, as API Gateway passes it', async () => {
    const compressed = gzipSync(JSON.stringify({ events: [valid('gz1')] })).toString('base64');
    const result = await post(undefined, {
      rawBody: compressed,
      isBase64Encoded: true,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ accepted: 1 });
  });

  it('answers 401 without a key, with a wrong key, and 403 with a query-only key', async () => {
    expect((await post({ events: [valid('k1')] }, { key: null })).statusCode).toBe(401);
    expect((await post({ events: [valid('k1')] }, { key: 'not-a-real-key' })).statusCode).toBe(401);
    const forbidden = await post({ events: [valid('k1')] }, { key: QUERY_KEY });
    expect(forbidden.statusCode).toBe(403);
    expect(bodyOf(forbidden)).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('answers 503 and stores nothing when S3 rejects the write', async () => {
    const s3 = localS3Client(stack.servers.s3Endpoint);
    injectFault(s3, { commands: ['PutObjectCommand'] });
    const failing = createIngestHandler(stack.pipelineWith(({ dynamo }) => ({ s3, dynamo })));
    const before = await rawKeys();
    const result = await failing(
      apiEvent({ path: '/v1/events', body: { events: [valid('down1')] } }),
      testContext(),
    );
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result)).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(await rawKeys()).toEqual(before);
  });

  it('takes back the objects already written when one of several writes fails', async () => {
    const s3 = localS3Client(stack.servers.s3Endpoint);
    // Two days → two objects; one of the two PUTs fails.
    let puts = 0;
    injectFault(s3, { commands: ['PutObjectCommand'], error: () => new Error('injected'), times: 1 });
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutObjectCommand') puts += 1;
        return next(args);
      },
      { step: 'initialize', name: 'count-puts', priority: 'high' },
    );
    const failing = createIngestHandler(stack.pipelineWith(({ dynamo }) => ({ s3, dynamo })));
    const before = await rawKeys();
    const result = await failing(
      apiEvent({
        path: '/v1/events',
        body: {
          events: [
            valid('two1', { occurredAt: '2026-04-01T01:00:00Z' }),
            valid('two2', { occurredAt: '2026-04-02T02:00:00Z' }),
          ],
        },
      }),
      testContext(),
    );
    expect(puts).toBe(2);
    expect(result.statusCode).toBe(503);
    expect(await rawKeys()).toEqual(before);
  });
});

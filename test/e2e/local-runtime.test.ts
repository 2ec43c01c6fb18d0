import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '#adapters/key-store.ts';
import {
  attributionCompareResponseSchema,
  attributionResponseSchema,
  channelShareResponseSchema,
  cpaByStageResponseSchema,
  errorResponseSchema,
  referralTrafficResponseSchema,
  shareOfVoiceResponseSchema,
} from '#http/api-schemas.ts';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { LOCAL_NAMES, localDocumentClient, localS3Client } from '#local/servers.ts';
import {
  EXPECTED_CONVERSIONS,
  EXPECTED_CPA,
  EXPECTED_CPA_PAID_SEARCH,
  EXPECTED_REFERRALS,
  EXPECTED_SPEND_SHARE,
  EXPECTED_TOUCHES,
  EXPECTED_VOICE_ALL,
  RANGE,
  SCENARIO_EVENTS,
  SCENARIO_SPEND,
} from '../fixtures/scenario.ts';
import { approx } from '../support/approx.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

const KEY = 'e2e-local-key-0123456789';
let runtime: LocalRuntime;
let dataDir: string;
let api: ApiClient;

async function get(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${runtime.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${KEY}`, ...init.headers },
  });
}

describe('the local runtime over HTTP', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attribution-e2e-'));
    runtime = await startLocalRuntime({ dataDir, configPath: TEST_CONFIG_PATH, port: 0, apiKey: KEY });
    api = new ApiClient({ url: runtime.url, key: KEY });
    const sent = await api.request<{ accepted: number }>('POST', '/v1/events', { events: SCENARIO_EVENTS });
    expect(sent.accepted).toBe(SCENARIO_EVENTS.length);
    await api.request('POST', '/v1/spend', { rows: SCENARIO_SPEND });
    await runtime.idle();
    const job = await api.runJob('compute', RANGE, { pollMs: 50 });
    expect(job).toMatchObject({ status: 'succeeded', from: RANGE.from, to: RANGE.to });
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the health check without a key', async () => {
    const response = await fetch(`${runtime.url}/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it.each([
    ['touches', EXPECTED_TOUCHES],
    ['conversions', EXPECTED_CONVERSIONS],
    ['spend', EXPECTED_SPEND_SHARE],
  ])('serves channel share on the %s basis', async (basis, expected) => {
    const response = await get(`/v1/metrics/channel-share?basis=${basis}&from=${RANGE.from}&to=${RANGE.to}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(approx(expected, 10));
  });

  it('serves share of voice', async () => {
    const response = await get(`/v1/metrics/share-of-voice?source=all&from=${RANGE.from}&to=${RANGE.to}`);
    expect(await response.json()).toEqual(approx(EXPECTED_VOICE_ALL, 10));
  });

  it('serves referral traffic', async () => {
    const response = await get(`/v1/metrics/referral-traffic?from=${RANGE.from}&to=${RANGE.to}`);
    expect(await response.json()).toEqual(EXPECTED_REFERRALS);
  });

  it('serves CPA by stage, for all channels and for one', async () => {
    const all = await get(`/v1/metrics/cpa-by-stage?from=${RANGE.from}&to=${RANGE.to}`);
    expect(await all.json()).toEqual(approx(EXPECTED_CPA));
    const paid = await get(`/v1/metrics/cpa-by-stage?channel=paid_search&from=${RANGE.from}&to=${RANGE.to}`);
    expect(await paid.json()).toEqual(approx(EXPECTED_CPA_PAID_SEARCH));
  });

  it('serves every metric as RFC 4180 CSV with a file name', async () => {
    const range = `from=${RANGE.from}&to=${RANGE.to}`;
    const share = await get(`/v1/metrics/channel-share?basis=conversions&format=csv&${range}`);
    expect(share.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(share.headers.get('content-disposition')).toBe(
      `attachment; filename="channel-share_${RANGE.from}_${RANGE.to}.csv"`,
    );
    expect(await share.text()).toBe(
      'channel,count,share\r\ndirect,1,0.25\r\norganic_search,1,0.25\r\nreferral,1,0.25\r\nemail,1,0.25\r\n',
    );
    const voice = await get(`/v1/metrics/share-of-voice?source=ads&${range}`, {
      headers: { accept: 'text/csv' },
    });
    // Ads only: Acme 1000, Rival 500 → 2/3 and 1/3 (rounded to 12 decimals by the API).
    const voiceRows = (await voice.text()).trimEnd().split('\r\n');
    expect(voiceRows[0]).toBe('name,is_brand,count,share');
    expect(voiceRows.slice(1).map((row) => row.split(',').slice(0, 3))).toEqual([
      ['Acme', 'true', '1000'],
      ['Rival', 'false', '500'],
    ]);
    expect(voiceRows.slice(1).map((row) => Number(row.split(',')[3]))).toEqual([
      expect.closeTo(2 / 3, 10),
      expect.closeTo(1 / 3, 10),
    ]);
    const referral = await get(`/v1/metrics/referral-traffic?format=csv&${range}`);
    expect(await referral.text()).toBe(
      'domain,category,visits,share,conversions\r\ngoogle.com,search,1,0.5,1\r\nnews.example.org,referral,1,0.5,1\r\n',
    );
    const cpa = await get(`/v1/metrics/cpa-by-stage?format=csv&channel=paid_search&${range}`);
    expect(await cpa.text()).toBe(
      [
        'stage,events,users,spend,cost_per_event,cost_per_user,currency',
        'awareness,1500,0,300,0.2,,USD',
        'consideration,1,1,300,300,300,USD',
        'decision,0,0,300,,,USD',
        'retention,0,0,300,,,USD',
        'advocacy,0,0,300,,,USD',
        '',
      ].join('\r\n'),
    );
  });

  it('serves the OpenAPI document without a key, and every answer matches its documented schema', async () => {
    const document = await fetch(`${runtime.url}/v1/openapi.json`);
    expect(document.status).toBe(200);
    expect(await document.json()).toMatchObject({ openapi: '3.1.0' });
    const range = `from=${RANGE.from}&to=${RANGE.to}`;
    const checks: Array<[string, { parse(value: unknown): unknown }]> = [
      [`/v1/metrics/channel-share?${range}`, channelShareResponseSchema],
      [`/v1/metrics/share-of-voice?${range}`, shareOfVoiceResponseSchema],
      [`/v1/metrics/referral-traffic?${range}`, referralTrafficResponseSchema],
      [`/v1/metrics/cpa-by-stage?${range}`, cpaByStageResponseSchema],
      [`/v1/attribution?model=markov&${range}`, attributionResponseSchema],
      [`/v1/attribution/compare?${range}`, attributionCompareResponseSchema],
    ];
    // The schemas can fail: an empty object matches none of them.
    for (const [, schema] of checks) expect(() => schema.parse({})).toThrow();
    for (const [path, schema] of checks) schema.parse(await (await get(path)).json());
    errorResponseSchema.parse(await (await fetch(`${runtime.url}/v1/metrics/channel-share`)).json());
  });

  it('refuses metrics without a key', async () => {
    const anonymous = await fetch(`${runtime.url}/v1/metrics/channel-share`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('answers unknown routes and methods with JSON errors', async () => {
    const missing = await get('/v1/nothing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const wrongMethod = await get('/v1/events');
    expect(wrongMethod.status).toBe(405);
  });

  it('reports the status of a job and 404 for an unknown one', async () => {
    const { jobId } = await api.request<{ jobId: string }>('POST', '/v1/jobs/replay', RANGE);
    await runtime.idle();
    const job = await api.request<{ status: string; stats: Record<string, number> }>(
      'GET',
      `/v1/jobs/${jobId}`,
    );
    // Replay reads the raw days around the range; every scenario event is in one object.
    expect(job).toMatchObject({ status: 'succeeded', stats: { events: SCENARIO_EVENTS.length } });
    const unknown = await get('/v1/jobs/compute-20260101T000000-0000abcd');
    expect(unknown.status).toBe(404);
  });
});

describe('a restart of the local runtime', () => {
  it('marks the jobs a stopped process left queued or running as failed, with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attribution-restart-'));
    try {
      const first = await startLocalRuntime({ dataDir: dir, configPath: TEST_CONFIG_PATH, port: 0 });
      // As if the process had died mid-job: the job record says running.
      await first.pipeline.results.put({
        jobId: 'replay-20260101T000000-0000dead',
        kind: 'replay',
        status: 'running',
        from: '2026-01-01',
        to: '2026-01-02',
        createdAt: '2026-01-01T00:00:00Z',
      });
      await first.close();
      const second = await startLocalRuntime({ dataDir: dir, configPath: TEST_CONFIG_PATH, port: 0 });
      try {
        expect(await second.pipeline.results.get('replay-20260101T000000-0000dead')).toMatchObject({
          status: 'failed',
          error: expect.stringContaining('stopped while the job ran'),
        });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a revoked local key', () => {
  it('stays revoked after a restart (the runtime registers its keys on every start)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attribution-revoke-'));
    try {
      const first = await startLocalRuntime({ dataDir: dir, configPath: TEST_CONFIG_PATH, port: 0 });
      const query = first.keys.query;
      await new ApiClient({ url: first.url, key: first.keys.admin }).request(
        'DELETE',
        `/v1/keys/${hashApiKey(query)}`,
      );
      await first.close();
      const second = await startLocalRuntime({ dataDir: dir, configPath: TEST_CONFIG_PATH, port: 0 });
      try {
        expect(second.keys.query).toBe(query);
        const response = await fetch(`${second.url}/v1/metrics/channel-share`, {
          headers: { authorization: `Bearer ${query}` },
        });
        expect(response.status).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the local runtime's embedded servers", () => {
  it('answer the runtime only: a stranger on the same machine can neither write a key nor an object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attribution-guard-'));
    const runtime = await startLocalRuntime({ dataDir: dir, configPath: TEST_CONFIG_PATH, port: 0 });
    try {
      // The port is open to every local user; the secret travels in the runtime's endpoint only.
      const bare = (endpoint: string) => endpoint.replace(/\/\/[^@/]+@/, '//');
      const item = { keyHash: 'f'.repeat(64), scopes: ['admin'], name: 'intruder' };
      const stranger = localDocumentClient(bare(runtime.servers.dynamoEndpoint));
      await expect(
        stranger.send(new PutCommand({ TableName: LOCAL_NAMES.KEYS_TABLE, Item: item })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      const s3 = localS3Client(bare(runtime.servers.s3Endpoint));
      await expect(
        s3.send(new PutObjectCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET, Key: 'raw/v2/x', Body: 'x' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      // With the endpoint as the runtime has it, the same request goes through.
      const own = localDocumentClient(runtime.servers.dynamoEndpoint);
      const read = await own.send(
        new GetCommand({ TableName: LOCAL_NAMES.KEYS_TABLE, Key: { keyHash: item.keyHash } }),
      );
      expect(read.Item).toBeUndefined();
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

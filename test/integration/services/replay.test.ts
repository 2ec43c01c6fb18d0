import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '#adapters/config-loader.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import { attribute } from '#domain/attribution/index.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { toComputePartial } from '#domain/day-result.ts';
import { channelShare, shareOfVoice } from '#domain/metrics/index.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { createInProcessRunner } from '#functions/jobs/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { createLocalPipeline } from '#local/runtime.ts';
import { LOCAL_NAMES } from '#local/servers.ts';
import { newJob } from '#services/jobs.ts';
import { readLake } from '../../support/lake.ts';
import {
  apiEvent,
  bodyOf,
  HASH_SECRET,
  startTestStack,
  TEST_CONFIG_PATH,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

const DAY = '2026-04-10';
const RANGE = { from: DAY, to: DAY };
let stack: TestStack;

const send = async (events: unknown[], pipeline: Pipeline = stack.pipeline) =>
  bodyOf(
    await createIngestHandler(pipeline)(apiEvent({ path: '/v1/events', body: { events } }), testContext()),
  );

/** Runs a replay of the range as the jobs API would, and returns the finished job. */
async function replay(pipeline: Pipeline = stack.pipeline) {
  const runner = createInProcessRunner(pipeline);
  const job = newJob('replay', RANGE.from, RANGE.to);
  await runner.start(job);
  await runner.idle();
  return pipeline.results.get(job.jobId);
}

async function partial(pipeline: Pipeline = stack.pipeline) {
  return toComputePartial(await pipeline.results.readRange(RANGE.from, RANGE.to));
}

/** A pipeline over the same servers with another config: a user who edited the config file. */
function withConfig(change: (config: AttributionConfig) => AttributionConfig): Pipeline {
  const config = change(loadConfig({ path: TEST_CONFIG_PATH }));
  return createLocalPipeline({
    dataDir: stack.dataDir,
    servers: stack.servers,
    config,
    configPath: TEST_CONFIG_PATH,
    hashSecret: HASH_SECRET,
    computeBuckets: 2,
  });
}

describe('replay: the raw zone is the truth, the lake and results are rebuilt with the current config', () => {
  beforeEach(async () => {
    stack = await startTestStack();
  });
  afterEach(() => stack.close());

  it('re-classifies old data after a config change: channels and share of voice follow the new config', async () => {
    await send([
      // A search for a brand nobody configured yet, and a visit from a partner's blog.
      {
        eventId: 's1',
        type: 'search',
        occurredAt: `${DAY}T08:00:00Z`,
        query: 'stride running shoes',
        count: 30,
      },
      { eventId: 's2', type: 'search', occurredAt: `${DAY}T08:00:00Z`, query: 'acme shoes', count: 10 },
      {
        eventId: 'v1',
        type: 'page_view',
        occurredAt: `${DAY}T09:00:00Z`,
        userId: 'u1',
        url: 'https://acme.example/',
        referrer: 'https://blog.partner.example/post',
      },
    ]);
    expect(await replay()).toMatchObject({ status: 'succeeded' });
    const before = await partial();
    const voices = (p: Awaited<ReturnType<typeof partial>>, pipeline: Pipeline) =>
      shareOfVoice(p.metrics, {
        ...RANGE,
        source: 'search',
        brand: pipeline.config.brand.name,
        competitors: pipeline.config.competitors.map((c) => c.name),
        limit: 20,
      }).entries.map((e) => [e.name, e.count]);
    // Stride is nobody yet: only Acme's 10 searches have a voice. The blog visit is referral traffic.
    expect(voices(before, stack.pipeline)).toEqual([
      ['Acme', 10],
      ['Rival', 0],
    ]);
    expect(channelShare(before.metrics, { ...RANGE, basis: 'touches' }).channels).toContainEqual(
      expect.objectContaining({ channel: 'referral', count: 1 }),
    );

    // The user adds Stride as a competitor and the partner's blog as one of their own domains.
    const edited = withConfig((config) => ({
      ...config,
      competitors: [...config.competitors, { name: 'Stride', terms: ['stride'] }],
      ownDomains: [...config.ownDomains, 'blog.partner.example'],
    }));
    expect(await replay(edited)).toMatchObject({ status: 'succeeded' });
    const after = await partial(edited);
    expect(voices(after, edited)).toEqual([
      ['Stride', 30],
      ['Acme', 10],
      ['Rival', 0],
    ]);
    // The visit now moves within the user's own sites: no longer a referral touch.
    const touches = channelShare(after.metrics, { ...RANGE, basis: 'touches' }).channels;
    expect(touches.find((c) => c.channel === 'referral')).toBeUndefined();
  });

  it('counts one eventId sent for three different users once: the copy received last wins', async () => {
    for (const user of ['u1', 'u2', 'u3']) {
      await send([
        {
          eventId: 'same',
          type: 'page_view',
          occurredAt: `${DAY}T09:00:00Z`,
          userId: user,
          url: 'https://acme.example/?utm_source=news&utm_medium=email',
        },
      ]);
      // Arrival times a few milliseconds apart, so "last received" is well defined.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await replay()).toMatchObject({ status: 'succeeded', stats: { lakeEvents: 1 } });
    expect(await readLake(stack.pipeline, 'events', 'event_id, user_key')).toEqual([
      { event_id: 'same', user_key: 'u:u3' },
    ]);
    expect(channelShare((await partial()).metrics, { ...RANGE, basis: 'touches' }).total).toBe(1);
  });

  it('loads everything else of a day that holds a corrupt object and an object with a bad line', async () => {
    await send([
      {
        eventId: 'good-1',
        type: 'page_view',
        occurredAt: `${DAY}T09:00:00Z`,
        userId: 'u1',
        url: 'https://acme.example/',
      },
      {
        eventId: 'good-2',
        type: 'conversion',
        occurredAt: `${DAY}T10:00:00Z`,
        userId: 'u1',
        name: 'purchase',
      },
    ]);
    const put = (key: string, body: Uint8Array | string) =>
      stack.servers.s3.send(new PutObjectCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET, Key: key, Body: body }));
    await put(`raw/v2/dt=${DAY}/hr=00/corrupt.ndjson.gz`, 'this is not gzip');
    const goodLine = JSON.stringify({
      receivedAt: '2026-04-10T11:00:00.000Z',
      source: 'events',
      event: {
        eventId: 'good-3',
        type: 'page_view',
        occurredAt: `${DAY}T11:00:00Z`,
        userId: 'u2',
        url: 'https://acme.example/',
      },
    });
    await put(
      `raw/v2/dt=${DAY}/hr=11/mixed.ndjson.gz`,
      gzipSync(`${goodLine}\n{"receivedAt":"x"}\nnot json\n`),
    );
    const job = await replay();
    // Three things were skipped (the corrupt object and two bad lines), each logged with its key.
    expect(job).toMatchObject({ status: 'succeeded', stats: { lakeEvents: 3, skipped: 3 } });
    const ids = (await readLake<{ event_id: string }>(stack.pipeline, 'events', 'event_id')).map(
      (r) => r.event_id,
    );
    expect(ids.sort()).toEqual(['good-1', 'good-2', 'good-3']);
  });

  it('computes a day of ten 1e9 purchases and two spend rows of 2^53 − 1 micros', async () => {
    // Ten Segment purchases of revenue 1e9: 1e10 in all, 1e16 micros — past 2^53 (≈ 9.007e15).
    const batch = Array.from({ length: 10 }, (_, i) => ({
      type: 'track',
      messageId: `big-${i}`,
      userId: `buyer-${i}`,
      event: 'purchase',
      timestamp: `${DAY}T12:00:0${i}Z`,
      properties: { revenue: 1e9, currency: 'USD' },
    }));
    const collect = createCollectHandler(stack.pipeline);
    const collected = await collect(
      apiEvent({
        path: '/v1/batch',
        body: { batch },
        key: null,
        headers: { authorization: `Basic ${Buffer.from('test-write-key-0123456789:').toString('base64')}` },
      }),
      testContext('collect'),
    );
    expect(bodyOf(collected)).toMatchObject({ accepted: 10, rejected: [] });
    const spent = await createSpendHandler(stack.pipeline)(
      apiEvent({
        path: '/v1/spend',
        body: {
          rows: [
            {
              date: DAY,
              platform: 'google_ads',
              campaign: 'a',
              channel: 'paid_search',
              costMicros: 9007199254740991,
              currency: 'USD',
            },
            {
              date: DAY,
              platform: 'google_ads',
              campaign: 'b',
              channel: 'paid_search',
              costMicros: 9007199254740991,
              currency: 'USD',
            },
          ],
        },
      }),
      testContext('spend'),
    );
    expect(spent.statusCode).toBe(200);
    expect(await replay()).toMatchObject({ status: 'succeeded' });
    const result = attribute((await partial()).attribution, {
      ...RANGE,
      model: 'last_touch',
      groupBy: 'channel',
    });
    expect(result.conversions).toBe(10);
    expect(result.value).toBe(1e10);
    // 2 × (2^53 − 1) micros = 18,014,398,509.481982 currency units, all of it unattributed (no touches).
    expect(result.rows.reduce((sum, row) => sum + row.spend, 0)).toBeCloseTo(18_014_398_509.482, 3);
  });
});

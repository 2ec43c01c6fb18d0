import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

/**
 * Bounded loopback load: SENDERS concurrent senders each post BATCHES batches of EVENTS unique page
 * views, one after the other. Every event must be accepted once and counted once. CI size is
 * 8 × 25 × 100 = 20,000 events; `npm run load` (or the LOAD_* variables) scales it up.
 */

function sizeFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`${name} must be an integer from 1 to ${max}, got ${raw}`);
  }
  return value;
}

const SENDERS = sizeFromEnv('LOAD_SENDERS', 8, 256);
const BATCHES = sizeFromEnv('LOAD_BATCHES', 25, 10_000);
/** The API takes at most 500 events per batch. */
const EVENTS = sizeFromEnv('LOAD_EVENTS', 100, 500);
const TOTAL = SENDERS * BATCHES * EVENTS;
/** A minute plus 2 ms per event (ingest, load and compute), for CI and `npm run load` alike. */
const TIMEOUT_MS = 60_000 + TOTAL * 2;

const KEY = 'e2e-load-key-0123456789';
const DAY = '2026-04-10';
const DAY_START = Date.parse(`${DAY}T00:00:00Z`);
/** Users per sender: journeys of several page views each. */
const USERS_PER_SENDER = 50;
/** External referrers: every page view is a touch and a referral visit (search, social or referral). */
const REFERRERS = [
  'https://www.google.com/',
  'https://www.reddit.com/r/running/',
  'https://news.example.org/best-shoes',
  'https://blog.trailclub.example/gear',
  'https://www.runnersworld.example/reviews',
];
const MAX_ATTEMPTS = 4; // one send and up to three retries of a 503

interface Sent {
  readonly status: number;
  readonly accepted: number | undefined;
  readonly attempts: number;
  readonly latencyMs: number;
}

function batchOf(sender: number, batch: number): Record<string, unknown>[] {
  return Array.from({ length: EVENTS }, (_, e) => {
    const n = (sender * BATCHES + batch) * EVENTS + e;
    return {
      eventId: `load-${sender}-${batch}-${e}`,
      type: 'page_view',
      // Spread over the day, deterministically (7919 ms steps, wrapped).
      occurredAt: new Date(DAY_START + ((n * 7_919) % 86_400_000)).toISOString(),
      userId: `load-user-${sender}-${n % USERS_PER_SENDER}`,
      url: `https://acme.example/shoes/${e}`,
      referrer: REFERRERS[n % REFERRERS.length],
    };
  });
}

/** Posts one batch, retrying a 503 (storage down, nothing accepted) up to three times. */
async function send(url: string, events: Record<string, unknown>[]): Promise<Sent> {
  const body = JSON.stringify({ events });
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const started = performance.now();
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body,
    });
    const answer = (await response.json()) as { accepted?: number };
    const latencyMs = performance.now() - started;
    if (response.status === 503 && attempts < MAX_ATTEMPTS) continue;
    return { status: response.status, accepted: answer.accepted, attempts, latencyMs };
  }
}

async function sender(url: string, index: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let batch = 0; batch < BATCHES; batch++) sent.push(await send(url, batchOf(index, batch)));
  return sent;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

let runtime: LocalRuntime;
let dataDir: string;
let api: ApiClient;
let results: Sent[];

describe(`loopback load: ${SENDERS} senders × ${BATCHES} batches × ${EVENTS} events`, () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attribution-load-'));
    runtime = await startLocalRuntime({ dataDir, configPath: TEST_CONFIG_PATH, port: 0, apiKey: KEY });
    expect(new URL(runtime.url).hostname).toBe('127.0.0.1');
    api = new ApiClient({ url: runtime.url, key: KEY });

    const started = performance.now();
    results = (await Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(runtime.url, i)))).flat();
    const ingestMs = performance.now() - started;
    await runtime.idle();
    const loadedMs = performance.now() - started;
    await api.runJob('compute', { from: DAY, to: DAY }, { pollMs: 50 });
    const computedMs = performance.now() - started;

    const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
    const retries = results.reduce((sum, r) => sum + r.attempts - 1, 0);
    console.log(
      [
        `load: ${SENDERS} senders × ${BATCHES} batches × ${EVENTS} events = ${TOTAL} events`,
        `ingest latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms; ${retries} retries`,
        `ingest ${Math.round(TOTAL / (ingestMs / 1000))} events/s (${(ingestMs / 1000).toFixed(1)} s); ` +
          `loaded ${Math.round(TOTAL / (loadedMs / 1000))} events/s (${(loadedMs / 1000).toFixed(1)} s); ` +
          `computed after ${(computedMs / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
  }, TIMEOUT_MS);

  afterAll(async () => {
    await runtime?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepted every batch whole with a 202', () => {
    expect(results).toHaveLength(SENDERS * BATCHES);
    const bad = results.filter((r) => r.status !== 202 || r.accepted !== EVENTS);
    expect(bad).toEqual([]);
  });

  it('counts every event once as a touch', async () => {
    const share = await api.request<{ total: number; channels: Array<{ count: number }> }>(
      'GET',
      `/v1/metrics/channel-share?basis=touches&from=${DAY}&to=${DAY}`,
    );
    expect(share.total).toBe(TOTAL);
    expect(share.channels.reduce((sum, c) => sum + c.count, 0)).toBe(TOTAL);
  });

  it('counts every event once as a referral visit', async () => {
    const referrals = await api.request<{
      total: number;
      domains: Array<{ visits: number }>;
      daily: Array<{ date: string; visits: number }>;
    }>('GET', `/v1/metrics/referral-traffic?limit=50&from=${DAY}&to=${DAY}`);
    expect(referrals.total).toBe(TOTAL);
    expect(referrals.domains).toHaveLength(REFERRERS.length);
    expect(referrals.domains.reduce((sum, d) => sum + d.visits, 0)).toBe(TOTAL);
    expect(referrals.daily).toEqual([{ date: DAY, visits: TOTAL }]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '#domain/dates.ts';
import { ApiClient } from '#local/api-client.ts';
import { generateDemoMonth, seededRandom } from '#local/demo-data.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';

/**
 * At-least-once, out-of-order, late delivery: every batch delivered one to three times, batches in
 * shuffled order, about a tenth of the events held back until after a first compute (days after
 * they occurred), spend uploaded twice with one row corrected. The metrics must be exactly those
 * of one clean, in-order delivery.
 */

const CONFIG_PATH = fileURLToPath(new URL('../../attribution.config.json', import.meta.url));
const KEY = 'e2e-delivery-key-0123456789';
const TODAY = '2026-03-31';
const DEMO_SEED = 7;
const DELIVERY_SEED = 20260331;
const USERS = 300;
const BATCH = 100;
const LATE_SHARE = 0.1;
/** Late events occurred at least this many days before the month's last day. */
const LATE_MIN_DAYS = 3;

const month = generateDemoMonth(TODAY, DEMO_SEED, USERS);
const range = { from: month.from, to: month.to };
const query = `from=${month.from}&to=${month.to}`;

type Event = Record<string, unknown>;
type SpendRow = Record<string, unknown>;

interface Stack {
  readonly runtime: LocalRuntime;
  readonly api: ApiClient;
  readonly dataDir: string;
}

/** Both runtimes get the same PII hash secret, so the only difference between them is delivery. */
async function startStack(name: string): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), `attribution-delivery-${name}-`));
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    join(dataDir, 'local.json'),
    JSON.stringify({
      piiHashSecret: 'delivery-semantics-hash-secret-0123456789',
      ingestKey: KEY,
      queryKey: KEY,
    }),
    { mode: 0o600 },
  );
  // The answers compared are those of the compute jobs run below; a compute after every load
  // batch would be overwritten by them, so it is left out (the local runtime tests cover it).
  const runtime = await startLocalRuntime({
    dataDir,
    configPath: CONFIG_PATH,
    port: 0,
    apiKey: KEY,
    computeOnLoad: false,
  });
  return { runtime, api: new ApiClient({ url: runtime.url, key: KEY }), dataDir };
}

async function closeStack(stack: Stack | undefined): Promise<void> {
  if (!stack) return;
  await stack.runtime.close();
  rmSync(stack.dataDir, { recursive: true, force: true });
}

function shuffled<T>(list: readonly T[], random: () => number): T[] {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
  return chunks;
}

async function postEvents(api: ApiClient, events: readonly Event[]): Promise<void> {
  const answer = await api.request<{ accepted: number; duplicates: number; rejected: unknown[] }>(
    'POST',
    '/v1/events',
    { events },
  );
  expect(answer).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });
}

/** Each batch one to three times, every copy in one shuffled delivery order. */
function messyDeliveries(batches: readonly Event[][], random: () => number): Event[][] {
  const copies = batches.flatMap((batch) =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => batch),
  );
  return shuffled(copies, random);
}

/** Delivers batches a few at a time, as concurrent senders would. */
async function deliver(api: ApiClient, deliveries: readonly Event[][], concurrency = 4): Promise<void> {
  for (const wave of chunk(deliveries, concurrency)) {
    await Promise.all(wave.map((batch) => postEvents(api, batch)));
  }
}

const ENDPOINTS = [
  `/v1/metrics/channel-share?basis=touches&${query}`,
  `/v1/metrics/channel-share?basis=conversions&${query}`,
  `/v1/metrics/channel-share?basis=spend&${query}`,
  `/v1/metrics/share-of-voice?source=all&${query}`,
  `/v1/metrics/referral-traffic?limit=50&${query}`,
  `/v1/metrics/cpa-by-stage?${query}`,
  `/v1/attribution/compare?${query}`,
  `/v1/attribution?model=markov&groupBy=campaign&${query}`,
];

async function readAll(api: ApiClient): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  for (const path of ENDPOINTS) answers[path] = await api.request('GET', path);
  return answers;
}

let clean: Stack | undefined;
let messy: Stack | undefined;
let cleanAnswers: Record<string, unknown>;
let messyAnswers: Record<string, unknown>;
/** B after the first compute, before the late events and the spend correction. */
let firstMessyAnswers: Record<string, unknown>;
const plan = {
  deliveries: 0,
  batches: 0,
  late: 0,
  lateDeliveries: 0,
};

describe('delivery semantics: duplicated, shuffled and late delivery', () => {
  beforeAll(async () => {
    [clean, messy] = await Promise.all([startStack('clean'), startStack('messy')]);

    // A: one clean delivery, in order, then one compute.
    for (const batch of chunk(month.events, BATCH)) await postEvents(clean.api, batch);
    await clean.api.request('POST', '/v1/spend', { rows: month.spend });
    await clean.runtime.idle();
    await clean.api.runJob('compute', range, { pollMs: 50 });
    cleanAnswers = await readAll(clean.api);

    // B: shuffled, cut into batches, each delivered 1–3 times in shuffled order; ~10% held back.
    const random = seededRandom(DELIVERY_SEED);
    const lateBefore = Date.parse(`${addDays(month.to, -LATE_MIN_DAYS)}T00:00:00Z`);
    const order = shuffled(month.events, random);
    const late: Event[] = [];
    const onTime: Event[] = [];
    for (const event of order) {
      const eligible = Date.parse(String(event.occurredAt)) < lateBefore;
      (eligible && random() < LATE_SHARE ? late : onTime).push(event);
    }
    const onTimeBatches = chunk(onTime, BATCH);
    const onTimeDeliveries = messyDeliveries(onTimeBatches, random);
    // Spend: first upload has one row wrong (ten times its amount); the correction comes later.
    const wrongIndex = Math.floor(random() * month.spend.length);
    const wrongSpend: SpendRow[] = month.spend.map((row, i) =>
      i === wrongIndex ? { ...row, amount: Number(row.amount) * 10 } : row,
    );
    await deliver(messy.api, onTimeDeliveries);
    await messy.api.request('POST', '/v1/spend', { rows: shuffled(wrongSpend, random) });
    await messy.runtime.idle();
    await messy.api.runJob('compute', range, { pollMs: 50 });
    firstMessyAnswers = await readAll(messy.api);

    // Late: the held-back events mixed with 100 already-delivered ones (new batch boundaries), plus
    // a repeat of two on-time batches as they were; then the corrected spend.
    const lateBatches = chunk(shuffled([...late, ...onTime.slice(-BATCH)], random), BATCH);
    const lateDeliveries = messyDeliveries([...lateBatches, ...onTimeBatches.slice(0, 2)], random);
    await deliver(messy.api, lateDeliveries);
    await messy.api.request('POST', '/v1/spend', { rows: shuffled(month.spend, random) });
    await messy.runtime.idle();
    await messy.api.runJob('compute', range, { pollMs: 50 });
    messyAnswers = await readAll(messy.api);

    plan.deliveries = onTimeDeliveries.length;
    plan.batches = onTimeBatches.length;
    plan.late = late.length;
    plan.lateDeliveries = lateDeliveries.length;
  });

  afterAll(async () => {
    await Promise.all([closeStack(clean), closeStack(messy)]);
  });

  it('really is messy: repeats, and about a tenth of the events days late', () => {
    expect(plan.deliveries).toBeGreaterThan(plan.batches);
    expect(plan.late).toBeGreaterThan(month.events.length * 0.05);
    expect(plan.late).toBeLessThan(month.events.length * 0.15);
  });

  it('differs before the late events and the spend correction arrive', () => {
    for (const basis of ['touches', 'conversions', 'spend']) {
      const path = `/v1/metrics/channel-share?basis=${basis}&${query}`;
      expect(firstMessyAnswers[path], path).not.toEqual(cleanAnswers[path]);
    }
  });

  it('computes non-trivial numbers from the clean delivery', () => {
    const at = (path: string) => cleanAnswers[`${path}&${query}`] as Record<string, unknown>;
    expect(at('/v1/metrics/channel-share?basis=conversions').total).toBeGreaterThan(50);
    expect(at('/v1/metrics/channel-share?basis=touches').total).toBeGreaterThan(500);
    expect(at('/v1/metrics/channel-share?basis=spend').total).toBeGreaterThan(1000);
    expect(at('/v1/metrics/share-of-voice?source=all').total).toBeGreaterThan(1000);
    expect(at('/v1/metrics/referral-traffic?limit=50').total).toBeGreaterThan(50);
    const compare = cleanAnswers[`/v1/attribution/compare?${query}`] as { rows: unknown[] };
    expect(compare.rows.length).toBeGreaterThan(3);
    const markov = cleanAnswers[`/v1/attribution?model=markov&groupBy=campaign&${query}`] as {
      rows: Array<{ conversions: number }>;
    };
    expect(markov.rows.reduce((sum, row) => sum + row.conversions, 0)).toBeGreaterThan(50);
  });

  it.each(ENDPOINTS)('answers %s exactly as after one clean delivery', (path) => {
    expect(messyAnswers[path]).toEqual(cleanAnswers[path]);
  });
});

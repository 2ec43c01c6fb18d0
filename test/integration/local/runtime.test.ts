import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PARTIALS_PREFIX } from '#adapters/partial-store.ts';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { type FaultPlan, injectFault } from '../../support/faults.ts';
import { TEST_CONFIG_PATH } from '../../support/stack.ts';

const KEY = 'runtime-retry-key-0123456789';
const today = new Date().toISOString().slice(0, 10);
// 12 paid-search page views by 4 people: 12 touches once a compute has gone through.
const EVENTS = Array.from({ length: 12 }, (_, n) => ({
  eventId: `retry-${n}`,
  type: 'page_view',
  occurredAt: `${today}T00:00:${String(n).padStart(2, '0')}Z`,
  userId: `user-${n % 4}`,
  url: 'https://acme.example/?utm_source=google&utm_medium=cpc',
}));

let runtime: LocalRuntime | undefined;
let dataDir: string | undefined;

/** A runtime without a schedule whose writes of compute partials fail as `plan` says. */
async function startWithFailingComputes(plan: Omit<FaultPlan, 'commands' | 'matching'>) {
  dataDir = mkdtempSync(join(tmpdir(), 'attribution-runtime-'));
  runtime = await startLocalRuntime({
    dataDir,
    configPath: TEST_CONFIG_PATH,
    port: 0,
    apiKey: KEY,
    computeIntervalSeconds: 0,
  });
  const faults: FaultPlan = {
    ...plan,
    commands: ['PutObjectCommand'],
    matching: (input) => String(input.Key).startsWith(PARTIALS_PREFIX),
  };
  injectFault(runtime.servers.s3, faults);
  const api = new ApiClient({ url: runtime.url, key: KEY });
  await api.request('POST', '/v1/events', { events: EVENTS });
  return { runtime, api, faults };
}

/** Today's touches as the API counts them, once they reach `expected` or 30 s have passed. */
async function touchesCounted(api: ApiClient, expected: number): Promise<number> {
  let total = -1;
  for (let waited = 0; waited < 30_000 && total !== expected; waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const share = await api.request<{ total: number }>(
      'GET',
      `/v1/metrics/channel-share?basis=touches&from=${today}&to=${today}`,
    );
    total = share.total;
  }
  return total;
}

describe('the local runtime computing after a load', () => {
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('tries a failed compute again until it succeeds, so loaded events are counted without a schedule', async () => {
    const { api, faults } = await startWithFailingComputes({ times: 2 });
    // The two failures wait 1 s and 2 s before the next try: well inside 30 s.
    const total = await touchesCounted(api, EVENTS.length);
    expect({ total, failuresLeft: faults.times }).toEqual({ total: 12, failuresLeft: 0 });
  }, 60_000);

  it('keeps the range owed when the store fails to take the compute job, and tries again', async () => {
    const { runtime: started, api } = await startWithFailingComputes({ times: 0 });
    // Storing the next compute job fails twice: the range must stay owed, not be dropped.
    const faults: FaultPlan = {
      commands: ['PutCommand', 'PutItemCommand'],
      times: 2,
      matching: (input) => JSON.stringify(input.Item ?? {}).includes('"job#'),
    };
    injectFault(started.servers.dynamo, faults);
    await api.request('POST', '/v1/events', {
      events: EVENTS.map((event) => ({ ...event, eventId: `${event.eventId}-again`, userId: 'user-9' })),
    });
    const total = await touchesCounted(api, 2 * EVENTS.length);
    expect({ total, failuresLeft: faults.times }).toEqual({ total: 24, failuresLeft: 0 });
  }, 60_000);

  it('stops trying when closed, and keeps the range owed on disk for the next start', async () => {
    // Every compute fails: wait until the first has, then close while its retry waits.
    const always = 1_000_000;
    const { runtime: failing, faults } = await startWithFailingComputes({ times: always });
    while (faults.times === always) await new Promise((resolve) => setTimeout(resolve, 50));
    await failing.close();
    runtime = undefined;
    expect(existsSync(join(dataDir ?? '', 'compute-owed.json'))).toBe(true);
  }, 60_000);
});

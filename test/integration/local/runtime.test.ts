import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { PARTIALS_PREFIX } from '#adapters/partial-store.ts';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { TEST_CONFIG_PATH } from '../../support/stack.ts';

const KEY = 'runtime-retry-key-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'attribution-runtime-'));
let runtime: LocalRuntime | undefined;

/** An S3 client whose first `failures` writes of compute partials fail, as a busy store would. */
function failingPartialWrites(s3: S3Client, failures: number): { client: S3Client; failed: () => number } {
  let failed = 0;
  const client = new Proxy(s3, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (command: unknown, ...rest: unknown[]) => {
        if (
          command instanceof PutObjectCommand &&
          command.input.Key?.startsWith(PARTIALS_PREFIX) &&
          failed < failures
        ) {
          failed += 1;
          return Promise.reject(Object.assign(new Error('SlowDown'), { name: 'SlowDown' }));
        }
        return (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
      };
    },
  });
  return { client, failed: () => failed };
}

describe('the local runtime computing after a load', () => {
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('tries a failed compute again until it succeeds, so loaded events are counted without a schedule', async () => {
    let faults: ReturnType<typeof failingPartialWrites> | undefined;
    runtime = await startLocalRuntime({
      dataDir,
      configPath: TEST_CONFIG_PATH,
      port: 0,
      apiKey: KEY,
      computeIntervalSeconds: 0,
      wrapClients: ({ s3, dynamo }) => {
        faults = failingPartialWrites(s3, 2);
        return { s3: faults.client, dynamo };
      },
    });
    const api = new ApiClient({ url: runtime.url, key: KEY });
    const today = new Date().toISOString().slice(0, 10);
    // 12 paid-search page views by 4 people: 12 touches once a compute has gone through.
    const events = Array.from({ length: 12 }, (_, n) => ({
      eventId: `retry-${n}`,
      type: 'page_view',
      occurredAt: `${today}T00:00:${String(n).padStart(2, '0')}Z`,
      userId: `user-${n % 4}`,
      url: 'https://acme.example/?utm_source=google&utm_medium=cpc',
    }));
    await api.request('POST', '/v1/events', { events });
    // The two failures wait 1 s and 2 s before the next try: well inside 30 s.
    let total = -1;
    for (let waited = 0; waited < 30_000 && total !== 12; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const share = await api.request<{ total: number }>(
        'GET',
        `/v1/metrics/channel-share?basis=touches&from=${today}&to=${today}`,
      );
      total = share.total;
    }
    expect({ total, failed: faults?.failed() }).toEqual({ total: 12, failed: 2 });
  }, 60_000);
});

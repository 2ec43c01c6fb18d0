import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

const ADMIN_KEY = 'e2e-write-keys-admin-0123456789';
/** The fixture config's write key. */
const CONFIG_WRITE_KEY = 'test-write-key-0123456789';
let runtime: LocalRuntime;
let dataDir: string;
let minted: string;

const call = (method: string, path: string, key: string, body?: unknown) =>
  fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const event = {
  type: 'page_view',
  eventId: 'wk-e2e-1',
  occurredAt: '2026-03-02T10:00:00Z',
  anonymousId: 'a1',
  url: 'https://acme.example/',
};

describe('write keys are public keys', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attribution-write-keys-'));
    runtime = await startLocalRuntime({ dataDir, configPath: TEST_CONFIG_PATH, port: 0, apiKey: ADMIN_KEY });
    const api = new ApiClient({ url: runtime.url, key: ADMIN_KEY });
    const created = await api.request<{ key: string; scopes: string[] }>('POST', '/v1/keys', {
      name: 'website',
      scopes: ['collect'],
      allowedOrigins: ['https://www.acme.example'],
    });
    minted = created.key;
    expect(minted).toMatch(/^wk_/);
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('are refused by events, spend, queries, jobs and keys, minted or configured', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/events', { events: [event] }],
      ['POST', '/v1/spend', { rows: [] }],
      ['GET', '/v1/metrics/channel-share?from=2026-03-01&to=2026-03-31'],
      ['GET', '/v1/attribution?from=2026-03-01&to=2026-03-31'],
      ['POST', '/v1/jobs/compute', { from: '2026-03-01', to: '2026-03-02' }],
      ['GET', '/v1/keys'],
    ];
    for (const [method, path, body] of routes) {
      // A minted write key is a known key of the wrong kind: 403. A configured one is no API key: 401.
      expect((await call(method, path, minted, body)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, CONFIG_WRITE_KEY, body)).status, `${method} ${path}`).toBe(401);
    }
  });

  it('work on the collect routes, from their bound origin only', async () => {
    const send = (origin: string) =>
      fetch(`${runtime.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin },
        body: JSON.stringify({
          writeKey: minted,
          batch: [
            {
              type: 'page',
              messageId: `wk-${origin}`,
              anonymousId: 'a1',
              properties: { url: 'https://www.acme.example/' },
            },
          ],
        }),
      });
    expect((await send('https://www.acme.example')).status).toBe(200);
    expect((await send('https://evil.example')).status).toBe(403);
  });

  it('cannot be minted with other scopes', async () => {
    const response = await call('POST', '/v1/keys', ADMIN_KEY, {
      name: 'mixed',
      scopes: ['collect', 'ingest'],
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('scopes');
  });
});

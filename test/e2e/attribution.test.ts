import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import {
  EXPECTED_COMPARE,
  EXPECTED_LAST_TOUCH_BY_CHANNEL,
  RANGE,
  SCENARIO_EVENTS,
  SCENARIO_SPEND,
} from '../fixtures/scenario.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

const KEY = 'e2e-attribution-key-0123456789';
let runtime: LocalRuntime;
let dataDir: string;
let api: ApiClient;
const range = `from=${RANGE.from}&to=${RANGE.to}`;

describe('attribution over HTTP', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attribution-e2e-'));
    // The compute job below computes the range: a compute after every load batch would be redone.
    runtime = await startLocalRuntime({
      dataDir,
      configPath: TEST_CONFIG_PATH,
      port: 0,
      apiKey: KEY,
      computeOnLoad: false,
    });
    api = new ApiClient({ url: runtime.url, key: KEY });
    await api.request('POST', '/v1/events', { events: SCENARIO_EVENTS });
    await api.request('POST', '/v1/spend', { rows: SCENARIO_SPEND });
    await runtime.idle();
    await api.runJob('compute', RANGE, { pollMs: 50 });
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('credits each conversion to its last touch, joined with spend', async () => {
    const result = await api.request('GET', `/v1/attribution?model=last_touch&groupBy=channel&${range}`);
    expect(result).toEqual(EXPECTED_LAST_TOUCH_BY_CHANNEL);
  });

  it('shows every model side by side, each column summing to the 4 conversions', async () => {
    const result = await api.request<{
      rows: Array<{ channel: string; conversions: Record<string, number> }>;
    }>('GET', `/v1/attribution/compare?${range}`);
    const byChannel = Object.fromEntries(result.rows.map((row) => [row.channel, row.conversions]));
    expect(Object.keys(byChannel).sort()).toEqual(Object.keys(EXPECTED_COMPARE).sort());
    for (const [channel, models] of Object.entries(EXPECTED_COMPARE)) {
      for (const [model, conversions] of Object.entries(models)) {
        expect(byChannel[channel]?.[model], `${channel} / ${model}`).toBeCloseTo(conversions, 6);
      }
    }
  });

  it('groups linear credit by campaign and matches spend on channel and campaign', async () => {
    const result = await api.request<{ rows: unknown[] }>(
      'GET',
      `/v1/attribution?model=linear&groupBy=campaign&${range}`,
    );
    // (none): organic search 0.5 of e3 + referral 1 + direct 1 = 2.5, with e3's other $50;
    // newsletter: 1; brand: paid search 0.5 and $50, spend $300 → cpa 600, roas 50 / 300.
    expect(result.rows).toEqual([
      { key: '(none)', conversions: 2.5, value: 50, spend: 0, cpa: 0, roas: null },
      { key: 'newsletter', conversions: 1, value: 0, spend: 0, cpa: 0, roas: null },
      { key: 'brand', conversions: 0.5, value: 50, spend: 300, cpa: 600, roas: 0.166667 },
      { key: 'unattributed', conversions: 0, value: 0, spend: 100, cpa: null, roas: 0 },
    ]);
  });

  it('serves attribution as CSV', async () => {
    const response = await fetch(`${runtime.url}/v1/attribution?model=shapley&format=csv&${range}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(response.headers.get('content-disposition')).toContain('attribution-shapley-by-channel');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('channel,conversions,value,spend,cpa,roas');
    expect(lines).toContain('paid_search,0.5,50,300,600,0.166667');
  });

  it('refuses an unknown model with the parameter named', async () => {
    const response = await fetch(`${runtime.url}/v1/attribution?model=data_driven`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { issues: [{ path: 'model' }] } });
  });
});

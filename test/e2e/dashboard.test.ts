import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '#local/api-client.ts';
import { generateDemoMonth } from '#local/demo-data.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { launchDebianChromium } from '../support/chromium.ts';

const KEY = 'e2e-dashboard-key-0123456789';
const CONFIG = fileURLToPath(new URL('../../attribution.config.json', import.meta.url));
const month = generateDemoMonth('2026-03-31', 3, 200);
let runtime: LocalRuntime;
let browser: Browser;
let dir: string;

interface ChartData {
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
}

describe('the dashboard in a real browser', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attribution-dashboard-'));
    runtime = await startLocalRuntime({ dataDir: dir, configPath: CONFIG, port: 0, apiKey: KEY });
    const api = new ApiClient({ url: runtime.url, key: KEY });
    for (let i = 0; i < month.events.length; i += 500)
      await api.request('POST', '/v1/events', { events: month.events.slice(i, i + 500) });
    await api.request('POST', '/v1/spend', { rows: month.spend });
    await runtime.idle();
    await api.runJob('compute', { from: month.from, to: month.to }, { pollMs: 100 });
    browser = await launchDebianChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the key, draws every chart with the numbers the API gives, and keeps the key for the session only', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${runtime.url}/`);
    await page.fill('#key', KEY);
    await page.fill('#from', month.from);
    await page.fill('#to', month.to);
    await page.click('#load');
    await page.waitForFunction(
      (range) => document.getElementById('status')?.textContent === range,
      `${month.from} .. ${month.to}`,
    );
    const charts = (await page.evaluate(() => {
      const all = (window as unknown as { dashboard: { charts: Record<string, { data: ChartData }> } })
        .dashboard.charts;
      return Object.fromEntries(
        Object.entries(all).map(([id, chart]) => [
          id,
          {
            labels: chart.data.labels,
            datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })),
          },
        ]),
      );
    })) as Record<string, ChartData>;
    expect(Object.keys(charts).sort()).toEqual([
      'channel-share',
      'cpa',
      'models',
      'referrals',
      'share-of-voice',
    ]);

    const api = new ApiClient({ url: runtime.url, key: KEY });
    const range = `from=${month.from}&to=${month.to}`;
    const referral = await api.request<{ domains: Array<{ domain: string; visits: number }> }>(
      'GET',
      `/v1/metrics/referral-traffic?limit=10&${range}`,
    );
    expect(charts.referrals?.labels).toEqual(referral.domains.map((d) => d.domain));
    expect(charts.referrals?.datasets[0]?.data).toEqual(referral.domains.map((d) => d.visits));

    const cpa = await api.request<{ stages: Array<{ stage: string; events: number }> }>(
      'GET',
      `/v1/metrics/cpa-by-stage?${range}`,
    );
    expect(charts.cpa?.labels).toEqual(['awareness', 'consideration', 'decision', 'retention', 'advocacy']);
    expect(charts.cpa?.datasets[0]?.data).toEqual(cpa.stages.map((s) => s.events));

    const compare = await api.request<{
      models: string[];
      rows: Array<{ channel: string; conversions: Record<string, number> }>;
    }>('GET', `/v1/attribution/compare?${range}`);
    expect(charts.models?.labels).toEqual(compare.rows.map((r) => r.channel));
    const markov = charts.models?.datasets.find((d) => d.label === 'markov');
    expect(markov?.data).toEqual(
      compare.rows.map((r) => Math.round((r.conversions.markov ?? 0) * 100) / 100),
    );

    // Channel share by day: one stacked bar per day, each summing to 100% (rounded to 0.1).
    expect(charts['channel-share']?.labels).toHaveLength(30);
    const day = 14;
    const dayTotal = (charts['channel-share']?.datasets ?? []).reduce(
      (sum, d) => sum + (d.data[day] ?? 0),
      0,
    );
    expect(dayTotal).toBeCloseTo(100, 0);
    const sameDay = await api.request<{ channels: Array<{ channel: string; share: number }> }>(
      'GET',
      `/v1/metrics/channel-share?from=${charts['channel-share']?.labels[day]}&to=${charts['channel-share']?.labels[day]}`,
    );
    for (const { channel, share } of sameDay.channels) {
      expect(charts['channel-share']?.datasets.find((d) => d.label === channel)?.data[day]).toBeCloseTo(
        share * 100,
        0,
      );
    }
    expect(charts['share-of-voice']?.datasets.map((d) => d.label).sort()).toEqual([
      'Acme',
      'Rival',
      'Stride',
    ]);

    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    // The key lives in sessionStorage, not localStorage or a cookie.
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([
      1,
      0,
      '',
    ]);
    await page.close();
  });
});

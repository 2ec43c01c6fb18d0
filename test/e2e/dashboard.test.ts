import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intervalsOf } from '#domain/dates.ts';
import { ApiClient } from '#local/api-client.ts';
import { generateDemoMonth } from '#local/demo-data.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { formatter, type Kind } from '../../dashboard/format.ts';
import { launchDebianChromium } from '../support/chromium.ts';

const KEY = 'e2e-dashboard-key-0123456789';
const CONFIG = fileURLToPath(new URL('../../attribution.config.json', import.meta.url));
const month = generateDemoMonth('2026-03-31', 3, 200);
const RANGE = `${month.from} .. ${month.to}`;
/** Where the screenshots go: `npm run screenshots:dashboard` sets docs/, for the README. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;
/**
 * More of what the journey map shows, beside the demo month's own: NPS answers, carts, shares and
 * "how did you hear about us" answers from 40 of its people, and 5 bounces.
 */
const extras = [
  ...Array.from({ length: 40 }, (_, i) => {
    const userId = `user-${i}`;
    const occurredAt = `2026-03-${String(10 + (i % 15)).padStart(2, '0')}T12:00:00Z`;
    return [
      { eventId: `extra-nps-${i}`, type: 'survey', survey: 'nps', score: i % 11, userId, occurredAt },
      { eventId: `extra-cart-${i}`, type: 'cart', action: 'add', userId, occurredAt: '2026-03-02T00:30:00Z' },
      ...(i % 4 === 0
        ? [{ eventId: `extra-share-${i}`, type: 'share', network: 'bluesky', userId, occurredAt }]
        : []),
      ...(i % 3 === 0
        ? [
            {
              eventId: `extra-source-${i}`,
              type: 'survey',
              survey: 'source',
              answer: 'paid_search',
              userId,
              occurredAt,
            },
          ]
        : []),
    ];
  }).flat(),
  ...Array.from({ length: 5 }, (_, i) =>
    (['sent', 'bounce'] as const).map((action) => ({
      eventId: `extra-${action}-bounced-${i}`,
      type: 'email',
      action,
      campaign: 'weekly-newsletter',
      userId: `bounced-${i}`,
      occurredAt: '2026-03-20T08:00:00Z',
    })),
  ).flat(),
];
let runtime: LocalRuntime;
let browser: Browser;
let dir: string;
let api: ApiClient;

interface ChartData {
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null> }>;
}

/** A page of the dashboard that records what a person would not see: console errors and API requests. */
async function openDashboard(width: number, height = 1600) {
  const page = await browser.newPage({ viewport: { width, height }, locale: 'en-US' });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) requests.push(`${url.pathname}${url.search}`);
  });
  await page.goto(`${runtime.url}/`);
  return { page, consoleErrors, requests };
}

/** Fills the form, clicks Show and waits until the page has shown that load, in `state`. */
async function show(page: Page, props: { from: string; to: string; key?: string }, state: string) {
  const shown = () => (window as unknown as { dashboard: { shown: number } }).dashboard.shown;
  const before = await page.evaluate(shown);
  await page.fill('#key', props.key ?? KEY);
  await page.fill('#from', props.from);
  await page.fill('#to', props.to);
  await page.click('#load');
  await page.waitForFunction(
    (count) => (window as unknown as { dashboard: { shown: number } }).dashboard.shown > count,
    before,
  );
  expect(await page.evaluate(() => document.body.dataset.state)).toBe(state);
}

async function chartsOf(page: Page): Promise<Record<string, ChartData>> {
  return (await page.evaluate(() => {
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
}

/** What the page shows for each figure of a container: `row.key` → its text and raw value. */
async function figuresOf(
  page: Page,
  selector: string,
): Promise<Record<string, { text: string; value: string }>> {
  return page.evaluate(
    (root) =>
      Object.fromEntries(
        Array.from(document.querySelectorAll<HTMLElement>(`${root} [data-value]`)).map((e) => {
          const box = e.closest<HTMLElement>('[data-stage], [data-step], tr');
          const name =
            box?.dataset.stage ?? (box?.dataset.step ? `${box.dataset.step}.step` : box?.dataset.key);
          return [`${name}.${e.dataset.key}`, { text: e.textContent ?? '', value: e.dataset.value ?? '' }];
        }),
      ),
    selector,
  );
}

/** A figure as the page should show it: formatted as the dashboard formats, with its raw value. */
function shown(format: (kind: Kind, value: number | null) => string, kind: Kind, value: number | null) {
  return { text: format(kind, value), value: value === null ? '' : String(value) };
}

type Funnel = {
  stages: Array<{
    stage: string;
    users: number;
    fromPrevious: number | null;
    medianDaysFromPrevious: number | null;
  }>;
};
type Figure = [key: string, kind: Kind, value: number | null];

/** The journey map's people and step figures of a funnel answer (awareness has no step). */
function funnelFigures(funnel: Funnel): Figure[] {
  return funnel.stages.flatMap((s, i): Figure[] => [
    [`${s.stage}.people`, 'count', s.users],
    ...(i === 0
      ? []
      : ([
          [`${s.stage}.step.fromPrevious`, 'percent', s.fromPrevious],
          [`${s.stage}.step.medianDaysFromPrevious`, 'days', s.medianDaysFromPrevious],
        ] as Figure[])),
  ]);
}

/** Every expected figure is on the page, formatted as the dashboard formats it. */
function expectFigures(
  figures: Record<string, { text: string; value: string }>,
  format: (kind: Kind, value: number | null) => string,
  expected: readonly Figure[],
): void {
  for (const [key, kind, value] of expected)
    expect({ key, ...figures[key] }).toEqual({ key, ...shown(format, kind, value) });
}

/** The boxes of the journey map's stages, in order. */
const stageBoxes = (page: Page) =>
  page.evaluate(() =>
    Array.from(document.querySelectorAll('#journey .stage')).map((e) => {
      const { left, top, right } = e.getBoundingClientRect();
      return { left, top, right };
    }),
  );

const notice = (page: Page) => page.locator('#notice').textContent();

/** The API's own CSV for a request, fetched over HTTP as any client would. */
async function csvOf(path: string): Promise<string> {
  const response = await fetch(`${runtime.url}${path}&format=csv`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** Clicks a card's CSV button: the file the browser saved, and the request the page sent for it. */
async function downloadFrom(page: Page, card: string) {
  const [download, request] = await Promise.all([
    page.waitForEvent('download'),
    page.waitForRequest((r) => r.url().includes('format=csv')),
    page.click(`button[data-card="${card}"]`),
  ]);
  const url = new URL(request.url());
  return {
    name: download.suggestedFilename(),
    body: await readFile(await download.path(), 'utf8'),
    path: `${url.pathname}${url.search}`,
    authorization: (await request.allHeaders()).authorization,
  };
}

describe('the dashboard in a real browser', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attribution-dashboard-'));
    // The compute job below computes the month: a compute after every load batch would be redone.
    runtime = await startLocalRuntime({
      dataDir: dir,
      configPath: CONFIG,
      port: 0,
      apiKey: KEY,
      computeOnLoad: false,
    });
    api = new ApiClient({ url: runtime.url, key: KEY });
    for (let i = 0; i < month.events.length; i += 500)
      await api.request('POST', '/v1/events', { events: month.events.slice(i, i + 500) });
    for (let i = 0; i < extras.length; i += 500)
      await api.request('POST', '/v1/events', { events: extras.slice(i, i + 500) });
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
    const { page, consoleErrors, requests } = await openDashboard(1280);
    await show(page, month, 'ready');
    expect(await page.locator('#status').textContent()).toBe(RANGE);
    const charts = await chartsOf(page);
    expect(Object.keys(charts).sort()).toEqual([
      'channel-share',
      'cpa',
      'email-rates',
      'paths',
      'referrals',
      'share-of-voice',
      'visitors',
    ]);

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
    expect(charts.cpa?.datasets[1]?.label).toBe('cost per event (USD)');

    // Channel share by day: one stacked bar per day, each summing to 100% (rounded to 0.1).
    expect(charts['channel-share']?.labels).toEqual(
      intervalsOf(month.from, month.to, 'day').map((d) => d.from),
    );
    const day = 14;
    const dayTotal = (charts['channel-share']?.datasets ?? []).reduce(
      (sum, d) => sum + (d.data[day] ?? 0),
      0,
    );
    expect(dayTotal).toBeCloseTo(100, 0);
    const date = charts['channel-share']?.labels[day];
    const sameDay = await api.request<{ channels: Array<{ channel: string; share: number }> }>(
      'GET',
      `/v1/metrics/channel-share?from=${date}&to=${date}`,
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
    const visitors = await api.request<{ visitors: number; visits: number }>(
      'GET',
      `/v1/metrics/visitors?from=${date}&to=${date}`,
    );
    expect(charts.visitors?.datasets.map((d) => [d.label, d.data[day]])).toEqual([
      ['visitors', visitors.visitors],
      ['visits', visitors.visits],
    ]);
    const email = await api.request<{ totals: { openRate: number | null } }>(
      'GET',
      `/v1/metrics/email?from=${date}&to=${date}`,
    );
    const openRate = charts['email-rates']?.datasets.find((d) => d.label === 'open rate')?.data[day];
    expect(openRate).toBe(
      email.totals.openRate === null ? null : Math.round(email.totals.openRate * 1000) / 10,
    );

    // One request per chart or table, however long the range: the series come in one request each.
    expect(requests.filter((r) => r.startsWith('/v1/metrics/series')).length).toBe(4);
    expect(requests.length).toBeLessThanOrEqual(15);
    expect(consoleErrors).toEqual([]);

    await page.screenshot({ path: join(SCREENSHOTS ?? dir, 'dashboard.png'), fullPage: true });
    await page.locator('#journey').screenshot({ path: join(SCREENSHOTS ?? dir, 'dashboard-journey.png') });
    // The key (and the channel filter) live in sessionStorage, not localStorage or a cookie.
    expect(
      await page.evaluate(() => [Object.keys(sessionStorage).sort(), localStorage.length, document.cookie]),
    ).toEqual([['attribution.channel', 'attribution.queryKey'], 0, '']);
    await page.close();
  });

  it("maps the journey: each stage's people and KPIs, the step conversions, ads and e-mail tables, as the API gives them", async () => {
    const { page, consoleErrors } = await openDashboard(1280);
    await show(page, month, 'ready');
    const range = `from=${month.from}&to=${month.to}`;
    type Ads = {
      currency: string;
      rows: Array<
        { key: string; impressions: number; clicks: number; spend: number } & Record<string, unknown>
      >;
    };
    type Email = {
      totals: Record<string, number | null>;
      rows: Array<{ key: string } & Record<string, unknown>>;
    };
    const [funnel, cpa, ads, visitors, email, cart, nps, voice] = await Promise.all([
      api.request<Funnel>('GET', `/v1/metrics/funnel?${range}`),
      api.request<{ stages: Array<{ stage: string; events: number; costPerEvent: number | null }> }>(
        'GET',
        `/v1/metrics/cpa-by-stage?${range}`,
      ),
      api.request<Ads>('GET', `/v1/metrics/ads?groupBy=platform&${range}`),
      api.request<{ visitors: number; visits: number; bounceRate: number | null }>(
        'GET',
        `/v1/metrics/visitors?${range}`,
      ),
      api.request<Email>('GET', `/v1/metrics/email?${range}`),
      api.request<{ carts: number; abandonmentRate: number | null }>('GET', `/v1/metrics/cart?${range}`),
      api.request<{ responses: number; score: number | null }>('GET', `/v1/metrics/nps?${range}`),
      api.request<{ entries: Array<{ isBrand: boolean; share: number }> }>(
        'GET',
        `/v1/metrics/share-of-voice?${range}`,
      ),
    ]);
    // The fixtures reach every stage, so no KPI below is trivially empty: distinct people with an
    // NPS answer and with a cart add, distinct bounced recipients per campaign, of month and extras.
    const all: Array<Record<string, unknown>> = [...month.events, ...extras];
    const distinct = (
      keep: (e: Record<string, unknown>) => boolean,
      key: (e: Record<string, unknown>) => unknown,
    ) => new Set(all.filter(keep).map(key)).size;
    expect([nps.responses, cart.carts, email.totals.bounced]).toEqual([
      distinct(
        (e) => e.type === 'survey' && e.survey === 'nps',
        (e) => e.userId,
      ),
      distinct(
        (e) => e.type === 'cart' && e.action === 'add',
        (e) => e.userId,
      ),
      distinct(
        (e) => e.type === 'email' && e.action === 'bounce',
        (e) => `${e.campaign} ${e.userId ?? e.email}`,
      ),
    ]);
    expect(nps.responses).toBeGreaterThan(40);
    expect(funnel.stages.every((s) => s.stage === 'awareness' || s.users > 0)).toBe(true);

    const format = formatter('en-US', ads.currency);
    const figures = await figuresOf(page, '#journey');
    const events = (stage: string) => cpa.stages.find((s) => s.stage === stage);
    const sum = (key: 'impressions' | 'clicks' | 'spend') => ads.rows.reduce((n, r) => n + r[key], 0);
    const expected: Figure[] = [
      ['awareness.impressions', 'count', sum('impressions')],
      ['awareness.cpm', 'money', (1000 * sum('spend')) / sum('impressions')],
      ['consideration.visitors', 'count', visitors.visitors],
      ['consideration.visits', 'count', visitors.visits],
      ['consideration.bounceRate', 'percent', visitors.bounceRate],
      ['consideration.ctr', 'percent', sum('clicks') / sum('impressions')],
      ['consideration.emailOpenRate', 'percent', email.totals.openRate ?? null],
      ['decision.conversions', 'count', events('decision')?.events ?? -1],
      ['decision.cpa', 'money', events('decision')?.costPerEvent ?? -1],
      ['decision.cartAbandonment', 'percent', cart.abandonmentRate],
      ['retention.repeatConversions', 'count', events('retention')?.events ?? -1],
      ['retention.emailClickRate', 'percent', email.totals.clickRate ?? null],
      ['retention.unsubscribeRate', 'percent', email.totals.unsubscribeRate ?? null],
      ['advocacy.nps', 'decimal', nps.score],
      ['advocacy.npsResponses', 'count', nps.responses],
      ['advocacy.advocacyEvents', 'count', events('advocacy')?.events ?? -1],
      ...funnelFigures(funnel),
    ];
    expectFigures(figures, format, expected);
    // Share of voice over the range, from the series' counts: the API's own share, up to rounding.
    const brandShare = voice.entries.find((e) => e.isBrand)?.share ?? -1;
    expect(Number(figures['awareness.shareOfVoice']?.value)).toBeCloseTo(brandShare, 9);
    expect(figures['awareness.shareOfVoice']?.text).toBe(format('percent', brandShare));
    expect(Object.keys(figures).length).toBe(expected.length + 1);
    expect(figures['consideration.step.fromPrevious']?.text).toBe('—');

    // Left to right on a wide screen.
    const boxes = await stageBoxes(page);
    expect(boxes.length).toBe(5);
    for (let i = 1; i < boxes.length; i++) {
      expect(boxes[i]?.top).toBe(boxes[0]?.top);
      expect(boxes[i]?.left).toBeGreaterThan(boxes[i - 1]?.right ?? Infinity);
    }

    const adsTable = await figuresOf(page, '#ads');
    const adColumns: Array<[string, Kind]> = [
      ['impressions', 'count'],
      ['clicks', 'count'],
      ['ctr', 'percent'],
      ['spend', 'money'],
      ['cpc', 'money'],
      ['cpm', 'money'],
      ['conversions', 'count'],
      ['cpa', 'money'],
    ];
    expect(ads.rows.length).toBeGreaterThan(0);
    expect(Object.keys(adsTable).length).toBe(ads.rows.length * adColumns.length);
    for (const row of ads.rows)
      for (const [column, kind] of adColumns)
        expect(adsTable[`${row.key}.${column}`]).toEqual(
          shown(format, kind, (row[column] as number | null) ?? null),
        );
    expect(adsTable[`${ads.rows[0]?.key}.spend`]?.text).toMatch(/^\$[\d,]+\.\d\d$/);

    const emailTable = await figuresOf(page, '#email');
    const emailColumns: Array<[string, Kind]> = [
      ['sent', 'count'],
      ['delivered', 'count'],
      ['deliveryRate', 'percent'],
      ['bounceRate', 'percent'],
      ['openRate', 'percent'],
      ['clickRate', 'percent'],
      ['clickToOpenRate', 'percent'],
      ['unsubscribeRate', 'percent'],
      ['listGrowth', 'count'],
    ];
    const emailRows: Email['rows'] = [...email.rows, { key: 'all campaigns', ...email.totals }];
    for (const row of emailRows)
      for (const [column, kind] of emailColumns)
        expect(emailTable[`${row.key}.${column}`]).toEqual(
          shown(format, kind, (row[column] as number | null) ?? null),
        );
    expect(Object.keys(emailTable).length).toBe((email.rows.length + 1) * emailColumns.length);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('draws the top paths as a Sankey and compares the models in a table with the self-reported column', async () => {
    const { page, consoleErrors } = await openDashboard(1280);
    await show(page, month, 'ready');
    const range = `from=${month.from}&to=${month.to}`;
    const { paths } = await api.request<{
      paths: Array<{ path: string[]; journeys: number; conversions: number }>;
    }>('GET', `/v1/journeys/paths?limit=10&${range}`);
    const sankey = await page.evaluate(() => {
      const chart = (
        window as unknown as {
          dashboard: {
            charts: Record<
              string,
              { data: { datasets: Array<{ data: unknown; labels: Record<string, string> }> } }
            >;
          };
        }
      ).dashboard.charts.paths;
      return chart?.data.datasets[0] as {
        data: Array<{ from: string; to: string; flow: number }>;
        labels: Record<string, string>;
      };
    });
    const total = (flows: typeof sankey.data) => flows.reduce((n, f) => n + f.flow, 0);
    const sum = (rows: typeof paths, key: 'journeys' | 'conversions') => rows.reduce((n, p) => n + p[key], 0);
    expect(paths.length).toBe(10);
    // Every journey ends in an outcome, and the conversions flow into "conversion".
    expect(total(sankey.data.filter((f) => f.to.startsWith('outcome:')))).toBe(sum(paths, 'journeys'));
    expect(total(sankey.data.filter((f) => sankey.labels[f.to] === 'conversion'))).toBe(
      sum(paths, 'conversions'),
    );
    // What leaves the first step, per channel, is the journeys of the paths that start there and go on.
    for (const channel of new Set(paths.map((p) => p.path[0] ?? ''))) {
      const onward = paths.filter((p) => p.path[0] === channel && p.path.length > 1);
      expect(
        total(sankey.data.filter((f) => f.from === `1:${channel}` && !f.to.startsWith('outcome:'))),
      ).toBe(sum(onward, 'journeys'));
      expect(sankey.labels[`1:${channel}`]).toBe(channel);
    }
    // A path that comes back to a channel gives no loop: every flow goes one step on.
    for (const flow of sankey.data.filter((f) => !f.to.startsWith('outcome:')))
      expect(Number(flow.to.split(':')[0])).toBe(Number(flow.from.split(':')[0]) + 1);

    const compare = await api.request<{
      currency: string;
      models: string[];
      conversions: number;
      selfReported: { responses: number };
      rows: Array<{
        channel: string;
        spend: number;
        selfReported: number;
        conversions: Record<string, number>;
        cpa: Record<string, number | null>;
        roas: Record<string, number | null>;
      }>;
    }>('GET', `/v1/attribution/compare?${range}`);
    const format = formatter('en-US', compare.currency);
    const cells = await figuresOf(page, '#models');
    expect(compare.models.length).toBe(7);
    expect(Object.keys(cells).length).toBe(compare.rows.length * (2 + 3 * compare.models.length));
    for (const row of compare.rows) {
      expect(cells[`${row.channel}.spend`]).toEqual(shown(format, 'money', row.spend));
      expect(cells[`${row.channel}.selfReported`]).toEqual(shown(format, 'count', row.selfReported));
      for (const model of compare.models) {
        expect(cells[`${row.channel}.${model}.conversions`]).toEqual(
          shown(format, 'decimal', row.conversions[model] ?? -1),
        );
        expect(cells[`${row.channel}.${model}.cpa`]).toEqual(shown(format, 'money', row.cpa[model] ?? null));
        expect(cells[`${row.channel}.${model}.roas`]).toEqual(
          shown(format, 'ratio', row.roas[model] ?? null),
        );
      }
    }
    // The demo's answers (each person once a day) and the fixtures' 14; those of "paid_search" are
    // that row's self-reported column (no answer of the demo stands for paid search).
    const answered = ([...month.events, ...extras] as Array<Record<string, unknown>>).filter(
      (e) => e.type === 'survey' && e.survey === 'source',
    );
    expect(compare.selfReported.responses).toBe(
      new Set(answered.map((e) => `${e.userId} ${String(e.occurredAt).slice(0, 10)}`)).size,
    );
    expect(compare.selfReported.responses).toBeGreaterThan(14);
    expect(cells['paid_search.selfReported']?.text).toBe('14');
    expect(await page.locator('#models-note').textContent()).toContain(
      `${format('count', compare.conversions)} conversions`,
    );
    expect(
      await page.locator('#models thead th.group').evaluateAll((ths) => ths.map((th) => th.textContent)),
    ).toEqual(compare.models.map((m) => m.replace('_', ' ')));
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("downloads a card's request as the API's own CSV, named by route and range, and says when that fails", async () => {
    const { page, consoleErrors } = await openDashboard(1280);
    await show(page, month, 'ready');
    const range = `from=${month.from}&to=${month.to}`;
    // One CSV button in every card's header.
    expect(await page.locator('#charts > section > .head > button.csv').count()).toBe(
      await page.locator('#charts > section').count(),
    );
    const funnel = await downloadFrom(page, 'journey');
    expect(funnel.name).toBe(`funnel-${month.from}-${month.to}.csv`);
    expect(funnel.path).toBe(`/v1/metrics/funnel?${range}&format=csv`);
    expect(funnel.authorization).toBe(`Bearer ${KEY}`);
    expect(funnel.body).toBe(await csvOf(`/v1/metrics/funnel?${range}`));
    expect(funnel.body.split('\r\n')[0]).toBe('stage,users,from_previous,median_days_from_previous');
    // Four cards read the series route: the metric in the name keeps their files apart.
    const share = await downloadFrom(page, 'channel-share');
    expect(share.name).toBe(`series-channel-share-${month.from}-${month.to}.csv`);
    expect(share.body).toBe(await csvOf(`/v1/metrics/series?metric=channel-share&interval=day&${range}`));

    // A key revoked since the load: the notice says so, nothing is thrown.
    await page.evaluate(() => sessionStorage.setItem('attribution.queryKey', 'not-a-key'));
    const before = await page.evaluate(
      () => (window as unknown as { dashboard: { shown: number } }).dashboard.shown,
    );
    await page.click('button[data-card="cpa"]');
    await page.waitForFunction(
      (count) => (window as unknown as { dashboard: { shown: number } }).dashboard.shown > count,
      before,
    );
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('error');
    expect(await notice(page)).toBe('The API refused this key (401): paste a query key.');
    expect(consoleErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    await page.close();
  });

  it('filters the journey map and the CPA chart by channel, says so on every card, and keeps it for the session', async () => {
    // paid_search has data, and not all of it: the demo's heaviest touch (26 of 102 by weight) is a
    // Google Ads click with a gclid, which classifies as paid_search, while organic search, social,
    // referral, e-mail and direct touches take the rest; a conversion counts on its last touch's
    // channel, and the Google Ads search spend and impressions give it a cost per stage.
    const channel = 'paid_search';
    const { page, consoleErrors, requests } = await openDashboard(1280);
    await page.selectOption('#channel', channel);
    await show(page, month, 'ready');
    const range = `from=${month.from}&to=${month.to}`;
    type Cpa = {
      currency: string;
      stages: Array<{ stage: string; events: number; costPerEvent: number | null }>;
    };
    const [funnel, cpa, allFunnel, allCpa] = await Promise.all([
      api.request<Funnel>('GET', `/v1/metrics/funnel?${range}&channel=${channel}`),
      api.request<Cpa>('GET', `/v1/metrics/cpa-by-stage?${range}&channel=${channel}`),
      api.request<Funnel>('GET', `/v1/metrics/funnel?${range}`),
      api.request<Cpa>('GET', `/v1/metrics/cpa-by-stage?${range}`),
    ]);
    // Only the two routes that take a channel are asked with one.
    expect(requests.filter((r) => r.includes('channel=')).sort()).toEqual([
      `/v1/metrics/cpa-by-stage?${range}&channel=${channel}`,
      `/v1/metrics/funnel?${range}&channel=${channel}`,
    ]);
    // The channel's numbers are its own: some, and fewer than all channels'.
    const users = (f: Funnel) => f.stages.map((s) => s.users);
    const events = (c: Cpa) => c.stages.map((s) => s.events);
    expect(funnel.stages.find((s) => s.stage === 'decision')?.users).toBeGreaterThan(0);
    expect(users(funnel)).not.toEqual(users(allFunnel));
    expect(events(cpa)).not.toEqual(events(allCpa));

    const format = formatter('en-US', cpa.currency);
    const figures = await figuresOf(page, '#journey');
    const stage = (name: string) => cpa.stages.find((s) => s.stage === name);
    const expected: Figure[] = [
      ['decision.conversions', 'count', stage('decision')?.events ?? -1],
      ['decision.cpa', 'money', stage('decision')?.costPerEvent ?? -1],
      ['retention.repeatConversions', 'count', stage('retention')?.events ?? -1],
      ['advocacy.advocacyEvents', 'count', stage('advocacy')?.events ?? -1],
      ...funnelFigures(funnel),
    ];
    expectFigures(figures, format, expected);
    const chart = (await chartsOf(page)).cpa;
    expect(chart?.datasets[0]?.data).toEqual(events(cpa));
    expect(chart?.datasets[1]?.data).toEqual(cpa.stages.map((s) => s.costPerEvent ?? 0));

    // Every card says what it shows: the two filtered ones the channel, the others all channels.
    const scopes = await page
      .locator('#charts > section')
      .evaluateAll((sections) =>
        Object.fromEntries(
          sections.map((s) => [
            s.querySelector<HTMLElement>('[data-card]')?.dataset.card,
            s.querySelector('.scope')?.textContent,
          ]),
        ),
      );
    expect(Object.keys(scopes).length).toBe(11);
    for (const [card, scope] of Object.entries(scopes))
      expect([card, scope]).toEqual([
        card,
        card === 'journey' || card === 'cpa' ? `channel: ${channel}` : 'all channels',
      ]);
    expect(await page.locator('#journey-note').textContent()).toMatch(new RegExp(`^Only ${channel}: people`));
    expect(await page.locator('#journey-note').isVisible()).toBe(true);

    // The CSV is the card's own request, channel and all, and its name says the channel.
    const csv = await downloadFrom(page, 'cpa');
    expect(csv.name).toBe(`cpa-by-stage-${channel}-${month.from}-${month.to}.csv`);
    expect(csv.body).toBe(await csvOf(`/v1/metrics/cpa-by-stage?${range}&channel=${channel}`));

    // A new visit in the same tab (not a reload, whose form restore would keep the select by itself)
    // still has the channel, from sessionStorage like the key.
    await page.goto(`${runtime.url}/`);
    expect(await page.inputValue('#channel')).toBe(channel);
    expect(await page.inputValue('#key')).toBe(KEY);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('fits a 390 px phone: no sideways scrolling, and every chart as wide as the screen allows', async () => {
    const { page, consoleErrors } = await openDashboard(390, 844);
    await show(page, month, 'ready');
    const layout = await page.evaluate(() => ({
      pageWidth: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      canvases: Array.from(document.querySelectorAll('canvas')).map((c) => c.getBoundingClientRect().right),
    }));
    expect(layout.pageWidth).toBeLessThanOrEqual(layout.viewport);
    expect(layout.canvases.length).toBeGreaterThan(0);
    for (const right of layout.canvases) expect(right).toBeLessThanOrEqual(layout.viewport);
    await page.screenshot({ path: join(SCREENSHOTS ?? dir, 'dashboard-phone.png') });
    // The stages stack top to bottom, each as wide as the screen allows.
    const boxes = await stageBoxes(page);
    expect(boxes.length).toBe(5);
    for (let i = 1; i < boxes.length; i++) {
      expect(boxes[i]?.left).toBe(boxes[0]?.left);
      expect(boxes[i]?.top).toBeGreaterThan(boxes[i - 1]?.top ?? Infinity);
      expect(boxes[i]?.right).toBeLessThanOrEqual(layout.viewport);
    }
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  // Two loads of a year or more, each reading every stored day of the range: slow on a busy machine.
  it('draws a year in weeks with a handful of requests, and a longer range in months', async () => {
    const { page, consoleErrors, requests } = await openDashboard(1280);
    const year = { from: '2025-04-01', to: month.to };
    await show(page, year, 'ready');
    expect(requests.length).toBeLessThanOrEqual(15);
    const series = requests.filter((r) => r.startsWith('/v1/metrics/series'));
    expect(series.length).toBe(4);
    for (const request of series) expect(request).toContain('interval=week');
    const weeks = intervalsOf(year.from, year.to, 'week');
    expect((await chartsOf(page))['channel-share']?.labels).toEqual(weeks.map((w) => w.from));
    expect(await page.locator('h2 .per').first().textContent()).toBe('week');

    requests.length = 0;
    const longer = { from: '2025-03-01', to: month.to };
    await show(page, longer, 'ready');
    expect(requests.length).toBeLessThanOrEqual(15);
    for (const request of requests.filter((r) => r.startsWith('/v1/metrics/series')))
      expect(request).toContain('interval=month');
    expect((await chartsOf(page)).visitors?.labels).toEqual(
      intervalsOf(longer.from, longer.to, 'month').map((m) => m.from.slice(0, 7)),
    );
    expect(consoleErrors).toEqual([]);
    await page.close();
  }, 90_000);

  it('says when the key is wrong (401) or may not read (403)', async () => {
    const { key: ingestOnly } = await api.request<{ key: string }>('POST', '/v1/keys', {
      name: 'dashboard-test-ingest-only',
      scopes: ['ingest'],
    });
    const { page, consoleErrors } = await openDashboard(1280);
    await show(page, { ...month, key: 'not-a-key' }, 'error');
    expect(await notice(page)).toBe('The API refused this key (401): paste a query key.');
    expect(await page.locator('#charts').isHidden()).toBe(true);
    await show(page, { ...month, key: ingestOnly }, 'error');
    expect(await notice(page)).toBe('This key may not read metrics (403): paste a query key.');
    // The browser itself reports a refused request: one per load, since the first answer gates the rest.
    expect(consoleErrors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
      'Failed to load resource: the server responded with a status of 403 (Forbidden)',
    ]);
    await page.close();
  });

  it("shows the API's message for a range it refuses, and says when a range has no data", async () => {
    const { page, consoleErrors } = await openDashboard(1280);
    await show(page, { from: month.to, to: month.from }, 'error');
    expect(await notice(page)).toBe('The range was refused: from must not be after to');
    await show(page, { from: '2024-01-01', to: month.to }, 'error');
    expect(await notice(page)).toBe('The range was refused: the range may span at most 400 days');
    await show(page, { from: '2025-01-01', to: '2025-01-31' }, 'empty');
    expect(await notice(page)).toBe('No data in this range (2025-01-01 .. 2025-01-31).');
    expect(await page.locator('#charts').isHidden()).toBe(true);
    expect(consoleErrors).toEqual(
      Array(2).fill('Failed to load resource: the server responded with a status of 400 (Bad Request)'),
    );
    await page.close();
  });
});

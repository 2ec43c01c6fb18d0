import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '#local/api-client.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import {
  callsDone,
  launchChromium,
  newSdkContext,
  type PageServer,
  referrerPage,
  rudderstackPage,
  type SdkBrowser,
  type SdkCall,
  segmentPage,
  startPageServer,
  visitFrom,
} from '../support/browser-sdks.ts';
import { readLake } from '../support/lake.ts';

/**
 * The official browser SDKs and our tag, in Chromium, from a site on another origin than the API,
 * against the real local runtime. Each visitor comes twice from another site: first to a blog post
 * (no campaign: referral traffic from `localhost`), then to a landing page tagged as a paid search
 * click (UTM cpc + gclid), where they identify and buy for 49 USD. So, worked out by hand:
 *   touches: referral 1, paid_search 1; conversions by last touch: paid_search 1;
 *   referral traffic: localhost 1 visit, 0 conversions (its visit was not the last touch);
 *   linear attribution: 0.5 conversion and 24.5 USD to each channel; first touch: referral 1.
 * Each test has its own runtime, so nothing it asserts depends on another test.
 */

const WRITE_KEY = 'browser-write-key-0123456789';
const KEY = 'browser-e2e-key-0123456789';
const LANDING_QUERY = '?utm_source=google&utm_medium=cpc&utm_campaign=launch&gclid=abc123';
const JOURNEY: readonly SdkCall[] = [
  { type: 'page' },
  { type: 'identify', userId: 'buyer-1', traits: { email: 'buyer@acme.example', name: 'Ann Buyer' } },
  { type: 'track', event: 'purchase', properties: { revenue: 49, currency: 'USD' } },
];

let chromium: SdkBrowser;
let site: PageServer;
const cleanups: Array<() => Promise<void>> = [];

interface Visit {
  readonly runtime: LocalRuntime;
  readonly api: ApiClient;
}

/** A fresh runtime whose config lets the site's origin send (CORS) and knows the site as its own. */
async function startRuntime(): Promise<Visit> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attribution-browser-'));
  const configPath = join(dataDir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      brand: { name: 'Acme', terms: ['acme'] },
      ownDomains: ['127.0.0.1'],
      writeKeys: [WRITE_KEY],
      cors: { allowedOrigins: [site.url] },
    }),
  );
  const runtime = await startLocalRuntime({
    dataDir: join(dataDir, 'data'),
    configPath,
    port: 0,
    apiKey: KEY,
  });
  cleanups.push(async () => {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { runtime, api: new ApiClient({ url: runtime.url, key: KEY }) };
}

/**
 * A proxy in front of the API that, for the first `failures` event POSTs, delivers the request and
 * then answers 500 as if it had failed: the SDK resends what was already stored.
 */
async function startFlakyProxy(
  target: string,
  failures: number,
): Promise<{ url: string; failed: () => number }> {
  let failed = 0;
  const server: Server = createServer((request, response) => {
    const forward = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const upstream = await fetch(`${target}${request.url}`, {
        method: request.method ?? 'GET',
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(
            ([name]) => !['host', 'content-length', 'connection'].includes(name),
          ),
        ) as Record<string, string>,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!['content-length', 'connection', 'keep-alive'].includes(name)) headers[name] = value;
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (request.method === 'POST' && failed < failures) {
        failed += 1;
        response
          .writeHead(500, { ...headers, connection: 'close' })
          .end('{"error":{"code":"internal_error"}}');
        return;
      }
      response.writeHead(upstream.status, { ...headers, connection: 'close' }).end(body);
    };
    // A page that goes away mid-request aborts it: that request just ends.
    forward().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, failed: () => failed };
}

/** Serves the two pages of the journey under `prefix`, and the other site's pages that link to them. */
function servePages(
  prefix: string,
  pageFor: (calls: readonly SdkCall[]) => string,
): { blog: string; landing: string } {
  site.set(`${prefix}/blog`, pageFor([{ type: 'page' }]));
  site.set(`${prefix}/landing`, pageFor(JOURNEY));
  site.set(`${prefix}/from-news-blog`, referrerPage(`${site.url}${prefix}/blog`));
  site.set(`${prefix}/from-news-landing`, referrerPage(`${site.url}${prefix}/landing${LANDING_QUERY}`));
  return {
    blog: `${site.otherSiteUrl}${prefix}/from-news-blog`,
    landing: `${site.otherSiteUrl}${prefix}/from-news-landing`,
  };
}

/** Runs the two visits in one fresh browser context (one visitor). */
async function visit(links: { blog: string; landing: string }): Promise<string[]> {
  const context = await newSdkContext(chromium.browser);
  try {
    const page = await context.newPage();
    await visitFrom(page, links.blog);
    await callsDone(page);
    await visitFrom(page, links.landing);
    await callsDone(page);
    // Let batched and retried deliveries land before the page goes away.
    await page.waitForTimeout(300);
    return context.offMachine;
  } finally {
    await context.close();
  }
}

/** Waits until the lake holds the journey's two page views and its purchase. */
async function waitForJourney(runtime: LocalRuntime, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runtime.idle();
    const rows = await readLake<{ type: string }>(runtime.pipeline, 'events', 'type');
    const views = rows.filter((row) => row.type === 'page_view').length;
    const purchases = rows.filter((row) => row.type === 'conversion').length;
    if (views >= 2 && purchases >= 1) return;
    if (Date.now() > deadline)
      throw new Error(`journey not in the lake: ${views} page views, ${purchases} purchases`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The journey's numbers, each counted exactly once. */
async function expectJourneyCounted({ runtime, api }: Visit): Promise<void> {
  await waitForJourney(runtime);
  // Anything still in flight (a retry) would land now; the numbers must not move.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await runtime.idle();
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const range = `from=${yesterday}&to=${today}`;
  const counts = (body: { channels: Array<{ channel: string; count: number }> }) =>
    Object.fromEntries(body.channels.filter((c) => c.count > 0).map((c) => [c.channel, c.count]));

  const touches = await api.request<{ channels: Array<{ channel: string; count: number }> }>(
    'GET',
    `/v1/metrics/channel-share?${range}&basis=touches`,
  );
  expect(counts(touches)).toEqual({ referral: 1, paid_search: 1 });
  const conversions = await api.request<{ channels: Array<{ channel: string; count: number }> }>(
    'GET',
    `/v1/metrics/channel-share?${range}&basis=conversions`,
  );
  expect(counts(conversions)).toEqual({ paid_search: 1 });
  const referrals = await api.request<{
    domains: Array<{ domain: string; visits: number; conversions: number }>;
  }>('GET', `/v1/metrics/referral-traffic?${range}`);
  expect(referrals.domains.map((d) => [d.domain, d.visits, d.conversions])).toEqual([['localhost', 1, 0]]);
  const linear = await api.request<{
    value: number;
    rows: Array<{ key: string; conversions: number; value: number }>;
  }>('GET', `/v1/attribution?${range}&model=linear`);
  expect(linear.value).toBeCloseTo(49, 9);
  expect(
    Object.fromEntries(
      linear.rows.filter((r) => r.conversions > 0).map((r) => [r.key, [r.conversions, r.value]]),
    ),
  ).toEqual({ paid_search: [0.5, 24.5], referral: [0.5, 24.5] });
  const first = await api.request<{ rows: Array<{ key: string; conversions: number }> }>(
    'GET',
    `/v1/attribution?${range}&model=first_touch`,
  );
  expect(first.rows.filter((r) => r.conversions > 0).map((r) => [r.key, r.conversions])).toEqual([
    ['referral', 1],
  ]);
  // Both page views belong to a visit: the SDK's session id (RudderStack, the tag: one visit), else
  // derived from inactivity per user key (analytics.js; a retried view may carry the user id the
  // identify set meanwhile, and another key is another visit until identities are joined).
  const views = (
    await readLake<{ type: string; user_key: string; visit_id: string | null }>(
      runtime.pipeline,
      'events',
      'type, user_key, visit_id',
    )
  ).filter((row) => row.type === 'page_view');
  expect(views).toHaveLength(2);
  expect(views.every((view) => Boolean(view.visit_id))).toBe(true);
  if (views[0]?.user_key === views[1]?.user_key) expect(views[1]?.visit_id).toBe(views[0]?.visit_id);
  // Nothing personal was written: not the e-mail address, not the name.
  const lake = JSON.stringify(await readLake(runtime.pipeline, 'events'), (_, value) =>
    typeof value === 'bigint' ? String(value) : value,
  );
  expect(lake).not.toContain('buyer@acme.example');
  expect(lake).not.toContain('Ann Buyer');
}

describe('websites send events from the browser', () => {
  beforeAll(async () => {
    chromium = await launchChromium();
    site = await startPageServer();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await chromium?.close();
    await site?.close();
  });

  it('Segment analytics-next loads its settings from our API (cdnURL) and delivers the journey', async () => {
    const visitor = await startRuntime();
    const links = servePages('/segment', (calls) =>
      segmentPage({ writeKey: WRITE_KEY, apiUrl: visitor.runtime.url, settings: 'fetch', calls }),
    );
    expect(await visit(links)).toEqual([]);
    await expectJourneyCounted(visitor);
  });

  it('Segment analytics-next counts each event once although its first deliveries were answered 500', async () => {
    const visitor = await startRuntime();
    const proxy = await startFlakyProxy(visitor.runtime.url, 2);
    const links = servePages('/segment-retry', (calls) =>
      segmentPage({ writeKey: WRITE_KEY, apiUrl: proxy.url, calls }),
    );
    await visit(links);
    await expectJourneyCounted(visitor);
    expect(proxy.failed()).toBe(2);
  });

  it('Segment analytics-next in batching mode', async () => {
    const visitor = await startRuntime();
    const links = servePages('/segment-batch', (calls) =>
      segmentPage({
        writeKey: WRITE_KEY,
        apiUrl: visitor.runtime.url,
        delivery: 'batching',
        batchTimeoutMs: 100,
        calls,
      }),
    );
    await visit(links);
    await expectJourneyCounted(visitor);
  });

  it('RudderStack analytics-js (XHR) counts each event once although its first deliveries were answered 500', async () => {
    const visitor = await startRuntime();
    const proxy = await startFlakyProxy(visitor.runtime.url, 2);
    const links = servePages('/rudder-xhr', (calls) =>
      rudderstackPage({ writeKey: WRITE_KEY, apiUrl: proxy.url, delivery: 'xhr', calls }),
    );
    expect(await visit(links)).toEqual([]);
    await expectJourneyCounted(visitor);
    expect(proxy.failed()).toBe(2);
  }, 40_000);

  it('RudderStack analytics-js in beacon mode', async () => {
    const visitor = await startRuntime();
    const links = servePages('/rudder-beacon', (calls) =>
      rudderstackPage({
        writeKey: WRITE_KEY,
        apiUrl: visitor.runtime.url,
        delivery: 'beacon',
        flushMs: 100,
        calls,
      }),
    );
    expect(await visit(links)).toEqual([]);
    await expectJourneyCounted(visitor);
  });

  it('our tag, served by the API at /v1/tag.js', async () => {
    const visitor = await startRuntime();
    const tagPage = (calls: readonly SdkCall[]) => {
      const commands = calls
        .filter((call) => call.type !== 'page')
        .map((call) =>
          call.type === 'identify'
            ? `attribution('identify', ${JSON.stringify(call.userId)}, ${JSON.stringify(call.traits)});`
            : call.type === 'track'
              ? `attribution('track', ${JSON.stringify(call.event)}, ${JSON.stringify(call.properties)});`
              : '',
        )
        .join('\n');
      return `<!doctype html><html><head><meta charset="utf-8"><title>tag</title>
<script>window.attribution=window.attribution||function(){(attribution.q=attribution.q||[]).push(arguments)}</script>
<script async src="${visitor.runtime.url}/v1/tag.js" data-write-key="${WRITE_KEY}"></script>
<script>${commands}
window.sdk = { done: new Promise((resolve) => setTimeout(() => resolve(['sent']), 200)) };</script>
</head><body>tag</body></html>`;
    };
    const links = servePages('/tag', tagPage);
    expect(await visit(links)).toEqual([]);
    await expectJourneyCounted(visitor);
  });

  it("counts a crawler's visit nowhere but keeps it in the lake as a bot", async () => {
    const { runtime, api } = await startRuntime();
    site.set(
      '/crawled',
      segmentPage({ writeKey: WRITE_KEY, apiUrl: runtime.url, calls: [{ type: 'page' }] }),
    );
    const context = await newSdkContext(
      chromium.browser,
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    );
    const page = await context.newPage();
    await page.goto(`${site.url}/crawled${LANDING_QUERY}`);
    await callsDone(page);
    await context.close();
    await runtime.idle();
    const rows = await readLake<{ type: string; bot: boolean }>(runtime.pipeline, 'events', 'type, bot');
    expect(rows).toEqual([{ type: 'page_view', bot: true }]);
    const today = new Date().toISOString().slice(0, 10);
    const share = await api.request<{ total: number }>(
      'GET',
      `/v1/metrics/channel-share?from=${today}&to=${today}`,
    );
    expect(share.total).toBe(0);
  });
});

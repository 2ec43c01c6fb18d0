/**
 * What the official browser SDKs send, as found by running them: Segment analytics-next and
 * RudderStack analytics-js v3, bundled from npm, in Chromium, on a page of one site sending to a
 * capture server on another. Fails when an SDK upgrade changes a path, the auth mechanism, the
 * headers that decide a CORS preflight, the body's keys or the retry behaviour.
 */
import type { Page } from 'playwright-core';
import type { TestContext } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CapturedRequest,
  type CaptureServer,
  type CaptureServerOptions,
  callsDone,
  DESKTOP_CHROME,
  launchChromium,
  newSdkContext,
  type PageServer,
  referrerPage,
  rudderstackPage,
  type SdkBrowser,
  type SdkBrowserContext,
  segmentPage,
  startCaptureServer,
  startPageServer,
  visitFrom,
} from '../support/browser-sdks.ts';

const QUERY = '?utm_source=news&utm_medium=email&utm_campaign=launch&gclid=abc';
const CAMPAIGN = { source: 'news', medium: 'email', name: 'launch' };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let browser: SdkBrowser;
let pages: PageServer;
let runs = 0;

interface Run {
  readonly capture: CaptureServer;
  readonly browserContext: SdkBrowserContext;
  readonly page: Page;
  /** The page's URL, query included, as the SDK saw it. */
  readonly url: string;
  /** The page on another site the visit came from. */
  readonly referrer: string;
}

interface VisitOptions extends CaptureServerOptions {
  /** Arrive by a link from a page on another site (the standard calls' tests), not straight. */
  fromReferrer?: boolean;
  /** Faults to inject, each as `[faults, path?]`. */
  fail?: Array<Parameters<CaptureServer['fail']>>;
}

/**
 * Serves `html(apiUrl)` in a fresh browser context with its own capture server, and opens it
 * (from a referrer page on another site, when asked). The caller waits for calls or deliveries.
 */
async function visit(
  test: TestContext,
  html: (apiUrl: string) => string,
  options: VisitOptions = {},
): Promise<Run> {
  const capture = await startCaptureServer(options);
  test.onTestFinished(() => capture.close());
  for (const [faults, path] of options.fail ?? []) capture.fail(faults, path);
  const browserContext = await newSdkContext(browser.browser);
  test.onTestFinished(() => browserContext.close());
  runs += 1;
  const path = `/site/${runs}`;
  const url = `${pages.url}${path}${QUERY}`;
  const referrer = `${pages.otherSiteUrl}/news/${runs}?id=7`;
  pages.set(path, html(capture.url));
  pages.set(`/news/${runs}`, referrerPage(url));
  const page = await browserContext.newPage();
  if (options.fromReferrer) await visitFrom(page, referrer);
  else await page.goto(url);
  return { capture, browserContext, page, url, referrer };
}

function basic(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

function lines(requests: readonly CapturedRequest[]): string[] {
  return requests.map((r) => `${r.method} ${r.path}`);
}

function keys(value: object): string[] {
  return Object.keys(value).sort();
}

/** The preflight the browser sent before `delivery`: the last OPTIONS to its path before it. */
function preflightOf(capture: CaptureServer, delivery: CapturedRequest): CapturedRequest | undefined {
  const before = capture.requests.slice(0, capture.requests.indexOf(delivery));
  return before.reverse().find((r) => r.method === 'OPTIONS' && r.path === delivery.path);
}

/** Nothing was asked of a host off this machine, nor of the tripwire paths for CDN assets. */
function expectNothingFromCdn(run: Run): void {
  expect(run.browserContext.offMachine).toEqual([]);
  expect(run.capture.requests.filter((r) => r.path.startsWith('/no-cdn/'))).toEqual([]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const SEGMENT_CONTEXT = ['campaign', 'library', 'locale', 'page', 'timezone', 'userAgent', 'userAgentData'];
const SEGMENT_COMMON = [
  '_metadata',
  'anonymousId',
  'context',
  'integrations',
  'messageId',
  'timestamp',
  'type',
  'writeKey',
];

/** The bodies analytics-next sends for the standard calls; events in a batch have no sentAt. */
// biome-ignore lint/suspicious/noExplicitAny: SDK payloads are free-form JSON, checked field by field
function expectSegmentEvents(events: any[], run: Run, writeKey: string, batched: boolean): void {
  const [page, identify, track] = events;
  const common = batched ? SEGMENT_COMMON : [...SEGMENT_COMMON, 'sentAt'];
  expect(keys(page)).toEqual([...common, 'properties', 'userId'].sort());
  expect(keys(identify)).toEqual([...common, 'traits', 'userId'].sort());
  expect(keys(track)).toEqual([...common, 'event', 'properties', 'userId'].sort());
  const anonymousId = page.anonymousId;
  expect(anonymousId).toMatch(UUID);
  for (const event of events) {
    expect(event.writeKey).toBe(writeKey);
    expect(event.anonymousId).toBe(anonymousId);
    expect(event.messageId).toMatch(/^ajs-next-\d{13}-[0-9a-f-]{36}$/);
    expect(event.timestamp).toMatch(ISO);
    expect(event.integrations).toEqual({ 'Segment.io': true });
    expect(event._metadata).toEqual({ bundled: ['Segment.io'], unbundled: [], bundledIds: [] });
    expect(keys(event.context)).toEqual(SEGMENT_CONTEXT);
    // UTM parameters parsed; gclid only in the URL; no IP from the browser.
    expect(event.context.campaign).toEqual(CAMPAIGN);
    expect(event.context.page).toEqual({
      path: new URL(run.url).pathname,
      referrer: run.referrer,
      search: QUERY,
      title: expect.any(String),
      url: run.url,
    });
    expect(event.context.library).toEqual({ name: 'analytics.js', version: 'npm:next-1.84.3' });
    expect(event.context.userAgent).toBe(DESKTOP_CHROME);
    expect(keys(event.context.userAgentData)).toEqual(['brands', 'mobile', 'platform']);
  }
  expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
  expect(page).toMatchObject({ type: 'page', userId: null, properties: event(run) });
  expect(identify).toMatchObject({
    type: 'identify',
    userId: 'user-1',
    traits: { email: 'a@b.example', name: 'Ann' },
  });
  expect(track).toMatchObject({
    type: 'track',
    event: 'purchase',
    userId: 'user-1',
    properties: { revenue: 49, currency: 'USD' },
  });

  function event(run: Run) {
    return { url: run.url, referrer: run.referrer, search: QUERY, path: new URL(run.url).pathname };
  }
}

const RUDDER_CONTEXT = [
  'app',
  'campaign',
  'library',
  'locale',
  'os',
  'page',
  'screen',
  'sessionId',
  'timezone',
  'traits',
  'userAgent',
];
const RUDDER_COMMON = [
  'anonymousId',
  'channel',
  'context',
  'integrations',
  'messageId',
  'originalTimestamp',
  'sentAt',
  'type',
];

/** The events analytics-js sends for the standard calls, in XHR, XHR batch and beacon modes alike. */
// biome-ignore lint/suspicious/noExplicitAny: SDK payloads are free-form JSON, checked field by field
function expectRudderEvents(events: any[], run: Run): void {
  const [page, identify, track] = events;
  expect(keys(page)).toEqual([...RUDDER_COMMON, 'properties', 'userId'].sort());
  // identify has no top-level traits: they are in context.traits, here and in every later event.
  expect(keys(identify)).toEqual([...RUDDER_COMMON, 'userId'].sort());
  expect(keys(track)).toEqual([...RUDDER_COMMON, 'event', 'properties', 'userId'].sort());
  const { anonymousId } = page;
  const { sessionId } = page.context;
  expect(anonymousId).toMatch(UUID);
  expect(sessionId).toEqual(expect.any(Number));
  const pageFields = {
    path: new URL(run.url).pathname,
    referrer: run.referrer,
    referring_domain: new URL(run.referrer).host,
    search: QUERY,
    title: expect.any(String),
    url: run.url,
    tab_url: run.url,
    initial_referrer: run.referrer,
    initial_referring_domain: new URL(run.referrer).host,
  };
  for (const event of events) {
    expect(event.anonymousId).toBe(anonymousId);
    expect(event.messageId).toMatch(UUID);
    expect(event.channel).toBe('web');
    expect(event.originalTimestamp).toMatch(ISO);
    expect(event.sentAt).toMatch(ISO);
    expect(event.integrations).toEqual({ All: true });
    // The first event of a session also says sessionStart: true.
    expect(keys(event.context)).toEqual(
      event === page ? [...RUDDER_CONTEXT, 'sessionStart'].sort() : RUDDER_CONTEXT,
    );
    expect(event.context.sessionId).toBe(sessionId);
    expect(event.context.campaign).toEqual(CAMPAIGN);
    expect(event.context.page).toEqual(pageFields);
    expect(event.context.library).toEqual({
      name: 'RudderLabs JavaScript SDK',
      version: '3.34.1',
      variant: 'bundled',
    });
    expect(event.context.app).toMatchObject({ version: '3.34.1', installType: 'npm' });
    expect(keys(event.context.screen)).toEqual(['density', 'height', 'innerHeight', 'innerWidth', 'width']);
  }
  expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
  expect(page).toMatchObject({ type: 'page', userId: '', properties: pageFields });
  expect(page.context).toMatchObject({ sessionStart: true, traits: {} });
  expect(identify).toMatchObject({ type: 'identify', userId: 'user-1' });
  expect(identify.context.traits).toEqual({ email: 'a@b.example', name: 'Ann' });
  expect(track).toMatchObject({
    type: 'track',
    event: 'purchase',
    userId: 'user-1',
    properties: { revenue: 49, currency: 'USD' },
  });
  expect(track.context.traits).toEqual({ email: 'a@b.example', name: 'Ann' });
}

describe.concurrent('official browser SDKs, bundled from npm, against a capture server', () => {
  beforeAll(async () => {
    [browser, pages] = await Promise.all([launchChromium(), startPageServer()]);
  });

  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });

  describe('Segment analytics-next 1.84.3', () => {
    it('standard delivery: one POST per event to /v1/{p,i,t}, Basic auth, text/plain, preflighted', async (test) => {
      const writeKey = 'seg-standard';
      const run = await visit(test, (apiUrl) => segmentPage({ writeKey, apiUrl }), {
        fromReferrer: true,
      });
      const deliveries = await run.capture.waitFor((d) => d.length >= 3);
      expect(lines(run.capture.requests)).toEqual([
        'OPTIONS /v1/p',
        'POST /v1/p',
        'OPTIONS /v1/i',
        'POST /v1/i',
        'OPTIONS /v1/t',
        'POST /v1/t',
      ]);
      for (const delivery of deliveries) {
        expect(delivery.headers.authorization).toBe(basic(writeKey));
        expect(delivery.headers['content-type']).toBe('text/plain');
        expect(delivery.headers['content-encoding']).toBeUndefined();
        expect(delivery.headers.origin).toBe(pages.url);
        expect(delivery.query).toEqual({});
        // Authorization is what makes the browser preflight.
        expect(preflightOf(run.capture, delivery)?.headers['access-control-request-headers']).toBe(
          'authorization',
        );
        expect(delivery.json.sentAt).toMatch(ISO);
      }
      expectSegmentEvents(
        deliveries.map((d) => d.json),
        run,
        writeKey,
        false,
      );
      expect(deliveries[2]?.json.traits).toBeUndefined();
      expectNothingFromCdn(run);
    });

    it('batching delivery: POST /v1/b of { writeKey, batch, sentAt }, events without sentAt', async (test) => {
      const writeKey = 'seg-batching';
      const run = await visit(
        test,
        (apiUrl) => segmentPage({ writeKey, apiUrl, delivery: 'batching', batchTimeoutMs: 1500 }),
        { fromReferrer: true },
      );
      // One batch when the calls take less than the timeout (1.5 s here; 5 s by default) or are 10.
      const batches = await run.capture.waitFor((d) => d.flatMap((r) => r.json?.batch ?? []).length >= 3);
      for (const batch of batches) {
        expect(`${batch.method} ${batch.path}`).toBe('POST /v1/b');
        expect(batch.headers.authorization).toBe(basic(writeKey));
        expect(batch.headers['content-type']).toBe('text/plain');
        expect(preflightOf(run.capture, batch)?.headers['access-control-request-headers']).toBe(
          'authorization',
        );
        expect(keys(batch.json)).toEqual(['batch', 'sentAt', 'writeKey']);
        expect(batch.json.writeKey).toBe(writeKey);
        expect(batch.json.sentAt).toMatch(ISO);
      }
      expectSegmentEvents(
        batches.flatMap((b) => b.json.batch),
        run,
        writeKey,
        true,
      );
      expectNothingFromCdn(run);
    });

    it('cdnURL at the collector: a simple GET /v1/projects/{writeKey}/settings first, no preflight', async (test) => {
      const writeKey = 'seg-fetch';
      const run = await visit(test, (apiUrl) => segmentPage({ writeKey, apiUrl, settings: 'fetch' }));
      await run.capture.waitFor((d) => d.length >= 3);
      const [settings] = run.capture.requests;
      expect(`${settings?.method} ${settings?.path}`).toBe(`GET /v1/projects/${writeKey}/settings`);
      expect(settings?.headers.authorization).toBeUndefined();
      expect(lines(run.capture.requests).slice(1)).toEqual([
        'OPTIONS /v1/p',
        'POST /v1/p',
        'OPTIONS /v1/i',
        'POST /v1/i',
        'OPTIONS /v1/t',
        'POST /v1/t',
      ]);
      expectNothingFromCdn(run);
    });

    it('remote metrics unless settings say sampleRate 0: POST {apiHost}/m, text/plain, no auth', async (test) => {
      const run = await visit(test, (apiUrl) =>
        segmentPage({ writeKey: 'seg-metrics', apiUrl, cdnSettings: { metrics: { flushTimer: 300 } } }),
      );
      const deliveries = await run.capture.waitFor((d) => d.some((r) => r.path === '/v1/m'));
      const metrics = deliveries.find((r) => r.path === '/v1/m');
      expect(metrics?.headers['content-type']).toBe('text/plain');
      expect(metrics?.headers.authorization).toBeUndefined();
      expect(metrics?.json.series[0]).toMatchObject({
        type: 'Counter',
        metric: 'analytics_js.invoke',
        value: 1,
        tags: { library: 'analytics.js', library_version: 'npm:next-1.84.3' },
      });
    });

    it('default settings: asks cdn.segment.com for them, which is refused and noticed', async (test) => {
      const run = await visit(test, (apiUrl) =>
        segmentPage({ writeKey: 'seg-cdn', apiUrl, settings: 'cdn' }),
      );
      await expect(callsDone(run.page)).rejects.toThrow();
      expect(run.browserContext.offMachine).toEqual(['https://cdn.segment.com/v1/projects/seg-cdn/settings']);
      expect(run.capture.requests).toEqual([]);
    });

    it('500 or a dropped connection: retried within a second, same messageId, X-Retry-Count: 1', async (test) => {
      // Connection: close, so that a drop reaches the SDK rather than being resent by Chromium.
      const run = await visit(test, (apiUrl) => segmentPage({ writeKey: 'seg-retry', apiUrl }), {
        keepAlive: false,
        fail: [
          [[500], '/v1/p'],
          [['drop'], '/v1/i'],
        ],
      });
      const attempts = (d: CapturedRequest[], path: string) => d.filter((r) => r.path === path);
      const deliveries = await run.capture.waitFor(
        (d) => attempts(d, '/v1/p').length >= 2 && attempts(d, '/v1/i').length >= 2,
      );
      for (const [path, fault] of [
        ['/v1/p', 500],
        ['/v1/i', 'drop'],
      ] as const) {
        const [first, retry] = attempts(deliveries, path);
        expect(first?.answer).toBe(fault);
        expect(retry?.answer).toBe(200);
        expect(retry?.json.messageId).toBe(first?.json.messageId);
        expect(retry?.json.timestamp).toBe(first?.json.timestamp);
        expect(first?.headers['x-retry-count']).toBeUndefined();
        expect(retry?.headers['x-retry-count']).toBe('1');
        expect(retry?.json._metadata.retryCount).toBe(2);
        // The new header is preflighted again.
        expect(
          preflightOf(run.capture, retry as CapturedRequest)?.headers['access-control-request-headers'],
        ).toBe('authorization,x-retry-count');
        expect((retry?.at ?? 0) - (first?.at ?? 0)).toBeLessThan(3000);
      }
    });

    it('batching, 500: the whole batch again after ~0.5 s, same messageIds, X-Retry-Count: 1', async (test) => {
      const run = await visit(
        test,
        (apiUrl) =>
          segmentPage({ writeKey: 'seg-batch-500', apiUrl, delivery: 'batching', batchTimeoutMs: 300 }),
        { fail: [[[500]]] },
      );
      const [first, retry] = await run.capture.waitFor((d) => d.length >= 2);
      expect(first?.answer).toBe(500);
      expect(retry?.answer).toBe(200);
      const ids = (request: CapturedRequest | undefined): string[] =>
        // biome-ignore lint/suspicious/noExplicitAny: SDK payloads are free-form JSON, checked field by field
        request?.json.batch.map((e: any) => e.messageId) ?? [];
      // The failed events go first, with any queued since behind them.
      expect(ids(retry).slice(0, ids(first).length)).toEqual(ids(first));
      expect(retry?.headers['x-retry-count']).toBe('1');
      for (const event of retry?.json.batch.slice(0, ids(first).length) ?? [])
        expect(event._metadata.retryCount).toBe(1);
      expect((retry?.at ?? 0) - (first?.at ?? 0)).toBeLessThan(3000);
    });
  });

  describe('RudderStack analytics-js 3.34.1 (bundled build)', () => {
    it('XHR: one POST per event to /v1/{page,identify,track}, Basic auth, JSON, AnonymousId and SentAt headers', async (test) => {
      const writeKey = 'rs-xhr';
      const run = await visit(test, (apiUrl) => rudderstackPage({ writeKey, apiUrl }), {
        fromReferrer: true,
      });
      const deliveries = await run.capture.waitFor((d) => d.length >= 3);
      expect(lines(deliveries).sort()).toEqual(['POST /v1/identify', 'POST /v1/page', 'POST /v1/track']);
      const ordered = ['/v1/page', '/v1/identify', '/v1/track'].map((path) =>
        deliveries.find((d) => d.path === path),
      ) as CapturedRequest[];
      for (const delivery of ordered) {
        expect(delivery.headers.authorization).toBe(basic(writeKey));
        expect(delivery.headers['content-type']).toBe('application/json;charset=UTF-8');
        expect(delivery.headers.anonymousid).toBe(Buffer.from(delivery.json.anonymousId).toString('base64'));
        expect(delivery.headers.sentat).toBe(delivery.json.sentAt);
        expect(delivery.query).toEqual({});
        expect(preflightOf(run.capture, delivery)?.headers['access-control-request-headers']).toBe(
          'anonymousid,authorization,content-type,sentat',
        );
      }
      expectRudderEvents(
        ordered.map((d) => d.json),
        run,
      );
      expectNothingFromCdn(run);
    });

    it('XHR batch (queueOptions.batch): POST /v1/batch of { batch, sentAt }', async (test) => {
      const writeKey = 'rs-xhr-batch';
      const run = await visit(
        test,
        (apiUrl) => rudderstackPage({ writeKey, apiUrl, delivery: 'xhr-batch', flushMs: 300 }),
        { fromReferrer: true },
      );
      const deliveries = await run.capture.waitFor((d) => d.flatMap((r) => r.json?.batch ?? []).length >= 3);
      expect(new Set(lines(deliveries))).toEqual(new Set(['POST /v1/batch']));
      for (const delivery of deliveries) {
        expect(delivery.headers.authorization).toBe(basic(writeKey));
        expect(delivery.headers['content-type']).toBe('application/json;charset=UTF-8');
        expect(keys(delivery.json)).toEqual(['batch', 'sentAt']);
      }
      expectRudderEvents(
        deliveries.flatMap((d) => d.json.batch),
        run,
      );
      expectNothingFromCdn(run);
    });

    it('beacon: POST /beacon/v1/batch?writeKey=, text/plain, no auth header, no preflight', async (test) => {
      const writeKey = 'rs-beacon';
      const run = await visit(
        test,
        (apiUrl) => rudderstackPage({ writeKey, apiUrl, delivery: 'beacon', flushMs: 300 }),
        { fromReferrer: true },
      );
      const deliveries = await run.capture.waitFor((d) => d.flatMap((r) => r.json?.batch ?? []).length >= 3);
      expect(run.capture.requests.filter((r) => r.method === 'OPTIONS')).toEqual([]);
      for (const delivery of deliveries) {
        expect(`${delivery.method} ${delivery.path}`).toBe('POST /beacon/v1/batch');
        expect(delivery.query).toEqual({ writeKey });
        expect(delivery.headers.authorization).toBeUndefined();
        expect(delivery.headers.anonymousid).toBeUndefined();
        expect(delivery.headers['content-type']).toBe('text/plain');
        expect(delivery.headers['sec-fetch-mode']).toBe('no-cors');
        // Beacons carry credentials: the collector's own cookies would come too (none here).
        expect(delivery.headers.cookie).toBeUndefined();
        expect(keys(delivery.json)).toEqual(['batch', 'sentAt']);
        for (const event of delivery.json.batch) expect(event.sentAt).toBe(delivery.json.sentAt);
      }
      expectRudderEvents(
        deliveries.flatMap((d) => d.json.batch),
        run,
      );
      expectNothingFromCdn(run);
    });

    it('configUrl at the collector: GET /sourceConfig/?…&writeKey=, Basic auth, preflighted; consent in context', async (test) => {
      const writeKey = 'rs-fetch';
      const consentManagement = {
        enabled: true,
        provider: 'custom',
        allowedConsentIds: ['analytics'],
        deniedConsentIds: ['ads'],
      };
      const run = await visit(test, (apiUrl) =>
        rudderstackPage({ writeKey, apiUrl, settings: 'fetch', loadOptions: { consentManagement } }),
      );
      const deliveries = await run.capture.waitFor((d) => d.length >= 3);
      const config = run.capture.requests.find((r) => r.method === 'GET');
      expect(config?.path).toBe('/sourceConfig/');
      expect(config?.query).toEqual({
        p: 'npm',
        v: '3.34.1',
        build: 'modern',
        writeKey,
        lockIntegrationsVersion: 'true',
        lockPluginsVersion: 'true',
      });
      expect(config?.headers.authorization).toBe(basic(writeKey));
      expect(
        preflightOf(run.capture, config as CapturedRequest)?.headers['access-control-request-headers'],
      ).toBe('authorization');
      expect(run.capture.requests.indexOf(config as CapturedRequest)).toBeLessThan(
        run.capture.requests.findIndex((r) => r.method === 'POST'),
      );
      // The consent state given to load() (custom provider) rides in every event's context.
      for (const delivery of deliveries)
        expect(delivery.json.context.consentManagement).toEqual({
          provider: 'custom',
          allowedConsentIds: ['analytics'],
          deniedConsentIds: ['ads'],
        });
      expectNothingFromCdn(run);
    });

    it('default settings: asks api.rudderstack.com for the source config, which is refused and noticed', async (test) => {
      const run = await visit(test, (apiUrl) =>
        rudderstackPage({ writeKey: 'rs-cdn', apiUrl, settings: 'cdn' }),
      );
      await expect.poll(() => run.browserContext.failed.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(run.browserContext.offMachine).toEqual([
        'https://api.rudderstack.com/sourceConfig/?p=npm&v=3.34.1&build=modern&writeKey=rs-cdn&lockIntegrationsVersion=true&lockPluginsVersion=true',
      ]);
      expect(run.capture.requests).toEqual([]);
    });

    it('XHR, 500 or a dropped connection: retried after ~2 s, same messageId, Rsa-Retry-* headers', async (test) => {
      const run = await visit(test, (apiUrl) => rudderstackPage({ writeKey: 'rs-retry', apiUrl }), {
        keepAlive: false,
        fail: [
          [[500], '/v1/page'],
          [['drop'], '/v1/identify'],
        ],
      });
      const attempts = (d: CapturedRequest[], path: string) => d.filter((r) => r.path === path);
      const deliveries = await run.capture.waitFor(
        (d) => attempts(d, '/v1/page').length >= 2 && attempts(d, '/v1/identify').length >= 2,
        15_000,
      );
      for (const [path, fault] of [
        ['/v1/page', 500],
        ['/v1/identify', 'drop'],
      ] as const) {
        const [first, retry] = attempts(deliveries, path);
        expect(first?.answer).toBe(fault);
        expect(retry?.answer).toBe(200);
        expect(retry?.json.messageId).toBe(first?.json.messageId);
        expect(retry?.json.originalTimestamp).toBe(first?.json.originalTimestamp);
        expect(retry?.json.sentAt).not.toBe(first?.json.sentAt);
        expect(first?.headers['rsa-retry-attempt']).toBeUndefined();
        expect(retry?.headers).toMatchObject({
          'rsa-retry-attempt': '1',
          'rsa-retry-reason': expect.any(String),
          'rsa-since-first-attempt': expect.stringMatching(/^\d+$/),
          'rsa-since-last-attempt': expect.stringMatching(/^\d+$/),
        });
        expect(
          preflightOf(run.capture, retry as CapturedRequest)?.headers['access-control-request-headers'],
        ).toBe(
          'anonymousid,authorization,content-type,rsa-retry-attempt,rsa-retry-reason,rsa-since-first-attempt,rsa-since-last-attempt,sentat',
        );
        const gap = (retry?.at ?? 0) - (first?.at ?? 0);
        expect(gap).toBeGreaterThanOrEqual(1000);
        expect(gap).toBeLessThan(8000);
      }
    });

    it('beacon, 500: not retried (sendBeacon never sees the answer)', async (test) => {
      const run = await visit(
        test,
        (apiUrl) => rudderstackPage({ writeKey: 'rs-beacon-500', apiUrl, delivery: 'beacon', flushMs: 300 }),
        { fail: [[[500]]] },
      );
      const [first] = await run.capture.waitFor((d) => d.length >= 1);
      expect(first?.answer).toBe(500);
      await sleep(3000);
      expect(run.capture.deliveries()).toHaveLength(1);
    });
  });
});

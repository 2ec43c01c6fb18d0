/**
 * Drives the two official browser SDKs (Segment analytics-next and RudderStack analytics-js v3) in
 * headless Chromium, bundled from npm with esbuild so nothing is loaded from a CDN: bundles, test
 * pages, a page server (the site's origin), a capture server (the collector's origin) and a browser
 * that refuses and records every request to a host other than this machine.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchDebianChromium } from './chromium.ts';

export type SdkName = 'segment' | 'rudderstack';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What each bundle exposes as a global, from which npm entry point. */
const ENTRIES: Record<SdkName, { globalName: string; source: string }> = {
  segment: {
    globalName: 'SegmentSDK',
    source: "export { AnalyticsBrowser } from '@segment/analytics-next';",
  },
  // The `bundled` entry has the plugins built in; the default one loads them from the CDN at run time.
  rudderstack: {
    globalName: 'RudderStackSDK',
    source: "export { RudderAnalytics } from '@rudderstack/analytics-js/bundled';",
  },
};

/** Where the page server serves each bundle. */
export const SDK_SCRIPT_PATH: Record<SdkName, string> = {
  segment: '/sdk/segment.js',
  rudderstack: '/sdk/rudderstack.js',
};

const bundles = new Map<SdkName, Promise<string>>();

/** The SDK bundled for browsers (IIFE) from node_modules; built once per process. */
export function bundleSdk(name: SdkName): Promise<string> {
  let bundle = bundles.get(name);
  if (!bundle) {
    const entry = ENTRIES[name];
    bundle = build({
      stdin: { contents: entry.source, resolveDir: REPO_ROOT, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'iife',
      globalName: entry.globalName,
      target: 'es2020',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    }).then((result) => result.outputFiles[0]?.text ?? '');
    bundles.set(name, bundle);
  }
  return bundle;
}

/** One call the page makes, in order, once the SDK is loaded. */
export type SdkCall =
  | { type: 'page' }
  | { type: 'identify'; userId: string; traits: Record<string, unknown> }
  | { type: 'track'; event: string; properties: Record<string, unknown> };

/** The calls the capture test makes: a page view, an identify and a purchase. */
export const STANDARD_CALLS: readonly SdkCall[] = [
  { type: 'page' },
  { type: 'identify', userId: 'user-1', traits: { email: 'a@b.example', name: 'Ann' } },
  { type: 'track', event: 'purchase', properties: { revenue: 49, currency: 'USD' } },
];

export interface PageOptions {
  writeKey: string;
  /** The collector's origin, e.g. `http://localhost:4000`; the SDK sends there and reads its settings there. */
  apiUrl: string;
  /** The calls to make; STANDARD_CALLS when absent. */
  calls?: readonly SdkCall[];
}

/**
 * Where the SDK's settings come from. `inline`: passed to load(), nothing is fetched; `fetch`: read
 * from the collector (apiUrl); `cdn`: the SDK's default, its vendor's CDN, which a test must see
 * refused (this machine has no way out).
 */
export type SettingsSource = 'inline' | 'fetch' | 'cdn';

export interface SegmentPageOptions extends PageOptions {
  /** `standard`: one fetch per event to /v1/{p,i,t}; `batching`: one fetch to /v1/b. */
  delivery?: 'standard' | 'batching';
  /** `inline`: load({ cdnSettings }); `fetch`: load({ cdnURL: apiUrl }), GET /v1/projects/{writeKey}/settings. */
  settings?: SettingsSource;
  /** Batching only: send this long (ms) after the first event unless 10 come first; the SDK's default is 5000. */
  batchTimeoutMs?: number;
  /** Merged over the inline CDN settings (top-level keys), e.g. `{ metrics: { flushTimer: 500 } }`. */
  cdnSettings?: Record<string, unknown>;
}

export interface RudderStackPageOptions extends PageOptions {
  /**
   * `xhr`: one XHR per event to /v1/{page,identify,track}; `xhr-batch`: XHRs to /v1/batch;
   * `beacon`: navigator.sendBeacon to /beacon/v1/batch?writeKey=.
   */
  delivery?: 'xhr' | 'xhr-batch' | 'beacon';
  /** `inline`: the `getSourceConfig` load option; `fetch`: `configUrl: apiUrl`, GET /sourceConfig/. */
  settings?: SettingsSource;
  /**
   * Batched modes only: flush the queue this often (ms). The SDK's defaults: 10 min or 10 events
   * for beacon, 1 min or 100 events for xhr-batch.
   */
  flushMs?: number;
  /** More load options, merged over the page's (e.g. `consentManagement`). */
  loadOptions?: Record<string, unknown>;
}

function host(apiUrl: string): { origin: string; apiHost: string; protocol: string } {
  const url = new URL(apiUrl);
  return { origin: url.origin, apiHost: `${url.host}/v1`, protocol: url.protocol.replace(':', '') };
}

/**
 * The settings analytics-next needs from `{cdnURL}/v1/projects/{writeKey}/settings` (or as
 * `cdnSettings`): the Segment.io destination only. `apiKey` becomes `writeKey` in every body and
 * the Authorization header; without it both are missing.
 */
export function segmentCdnSettings(writeKey: string, apiUrl: string): Record<string, unknown> {
  const { apiHost, protocol } = host(apiUrl);
  return {
    integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol } },
    plan: {},
    // Without this the SDK posts usage counters to {apiHost}/m every 30 s.
    metrics: { sampleRate: 0 },
  };
}

/**
 * The source configuration analytics-js needs from `{configUrl}/sourceConfig/` (or from
 * `getSourceConfig`): an enabled source with an id, a config and no destinations.
 */
export function rudderSourceConfig(writeKey: string): Record<string, unknown> {
  return {
    isHosted: false,
    source: {
      id: 'source-1',
      name: 'capture test',
      writeKey,
      enabled: true,
      workspaceId: 'workspace-1',
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}

/** The page's script: loads the SDK, makes the calls in order, and records them in `window.sdk`. */
function harnessScript(load: string, invoke: string, calls: readonly SdkCall[]): string {
  return `
window.sdk = { calls: [], errors: [] };
window.sdk.done = (async () => {
  try {
    ${load.trim()}
    const invoke = ${invoke.trim()};
    for (const call of ${JSON.stringify(calls)}) {
      await invoke(call);
      window.sdk.calls.push(call.type);
    }
  } catch (error) {
    window.sdk.errors.push(String((error && error.stack) || error));
    throw error;
  }
  return window.sdk.calls;
})();
window.sdk.done.catch(() => {});`;
}

function html(title: string, scriptPath: string, script: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>
<script src="${scriptPath}"></script>
<script>${script}</script>
</body></html>
`;
}

/**
 * A page that loads analytics-next and makes the calls. `window.sdk.done` resolves with the call
 * types once each call's promise has (standard delivery: once its first attempt was answered or
 * failed; batching: at once), and rejects when load() does.
 */
export function segmentPage(options: SegmentPageOptions): string {
  const { writeKey, apiUrl, delivery = 'standard', settings = 'inline' } = options;
  const { origin, apiHost, protocol } = host(apiUrl);
  const segmentio: Record<string, unknown> = { apiHost, protocol };
  if (delivery === 'batching')
    segmentio.deliveryStrategy = {
      strategy: 'batching',
      config: { timeout: options.batchTimeoutMs ?? 5000 },
    };
  const loadSettings: Record<string, unknown> = { writeKey };
  if (settings === 'inline')
    loadSettings.cdnSettings = { ...segmentCdnSettings(writeKey, apiUrl), ...options.cdnSettings };
  if (settings === 'fetch') loadSettings.cdnURL = origin;
  const load = `
    const [analytics] = await SegmentSDK.AnalyticsBrowser.load(${JSON.stringify(loadSettings)},
      ${JSON.stringify({ integrations: { 'Segment.io': segmentio } })});
    window.sdk.analytics = analytics;`;
  const invoke = `(call) => {
      if (call.type === 'page') return analytics.page();
      if (call.type === 'identify') return analytics.identify(call.userId, call.traits);
      return analytics.track(call.event, call.properties);
    }`;
  const script = harnessScript(load, invoke, options.calls ?? STANDARD_CALLS);
  return html(`Segment ${delivery}`, SDK_SCRIPT_PATH.segment, script);
}

/**
 * A page that loads analytics-js v3 and makes the calls. `window.sdk.done` resolves with the call
 * types once each call's callback has run (the event is queued then, not yet delivered); it never
 * settles when the SDK cannot get its source configuration.
 */
export function rudderstackPage(options: RudderStackPageOptions): string {
  const { writeKey, apiUrl, delivery = 'xhr', settings = 'inline' } = options;
  const { origin } = host(apiUrl);
  const loadOptions: Record<string, unknown> = {
    logLevel: 'ERROR',
    // No polyfill and no device-mode destination SDKs; should either be asked for all the same,
    // these point at the collector, which records the request.
    polyfillIfRequired: false,
    loadIntegration: false,
    destSDKBaseURL: `${origin}/no-cdn/destinations`,
    pluginsSDKBaseURL: `${origin}/no-cdn/plugins`,
  };
  if (delivery === 'beacon') {
    loadOptions.useBeacon = true;
    if (options.flushMs) loadOptions.beaconQueueOptions = { flushQueueInterval: options.flushMs };
  }
  if (delivery === 'xhr-batch')
    loadOptions.queueOptions = { batch: { enabled: true, flushInterval: options.flushMs ?? 60_000 } };
  if (settings === 'fetch') loadOptions.configUrl = origin;
  Object.assign(loadOptions, options.loadOptions);
  const sourceConfig = settings === 'inline' ? JSON.stringify(rudderSourceConfig(writeKey)) : 'null';
  const load = `
    const analytics = new RudderStackSDK.RudderAnalytics();
    window.sdk.analytics = analytics;
    const loadOptions = ${JSON.stringify(loadOptions)};
    const sourceConfig = ${sourceConfig};
    if (sourceConfig) loadOptions.getSourceConfig = () => sourceConfig;
    await new Promise((resolve) => {
      loadOptions.onLoaded = resolve;
      analytics.load(${JSON.stringify(writeKey)}, ${JSON.stringify(origin)}, loadOptions);
    });
    await new Promise((resolve) => analytics.ready(resolve));`;
  const invoke = `(call) => new Promise((resolve) => {
      if (call.type === 'page') analytics.page(resolve);
      else if (call.type === 'identify') analytics.identify(call.userId, call.traits, resolve);
      else analytics.track(call.event, call.properties, resolve);
    })`;
  const script = harnessScript(load, invoke, options.calls ?? STANDARD_CALLS);
  return html(`RudderStack ${delivery}`, SDK_SCRIPT_PATH.rudderstack, script);
}

/** A page on another site that links to `href` with a full-URL referrer, to click through. */
export function referrerPage(href: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="referrer" content="unsafe-url"><title>news</title></head>
<body><a id="go" href="${href.replaceAll('"', '&quot;')}">read more</a></body></html>
`;
}

async function listen(server: Server, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export interface PageServer {
  /** `http://127.0.0.1:PORT`: the site's origin. */
  readonly url: string;
  /** The same server as another site: `http://localhost:PORT`. */
  readonly otherSiteUrl: string;
  /** Serves `html` at `path` (no query) from now on. */
  set(path: string, html: string): void;
  close(): Promise<void>;
}

/** Serves test pages and the SDK bundles (at SDK_SCRIPT_PATH) on 127.0.0.1. */
export async function startPageServer(): Promise<PageServer> {
  const pages = new Map<string, string>();
  const scripts = new Map(Object.entries(SDK_SCRIPT_PATH).map(([name, path]) => [path, name as SdkName]));
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://page').pathname;
    const sdk = scripts.get(path);
    if (sdk) {
      const code = await bundleSdk(sdk);
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(code);
      return;
    }
    if (path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const page = pages.get(path);
    if (page === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(page);
  });
  const url = await listen(server, '127.0.0.1');
  return {
    url,
    otherSiteUrl: url.replace('127.0.0.1', 'localhost'),
    set: (path, html) => {
      pages.set(path, html);
    },
    close: () => close(server),
  };
}

export interface CapturedRequest {
  /** Milliseconds since the capture server started. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent (gunzipped when Content-Encoding is gzip). */
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: SDK payloads are free-form JSON, checked field by field
  readonly json: any;
  /** How the capture server answered: a status, or `drop` for a connection destroyed unanswered. */
  readonly answer: number | 'drop';
}

/** A fault for one delivery request: answer 500, or destroy the connection without answering. */
export type CaptureFault = 500 | 'drop';

export interface CaptureServerOptions {
  /**
   * Keep connections alive between requests (default true). With keep-alive, a connection dropped
   * after a reused one is resent by Chromium itself, byte for byte, before the SDK sees an error;
   * `false` answers `Connection: close`, so each drop reaches the SDK.
   */
  keepAlive?: boolean;
}

export interface CaptureServer {
  /** The collector's origin: `http://localhost:PORT`. */
  readonly url: string;
  /** Every request, preflights and settings fetches included, in order of arrival. */
  readonly requests: CapturedRequest[];
  /** Delivery requests: not OPTIONS, not a settings or source-config fetch. */
  deliveries(): CapturedRequest[];
  /** Fails the next delivery requests (to `path` only, when given), one fault each, in order. */
  fail(faults: readonly CaptureFault[], path?: string): void;
  /** Resolves with the deliveries once `done` holds for them; rejects after `timeoutMs`. */
  waitFor(done: (deliveries: CapturedRequest[]) => boolean, timeoutMs?: number): Promise<CapturedRequest[]>;
  close(): Promise<void>;
}

const SEGMENT_SETTINGS = /^\/v1\/projects\/([^/]+)\/settings$/;

function isSettingsFetch(method: string, path: string): boolean {
  return method === 'GET' && (SEGMENT_SETTINGS.test(path) || path.startsWith('/sourceConfig'));
}

function corsHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return {
    'access-control-allow-origin': headers.origin ?? '*',
    'access-control-allow-credentials': 'true',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers':
      headers['access-control-request-headers'] ?? 'Authorization, Content-Type, AnonymousId',
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A collector that records every request and answers CORS permissively (echoes Origin, allows the
 * asked-for headers, 204 to OPTIONS); serves the Segment CDN settings and the RudderStack source
 * configuration; and answers every other request 200 `OK` unless a fault is pending for it.
 */
export async function startCaptureServer(options: CaptureServerOptions = {}): Promise<CaptureServer> {
  const started = Date.now();
  const requests: CapturedRequest[] = [];
  const faults: Array<{ fault: CaptureFault; path: string | undefined }> = [];
  const waiters = new Set<() => void>();
  const deliveries = () =>
    requests.filter((r) => r.method !== 'OPTIONS' && !isSettingsFetch(r.method, r.path));
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of request) chunks.push(chunk as Buffer);
    } catch {
      // The page went away mid-request (an XHR aborted on unload): nothing arrived.
      return;
    }
    let body = Buffer.concat(chunks);
    if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const url = new URL(request.url ?? '/', 'http://capture');
    const method = request.method ?? 'GET';
    const isDelivery = method !== 'OPTIONS' && !isSettingsFetch(method, url.pathname);
    const faultAt = isDelivery
      ? faults.findIndex((f) => f.path === undefined || f.path === url.pathname)
      : -1;
    const fault = faultAt >= 0 ? faults.splice(faultAt, 1)[0]?.fault : undefined;
    const text = body.toString('utf8');
    requests.push({
      at: Date.now() - started,
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      text,
      json: parseJson(text),
      answer: fault ?? (method === 'OPTIONS' ? 204 : 200),
    });
    for (const wake of waiters) wake();
    if (fault === 'drop') {
      request.socket.destroy();
      return;
    }
    const headers = {
      ...corsHeaders(request.headers),
      ...(options.keepAlive === false && { connection: 'close' }),
    };
    const json = (status: number, value: unknown) =>
      response
        .writeHead(status, { ...headers, 'content-type': 'application/json' })
        .end(JSON.stringify(value));
    const segmentKey = SEGMENT_SETTINGS.exec(url.pathname)?.[1];
    if (fault === 500) json(500, { error: 'injected' });
    else if (method === 'OPTIONS') response.writeHead(204, headers).end();
    else if (method === 'GET' && segmentKey)
      json(200, segmentCdnSettings(decodeURIComponent(segmentKey), capture.url));
    else if (method === 'GET' && url.pathname.startsWith('/sourceConfig'))
      json(200, rudderSourceConfig(url.searchParams.get('writeKey') ?? ''));
    else response.writeHead(200, { ...headers, 'content-type': 'text/plain' }).end('OK');
  });
  const capture: CaptureServer = {
    // Listening on 127.0.0.1 but named `localhost`: another site than the pages, so none of their cookies.
    url: (await listen(server, '127.0.0.1')).replace('127.0.0.1', 'localhost'),
    requests,
    deliveries,
    fail: (more, path) => {
      faults.push(...more.map((fault) => ({ fault, path })));
    },
    waitFor: (done, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!done(deliveries())) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(deliveries());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = requests.map((r) => `${r.method} ${r.path} ${r.answer}`).join(', ') || 'nothing';
          reject(new Error(`capture: condition not met in ${timeoutMs} ms; saw ${seen}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () => close(server),
  };
  return capture;
}

/** True for URLs on this machine (loopback) or with no host at all (data:, blob:, about:). */
export function isLocalUrl(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
    return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

export interface SdkBrowser {
  readonly browser: Browser;
  /**
   * Every request Chromium tried to send off this machine, as `http://host/path` or, for HTTPS,
   * `CONNECT host:port`: all were refused by a local proxy (loopback bypasses it).
   */
  readonly offMachine: string[];
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium the way the dashboard test does, with every non-loopback request sent
 * to a local proxy that records and refuses it. (A Playwright route would abort them too, but while
 * any route is set Playwright answers every CORS preflight itself, hiding the OPTIONS requests.)
 */
export async function launchChromium(): Promise<SdkBrowser> {
  const offMachine: string[] = [];
  const proxy = createServer((request, response) => {
    offMachine.push(request.url ?? '');
    response.writeHead(403, { 'content-type': 'text/plain' }).end('off-machine request refused by the test');
  });
  proxy.on('connect', (request, socket) => {
    offMachine.push(`CONNECT ${request.url ?? ''}`);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  const proxyUrl = await listen(proxy, '127.0.0.1');
  const browser = await launchDebianChromium([
    // Chromium sends loopback direct, whatever the proxy (Playwright's `proxy` option would not).
    `--proxy-server=${proxyUrl}`,
  ]);
  return {
    browser,
    offMachine,
    close: async () => {
      await browser.close();
      await close(proxy);
    },
  };
}

export interface SdkBrowserContext {
  readonly context: BrowserContext;
  /** Every URL any page of the context requested, in order. */
  readonly requested: string[];
  /** The requested URLs that are not on this machine (each refused by the proxy). */
  readonly offMachine: string[];
  /** Requests that failed, as `URL: error`. */
  readonly failed: string[];
  /** Console errors and uncaught page errors. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * A desktop Chrome's user agent. Headless Chromium calls itself `HeadlessChrome`, which bot lists
 * (rightly) recognise, and the pipeline counts robots nowhere.
 */
export const DESKTOP_CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/** A fresh context (no cookies, no storage) that records every request its pages make. */
export async function newSdkContext(
  browser: Browser,
  userAgent = DESKTOP_CHROME,
): Promise<SdkBrowserContext> {
  const context = await browser.newContext({ userAgent });
  const requested: string[] = [];
  const failed: string[] = [];
  const errors: string[] = [];
  context.on('request', (request) => {
    requested.push(request.url());
  });
  context.on('requestfailed', (request) => {
    failed.push(`${request.url()}: ${request.failure()?.errorText ?? 'failed'}`);
  });
  const newPage = async () => {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => {
      errors.push(String(error));
    });
    return page;
  };
  return {
    context,
    requested,
    get offMachine() {
      return requested.filter((url) => !isLocalUrl(url));
    },
    failed,
    errors,
    newPage,
    close: () => context.close(),
  };
}
/** Opens `referrerUrl` (a referrerPage) and clicks through to the page it links to. */
export async function visitFrom(page: Page, referrerUrl: string): Promise<void> {
  await page.goto(referrerUrl);
  await Promise.all([page.waitForURL((url) => url.href !== referrerUrl), page.click('#go')]);
}

/** Waits for the page's `window.sdk.done`: the calls made, in order; rejects as it does, or after `timeoutMs`. */
export async function callsDone(page: Page, timeoutMs = 10_000): Promise<string[]> {
  return (await page.evaluate(
    `Promise.race([window.sdk.done, new Promise((_, reject) => setTimeout(() => reject(new Error('calls not done in ${timeoutMs} ms')), ${timeoutMs}))])`,
  )) as string[];
}

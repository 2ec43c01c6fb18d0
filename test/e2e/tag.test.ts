import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TAG_JS } from '#http/tag-asset.generated.ts';
import { launchDebianChromium } from '../support/chromium.ts';

/**
 * The tracking tag in Chromium. Pages come from one origin (the site, 127.0.0.1:A) and load the
 * tag from another (a capture server standing in for the API, 127.0.0.1:B), which serves TAG_JS at
 * /v1/tag.js and records every POST /v1/batch; so every beacon is cross-origin. Each test uses
 * its own write key and reads only the requests that carry it.
 */

interface Message {
  type: string;
  messageId: string;
  timestamp: string;
  anonymousId: string;
  userId?: string;
  event?: string;
  properties: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: {
    page: { url: string; path: string; referrer: string; title: string };
    sessionId: string;
    sessionStart?: true;
    consent?: { categoryPreferences: { analytics: boolean } };
    gpc?: true;
    library: { name: string; version: string };
    locale: string;
    userAgent: string;
  };
}
interface Received {
  headers: IncomingHttpHeaders;
  bytes: number;
  body: { writeKey: string; sentAt: string; batch: Message[] };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const received: Received[] = [];
const preflights: IncomingHttpHeaders[] = [];
const pages = new Map<string, string>();
let collector: Server;
let site: Server;
let api: string;
let origin: string;
let browser: Browser;
/** One context and page for all tests (a new page costs about a second here); cleared before each. */
let context: BrowserContext;
let page: Page;
/** A second context for the tests that install playwright's clock, which cannot be uninstalled. */
let clockPage: Page | undefined;
let errors: Error[] = [];
const disposables: Array<{ dispose(): Promise<void> }> = [];

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The README's embedding snippet, with `before` run between the stub and the tag. */
function snippet(attributes: Record<string, string>, before = '', src = `${api}/v1/tag.js`): string {
  const attrs = Object.entries(attributes)
    .map(([name, value]) => ` data-${name}="${value}"`)
    .join('');
  return `<script>window.attribution=window.attribution||function(){(attribution.q=attribution.q||[]).push(arguments)}</script>
<script>${before}</script>
<script async src="${src}"${attrs}></script>`;
}

/** Serves `head` as the page at `path` (any query string) on the site. */
function sitePage(path: string, title: string, head: string): void {
  pages.set(path, `<!doctype html><html><head><title>${title}</title>${head}</head><body></body></html>`);
}

function requestsOf(writeKey: string): Received[] {
  return received.filter((r) => r.body.writeKey === writeKey);
}
function messagesOf(writeKey: string): Message[] {
  return requestsOf(writeKey).flatMap((r) => r.body.batch);
}

async function waitForMessages(writeKey: string, count: number): Promise<Message[]> {
  const deadline = Date.now() + 5_000;
  while (messagesOf(writeKey).length < count) {
    if (Date.now() > deadline)
      throw new Error(`expected ${count} messages for ${writeKey}, got ${messagesOf(writeKey).length}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return messagesOf(writeKey);
}

/** Lets any request the page might (wrongly) send arrive. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** The clock's own page, cleared like the shared one. */
async function withClock(): Promise<Page> {
  if (!clockPage) {
    clockPage = await (await browser.newContext()).newPage();
    clockPage.on('pageerror', (error) => errors.push(error));
    await clockPage.clock.install();
  }
  await clear(clockPage);
  return clockPage;
}

/** Forgets the site's cookies and localStorage. */
async function clear(target: Page): Promise<void> {
  await target.context().clearCookies();
  await target.goto(`${origin}/blank`);
  await target.evaluate(() => localStorage.clear());
}

function call(page: Page, ...args: unknown[]): Promise<void> {
  return page.evaluate(
    (a) => (window as unknown as { attribution(...x: unknown[]): void }).attribution(...a),
    args,
  );
}

describe('the tracking tag in a real browser', () => {
  beforeAll(async () => {
    collector = createServer((req, res) => {
      const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', vary: 'Origin' };
      if (req.method === 'GET' && req.url === '/v1/tag.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(TAG_JS);
      } else if (req.method === 'OPTIONS') {
        preflights.push(req.headers);
        res.writeHead(204, { ...cors, 'access-control-allow-headers': 'content-type' }).end();
      } else if (req.method === 'POST' && req.url === '/v1/batch') {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const raw = Buffer.concat(chunks);
          received.push({ headers: req.headers, bytes: raw.length, body: JSON.parse(raw.toString('utf8')) });
          res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{"success":true}');
        });
      } else {
        res.writeHead(404).end();
      }
    });
    pages.set('/blank', '<!doctype html><title>blank</title>');
    site = createServer((req, res) => {
      const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
      // The site may serve the tag itself (then data-api points at the API); it has no /v1/batch.
      if (req.url === '/v1/tag.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(TAG_JS);
      else if (html) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else res.writeHead(404).end();
    });
    api = `http://127.0.0.1:${await listen(collector)}`;
    origin = `http://127.0.0.1:${await listen(site)}`;
    browser = await launchDebianChromium([
      // Two subdomains of one site, for the cookie shared across them.
      '--host-resolver-rules=MAP *.shop.test 127.0.0.1',
    ]);
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error));
  });

  beforeEach(async () => {
    errors = [];
    // Preflights carry no write key to tell whose they are: each test sees only those of its own run.
    preflights.length = 0;
    await clear(page);
  });

  afterEach(async () => {
    for (const disposable of disposables.splice(0)) await disposable.dispose();
    // The tag never throws into the page.
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await clockPage?.context().close();
    await browser?.close();
    await new Promise((resolve) => collector?.close(resolve));
    await new Promise((resolve) => site?.close(resolve));
  });

  it('sends the page view with the campaign URL and external referrer, then the queued track, in one cross-origin text/plain request', async () => {
    const key = 'wk-landing';
    sitePage(
      '/landing',
      'Spring sale',
      snippet({ 'write-key': key }, `attribution('track', 'Signup Started', { plan: 'pro' });`),
    );
    const url = `${origin}/landing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&gclid=Cj0abc`;
    await page.goto(url, { referer: 'https://www.google.com/' });
    const [view, track] = await waitForMessages(key, 2);
    await settle();

    const requests = requestsOf(key);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers['content-type']).toBe('text/plain');
    expect(requests[0]?.headers['sec-fetch-mode']).toBe('no-cors'); // a beacon
    expect(requests[0]?.headers.origin).toBe(origin);
    expect(preflights).toEqual([]);
    expect(requests[0]?.body.writeKey).toBe(key);
    expect(Date.parse(requests[0]?.body.sentAt ?? '')).not.toBeNaN();

    const pageContext = { url, path: '/landing', referrer: 'https://www.google.com/', title: 'Spring sale' };
    expect(view).toMatchObject({ type: 'page', properties: pageContext, context: { page: pageContext } });
    expect(view?.messageId).toMatch(UUID);
    expect(view?.anonymousId).toMatch(UUID);
    expect(view?.timestamp).toBe(new Date(Date.parse(view?.timestamp ?? '')).toISOString());
    expect(view?.context.sessionId).toMatch(UUID);
    expect(view?.context.sessionStart).toBe(true);
    expect(view?.context.library).toEqual({ name: 'attribution-tag', version: '1' });
    expect(view?.context.locale).toBe(await page.evaluate(() => navigator.language));
    expect(view?.context.userAgent).toBe(await page.evaluate(() => navigator.userAgent));
    expect(view).not.toHaveProperty('userId');
    expect(view?.context).not.toHaveProperty('consent');
    expect(view?.context).not.toHaveProperty('gpc');

    expect(track).toMatchObject({
      type: 'track',
      event: 'Signup Started',
      properties: { plan: 'pro' },
      anonymousId: view?.anonymousId,
      context: { page: pageContext, sessionId: view?.context.sessionId },
    });
    expect(track?.context).not.toHaveProperty('sessionStart');
    expect(track?.messageId).not.toBe(view?.messageId);

    // First-party: the cookie is the page's, mirrored in localStorage; the command function replaced the stub.
    expect(await page.evaluate(() => document.cookie)).toBe(`_attr_aid=${view?.anonymousId}`);
    const [cookie] = await context.cookies(origin);
    expect(cookie).toMatchObject({ name: '_attr_aid', path: '/', sameSite: 'Lax', secure: false });
    expect((cookie?.expires ?? 0) * 1000 - Date.now()).toBeGreaterThan(399 * 86_400_000);
    expect(await page.evaluate(() => localStorage.getItem('_attr_aid'))).toBe(view?.anonymousId);
    expect(
      await page.evaluate(() =>
        Array.isArray((window as unknown as { attribution: { q: unknown } }).attribution.q),
      ),
    ).toBe(false);
  });

  it('carries the user id after identify, keeps both ids across a reload, and shares the session with other tabs', async () => {
    const key = 'wk-identify';
    sitePage('/account', 'Account', snippet({ 'write-key': key }));
    await page.goto(`${origin}/account`);
    const [view] = await waitForMessages(key, 1);
    await call(page, 'identify', 'user-42', { plan: 'pro' });
    await call(page, 'track', 'Order Completed', { revenue: 49 });
    const [, identify, track] = await waitForMessages(key, 3);
    expect(view).not.toHaveProperty('userId');
    expect(identify).toMatchObject({ type: 'identify', userId: 'user-42', traits: { plan: 'pro' } });
    expect(track).toMatchObject({ type: 'track', userId: 'user-42', anonymousId: view?.anonymousId });
    expect(track).not.toHaveProperty('traits');
    expect(await page.evaluate(() => localStorage.getItem('_attr_uid'))).toBe('user-42');

    await page.reload();
    const [, , , again] = await waitForMessages(key, 4);
    expect(again).toMatchObject({
      type: 'page',
      anonymousId: view?.anonymousId,
      userId: 'user-42',
      context: { sessionId: view?.context.sessionId },
    });
    expect(again?.context).not.toHaveProperty('sessionStart');

    const tab = await context.newPage();
    await tab.goto(`${origin}/account`);
    const [, , , , other] = await waitForMessages(key, 5);
    expect(other?.anonymousId).toBe(view?.anonymousId);
    expect(other?.context.sessionId).toBe(view?.context.sessionId);
  });

  it('keeps the session within 30 minutes of inactivity and starts a new one after 31', async () => {
    const key = 'wk-session';
    sitePage('/session', 'Session', snippet({ 'write-key': key }));
    const page = await withClock();
    await page.goto(`${origin}/session`);
    const [view] = await waitForMessages(key, 1);
    await page.clock.fastForward('29:00');
    await call(page, 'track', 'Still Here');
    const [, same] = await waitForMessages(key, 2);
    expect(same?.context.sessionId).toBe(view?.context.sessionId);
    expect(same?.context).not.toHaveProperty('sessionStart');
    expect(Date.parse(same?.timestamp ?? '') - Date.parse(view?.timestamp ?? '')).toBeGreaterThanOrEqual(
      29 * 60_000,
    );

    // 29 + 29 minutes after the page view, but 29 after the last message: still the same session.
    await page.clock.fastForward('29:00');
    await call(page, 'track', 'Active');
    await page.clock.fastForward('31:00');
    await call(page, 'track', 'Back Again');
    const [, , active, back] = await waitForMessages(key, 4);
    expect(active?.context.sessionId).toBe(view?.context.sessionId);
    expect(back?.context.sessionId).toMatch(UUID);
    expect(back?.context.sessionId).not.toBe(view?.context.sessionId);
    expect(back?.context.sessionStart).toBe(true);
    expect(back?.anonymousId).toBe(view?.anonymousId);
  });

  it('honours data-session-minutes', async () => {
    const key = 'wk-session-5';
    sitePage('/short', 'Short', snippet({ 'write-key': key, 'session-minutes': '5' }));
    const page = await withClock();
    await page.goto(`${origin}/short`);
    const [view] = await waitForMessages(key, 1);
    await page.clock.fastForward('04:00');
    await call(page, 'track', 'Four');
    await page.clock.fastForward('06:00');
    await call(page, 'track', 'Six');
    const [, four, six] = await waitForMessages(key, 3);
    expect(four?.context.sessionId).toBe(view?.context.sessionId);
    expect(six?.context.sessionId).not.toBe(view?.context.sessionId);
    expect(six?.context.sessionStart).toBe(true);
  });

  it('with data-consent="required", writes and sends nothing until consent, then replays with the consent in context', async () => {
    const key = 'wk-consent';
    sitePage(
      '/consent',
      'Consent',
      snippet({ 'write-key': key, consent: 'required' }, `attribution('track', 'Early', { n: 1 });`),
    );
    await page.goto(`${origin}/consent`);
    await page.waitForFunction(
      () => !Array.isArray((window as unknown as { attribution: { q: unknown } }).attribution.q),
    );
    await call(page, 'identify', 'user-7');
    await settle();
    expect(messagesOf(key)).toEqual([]);
    expect(await page.evaluate(() => [document.cookie, localStorage.length])).toEqual(['', 0]);

    await call(page, 'consent', { analytics: true });
    const [view, early, identify] = await waitForMessages(key, 3);
    expect([view?.type, early?.event, identify?.type]).toEqual(['page', 'Early', 'identify']);
    for (const message of [view, early, identify])
      expect(message?.context.consent).toEqual({ categoryPreferences: { analytics: true } });
    expect(view?.context.sessionStart).toBe(true);
    expect(view).not.toHaveProperty('userId');
    expect(identify?.userId).toBe('user-7');
    expect(requestsOf(key)).toHaveLength(1);
    expect(await page.evaluate(() => [document.cookie, localStorage.getItem('_attr_uid')])).toEqual([
      `_attr_aid=${view?.anonymousId}`,
      'user-7',
    ]);
    await call(page, 'track', 'Later');
    const [, , , later] = await waitForMessages(key, 4);
    expect(later?.context.consent).toEqual({ categoryPreferences: { analytics: true } });
  });

  it('discards what it held when consent is denied, and stops (deleting its ids) when consent is withdrawn', async () => {
    const denied = 'wk-denied';
    sitePage(
      '/denied',
      'Denied',
      snippet({ 'write-key': denied, consent: 'required' }, `attribution('track', 'Early');`),
    );
    await page.goto(`${origin}/denied`);
    await page.waitForFunction(
      () => !Array.isArray((window as unknown as { attribution: { q: unknown } }).attribution.q),
    );
    await call(page, 'consent', { analytics: false });
    await call(page, 'track', 'After Denial');
    await settle();
    expect(messagesOf(denied)).toEqual([]);
    expect(await page.evaluate(() => [document.cookie, localStorage.length])).toEqual(['', 0]);

    // Without data-consent, events flow until consent is denied.
    const withdrawn = 'wk-withdrawn';
    sitePage('/withdrawn', 'Withdrawn', snippet({ 'write-key': withdrawn }));
    await page.goto(`${origin}/withdrawn`);
    await waitForMessages(withdrawn, 1);
    await call(page, 'identify', 'user-9');
    await call(page, 'consent', { analytics: false });
    await call(page, 'track', 'After Withdrawal');
    await settle();
    expect(messagesOf(withdrawn).map((m) => m.type)).toEqual(['page', 'identify']);
    expect(await page.evaluate(() => [document.cookie, localStorage.length])).toEqual(['', 0]);
  });

  it('sends a page view with the previous URL as referrer on pushState and popstate, not when the URL stays', async () => {
    const key = 'wk-spa';
    sitePage('/app/home', 'Home', snippet({ 'write-key': key }));
    await page.goto(`${origin}/app/home`, { referer: 'https://news.example/' });
    await waitForMessages(key, 1);
    await page.evaluate(() => {
      history.pushState({}, '', '/app/pricing?plan=pro');
      history.replaceState({ same: true }, '');
    });
    await call(page, 'track', 'Viewed Plans');
    await page.evaluate(() => history.back());
    const [home, pricing, track, back] = await waitForMessages(key, 4);
    expect(home?.properties.referrer).toBe('https://news.example/');
    expect(pricing).toMatchObject({
      type: 'page',
      properties: {
        url: `${origin}/app/pricing?plan=pro`,
        path: '/app/pricing',
        referrer: `${origin}/app/home`,
      },
      context: { page: { url: `${origin}/app/pricing?plan=pro`, referrer: `${origin}/app/home` } },
    });
    expect(track).toMatchObject({ type: 'track', context: { page: { referrer: `${origin}/app/home` } } });
    expect(back).toMatchObject({
      type: 'page',
      properties: { url: `${origin}/app/home`, referrer: `${origin}/app/pricing?plan=pro` },
    });
    await settle();
    expect(messagesOf(key)).toHaveLength(4);
    expect(new Set(messagesOf(key).map((m) => m.context.sessionId)).size).toBe(1);
  });

  it('works from memory when localStorage and cookies throw and crypto.randomUUID is missing', async () => {
    const key = 'wk-blocked';
    sitePage('/blocked', 'Blocked', snippet({ 'write-key': key }));
    disposables.push(
      await context.addInitScript(() => {
        const deny = () => {
          throw new DOMException('The operation is insecure.', 'SecurityError');
        };
        Object.defineProperty(window, 'localStorage', { get: deny });
        Object.defineProperty(Document.prototype, 'cookie', { get: deny, set: deny });
        Object.defineProperty(Crypto.prototype, 'randomUUID', { value: undefined });
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
      }),
    );
    await page.goto(`${origin}/blocked`);
    await waitForMessages(key, 1);
    await call(page, 'identify', 'user-mem');
    await call(page, 'track', 'Blocked Storage');
    const [view, identify, track] = await waitForMessages(key, 3);
    for (const id of [view?.messageId, view?.anonymousId, view?.context.sessionId]) expect(id).toMatch(UUID);
    expect(view?.context.sessionStart).toBe(true);
    expect(view?.context.gpc).toBe(true);
    expect(identify?.userId).toBe('user-mem');
    expect(track).toMatchObject({
      anonymousId: view?.anonymousId,
      userId: 'user-mem',
      context: { sessionId: view?.context.sessionId },
    });
    expect(track?.context).not.toHaveProperty('sessionStart');
  });

  it('posts to data-api, by fetch (text/plain, no credentials) when sendBeacon refuses', async () => {
    const key = 'wk-fetch';
    // The site serves the tag from its own origin; data-api sends the events to the API.
    sitePage('/fetch', 'Fetch', snippet({ 'write-key': key, api: `${api}/` }, '', '/v1/tag.js'));
    disposables.push(
      await context.addInitScript(() => {
        Navigator.prototype.sendBeacon = () => false;
      }),
    );
    await page.goto(`${origin}/fetch`);
    const [view] = await waitForMessages(key, 1);
    expect(view?.type).toBe('page');
    const [request] = requestsOf(key);
    expect(request?.headers['content-type']).toBe('text/plain');
    expect(request?.headers['sec-fetch-mode']).toBe('cors'); // fetch, not a beacon
    expect(request?.headers.origin).toBe(origin);
    expect(request?.headers).not.toHaveProperty('cookie');
    expect(preflights).toEqual([]);
  });

  it('runs once when the script is included twice, and runs calls made through a kept stub', async () => {
    const key = 'wk-twice';
    const tag = snippet({ 'write-key': key }, 'window.keptStub = window.attribution;');
    sitePage(
      '/twice',
      'Twice',
      `${tag}<script async src="${api}/v1/tag.js" data-write-key="${key}"></script>`,
    );
    await page.goto(`${origin}/twice`);
    await page.waitForLoadState('load');
    await page.evaluate(() =>
      (window as unknown as { keptStub(...args: unknown[]): void }).keptStub('track', 'Through Stub'),
    );
    const [view, track] = await waitForMessages(key, 2);
    await settle();
    expect(messagesOf(key)).toHaveLength(2);
    expect([view?.type, track?.event]).toEqual(['page', 'Through Stub']);
  });

  it('with data-auto-page="false" sends no page view by itself, and keeps every request under 60 KB', async () => {
    const key = 'wk-big';
    sitePage('/big', 'Big', snippet({ 'write-key': key, 'auto-page': 'false' }));
    await page.goto(`${origin}/big`);
    await page.waitForLoadState('load');
    await page.evaluate(() => history.pushState({}, '', '/big/next'));
    await settle();
    expect(messagesOf(key)).toEqual([]);
    await page.evaluate(() => {
      const attribution = (window as unknown as { attribution(...args: unknown[]): void }).attribution;
      attribution('page');
      for (const n of [1, 2, 3]) attribution('track', 'Big', { n, blob: 'x'.repeat(25_000) });
      attribution('track', 'Too Big', { blob: 'x'.repeat(40_000) });
      attribution('track', 'Small');
    });
    const messages = await waitForMessages(key, 5);
    await settle();
    expect(messages.map((m) => m.event ?? m.type)).toEqual(['page', 'Big', 'Big', 'Big', 'Small']);
    expect(messages[0]?.properties).toMatchObject({ path: '/big/next', referrer: `${origin}/big` });
    const requests = requestsOf(key);
    expect(requests.length).toBeGreaterThan(1);
    for (const request of requests) expect(request.bytes).toBeLessThan(60_000);
  });

  it('shares the anonymous id across subdomains of the site through the cookie', async () => {
    const key = 'wk-subdomains';
    sitePage('/sub', 'Sub', snippet({ 'write-key': key }));
    const port = new URL(origin).port;
    await page.goto(`http://www.shop.test:${port}/sub`);
    await page.goto(`http://blog.shop.test:${port}/sub`);
    const [www, blog] = await waitForMessages(key, 2);
    expect(www?.anonymousId).toMatch(UUID);
    expect(blog?.anonymousId).toBe(www?.anonymousId);
    // Another origin: its own localStorage, so a new session.
    expect(blog?.context.sessionStart).toBe(true);
    const cookies = await context.cookies(`http://www.shop.test:${port}/`);
    expect(cookies.map((c) => [c.name, c.domain])).toEqual([['_attr_aid', '.shop.test']]);
  });
});

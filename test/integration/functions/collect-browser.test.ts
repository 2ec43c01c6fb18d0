import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '#adapters/key-store.ts';
import { ARCHIVE_PREFIX, RAW_PREFIX } from '#adapters/raw-store.ts';
import type { StoredEvent } from '#domain/event-schema.ts';
import { hashEmail } from '#domain/stored-event.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { LOCAL_NAMES } from '#local/servers.ts';
import {
  apiEvent,
  bodyOf,
  HASH_SECRET,
  INGEST_KEY,
  startTestStack,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

const CONFIG = new URL('../../fixtures/browser.config.json', import.meta.url).pathname;
const WRITE_KEY = 'test-write-key-0123456789';
const BOUND_KEY = 'test-bound-write-key-0123';
const MINTED_KEY = 'wk_minted-for-shop-0123456789';
const SITE = 'https://www.acme.example';
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
let stack: TestStack;
let collect: ReturnType<typeof createCollectHandler>;

interface PostProps {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
}
const send = (path: string, body: unknown, props: PostProps = {}) =>
  collect(
    apiEvent({
      path,
      method: props.method,
      body,
      key: null,
      headers: props.headers ?? { authorization: basic(WRITE_KEY), origin: SITE },
      ...(props.query ? { query: props.query } : {}),
    }),
    testContext('collect'),
  );

async function linesUnder(prefix: string): Promise<unknown[]> {
  const page = await stack.servers.s3.send(
    new ListObjectsV2Command({ Bucket: LOCAL_NAMES.RAW_BUCKET, Prefix: prefix }),
  );
  const lines: unknown[] = [];
  for (const { Key } of page.Contents ?? []) {
    const object = await stack.servers.s3.send(new GetObjectCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET, Key }));
    const text = gunzipSync(Buffer.from(await (object.Body?.transformToByteArray() ?? []))).toString('utf8');
    lines.push(
      ...text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
  }
  return lines;
}
/** Raw events with these ids. */
const storedWithIds = async (...ids: string[]) =>
  ((await linesUnder(RAW_PREFIX)) as StoredEvent[]).filter((stored) => ids.includes(stored.event.eventId));

const page = (messageId: string, more: Record<string, unknown> = {}) => ({
  type: 'page',
  messageId,
  anonymousId: `anon-${messageId}`,
  timestamp: '2026-03-02T10:00:00.000Z',
  properties: { url: 'https://www.acme.example/?utm_source=news&utm_medium=email' },
  ...more,
});

describe('the collect routes for browsers', () => {
  beforeAll(async () => {
    stack = await startTestStack(CONFIG);
    await stack.pipeline.keyStore.create({
      keyHash: hashApiKey(MINTED_KEY),
      name: 'shop',
      scopes: ['collect'],
      allowedOrigins: ['https://shop.acme.example'],
      createdAt: new Date().toISOString(),
    });
    collect = createCollectHandler(stack.pipeline);
  });
  afterAll(() => stack.close());

  it("takes analytics.js's one-letter paths and RudderStack's beacon batch with ?writeKey", async () => {
    const p = await send('/v1/p', page('short-p'));
    const b = await send('/v1/b', { batch: [page('short-b')] });
    const beacon = await send(
      '/beacon/v1/batch',
      { batch: [page('beacon-1')], sentAt: '2026-03-02T10:00:01.000Z' },
      {
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: SITE },
        query: { writeKey: WRITE_KEY },
      },
    );
    expect([p.statusCode, b.statusCode, beacon.statusCode]).toEqual([200, 200, 200]);
    expect((await storedWithIds('short-p', 'short-b', 'beacon-1')).map((s) => s.event.type)).toEqual([
      'page_view',
      'page_view',
      'page_view',
    ]);
  });

  it('answers preflights for listed origins only, and grants them on answers and errors alike', async () => {
    const granted = await send('/v1/t', undefined, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.acme.example',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(granted.statusCode).toBe(204);
    expect(granted.headers?.['access-control-allow-origin']).toBe('https://shop.acme.example');
    const refused = await send('/v1/t', undefined, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(refused.statusCode).toBe(403);
    const ok = await send('/v1/p', page('cors-ok'));
    expect(ok.headers?.['access-control-allow-origin']).toBe(SITE);
    const unauthorised = await send('/v1/p', page('cors-401'), { headers: { origin: SITE } });
    expect(unauthorised.statusCode).toBe(401);
    expect(unauthorised.headers?.['access-control-allow-origin']).toBe(SITE);
    const foreign = await send('/v1/p', page('cors-foreign'), {
      headers: { authorization: basic(WRITE_KEY), origin: 'https://evil.example' },
    });
    expect(foreign.headers?.['access-control-allow-origin']).toBeUndefined();
    // Simple requests (text/plain beacons) need no preflight: the origin list is enforced on them too.
    expect(foreign.statusCode).toBe(403);
    expect(await storedWithIds('cors-foreign')).toEqual([]);
  });

  it('takes a secret ingest key from a server, never from a page, and never for settings', async () => {
    const server = await send('/v1/p', page('ingest-server'), {
      headers: { authorization: basic(INGEST_KEY) },
    });
    const fromPage = await send('/v1/p', page('ingest-page'), {
      headers: { authorization: basic(INGEST_KEY), origin: SITE },
    });
    expect([server.statusCode, fromPage.statusCode]).toEqual([200, 401]);
    expect((await storedWithIds('ingest-server', 'ingest-page')).map((s) => s.event.eventId)).toEqual([
      'ingest-server',
    ]);
  });

  it('keeps a purchase whose context holds an empty UTM value or an overlong URL', async () => {
    const result = await send('/v1/batch', {
      batch: [
        {
          type: 'track',
          messageId: 'lenient-buy',
          userId: 'u-lenient',
          event: 'purchase',
          properties: { revenue: 10, currency: 'USD' },
          context: {
            campaign: { source: '', medium: ' ', name: 'x'.repeat(300) },
            page: { url: `https://www.acme.example/?q=${'y'.repeat(5000)}`, referrer: '' },
          },
        },
      ],
    });
    expect(bodyOf(result)).toMatchObject({ accepted: 1, rejected: [] });
    const [stored] = await storedWithIds('lenient-buy');
    // The campaign name is clipped to the 256 characters an event's UTM holds; empty values are none.
    expect(stored?.event.utm).toEqual({ campaign: 'x'.repeat(256) });
  });

  it("corrects the client's clock with sentAt, and falls back to originalTimestamp past a bad timestamp", async () => {
    const before = Date.now();
    await send('/v1/batch', {
      // The visitor's clock is a year fast: the event happened 2 s before the batch was sent.
      sentAt: '2027-06-01T12:00:02.000Z',
      batch: [
        page('clock-skewed', { timestamp: '2027-06-01T12:00:00.000Z' }),
        page('clock-fallback', { timestamp: 'not a time', originalTimestamp: '2026-03-03T08:00:00.000Z' }),
      ],
    });
    const byId = Object.fromEntries(
      (await storedWithIds('clock-skewed', 'clock-fallback')).map((s) => [s.event.eventId, s]),
    );
    // occurredAt = receivedAt − (sentAt − client time), to the millisecond.
    const expected = (id: string, client: string) =>
      new Date(
        Date.parse(byId[id]?.receivedAt ?? '') -
          (Date.parse('2027-06-01T12:00:02.000Z') - Date.parse(client)),
      ).toISOString();
    expect(byId['clock-skewed']?.event.occurredAt).toBe(expected('clock-skewed', '2027-06-01T12:00:00.000Z'));
    expect(Date.parse(byId['clock-skewed']?.receivedAt ?? '')).toBeGreaterThanOrEqual(before);
    // A timestamp that is no time does not hide a good originalTimestamp.
    expect(byId['clock-fallback']?.event.occurredAt).toBe(
      expected('clock-fallback', '2026-03-03T08:00:00.000Z'),
    );
  });

  it('lets a write key bound to origins be used from those pages only', async () => {
    const fromSite = await send('/v1/p', page('bound-ok'), {
      headers: { authorization: basic(BOUND_KEY), origin: SITE },
    });
    const fromElsewhere = await send('/v1/p', page('bound-no'), {
      headers: { authorization: basic(BOUND_KEY), origin: 'https://evil.example' },
    });
    const noOrigin = await send('/v1/p', page('bound-none'), {
      headers: { authorization: basic(BOUND_KEY) },
    });
    const minted = await send('/v1/p', page('minted-ok'), {
      headers: { authorization: basic(MINTED_KEY), origin: 'https://shop.acme.example' },
    });
    const mintedElsewhere = await send('/v1/p', page('minted-no'), {
      headers: { authorization: basic(MINTED_KEY), origin: SITE },
    });
    expect([fromSite, fromElsewhere, noOrigin, minted, mintedElsewhere].map((r) => r.statusCode)).toEqual([
      200, 403, 403, 200, 403,
    ]);
    expect(bodyOf<{ error: { issues: Array<{ path: string }> } }>(fromElsewhere).error.issues[0]?.path).toBe(
      'origin',
    );
    expect(
      (await storedWithIds('bound-ok', 'bound-no', 'bound-none', 'minted-ok', 'minted-no'))
        .map((s) => s.event.eventId)
        .sort(),
    ).toEqual(['bound-ok', 'minted-ok']);
  });

  it('drops messages refused consent and those under Global Privacy Control, and counts them', async () => {
    const result = await send('/v1/batch', {
      batch: [
        page('consent-no', { context: { consent: { categoryPreferences: { Analytics: false } } } }),
        page('consent-yes', { context: { consent: { categoryPreferences: { Analytics: true } } } }),
        page('gpc-context', { context: { gpc: true } }),
        {
          type: 'identify',
          messageId: 'consent-id-no',
          anonymousId: 'a',
          userId: 'u',
          context: { consentManagement: { deniedConsentIds: ['analytics'] } },
        },
      ],
    });
    expect(bodyOf(result)).toMatchObject({ accepted: 1, archived: 0, filtered: { consent: 2, gpc: 1 } });
    const header = await send('/v1/p', page('gpc-header'), {
      headers: { authorization: basic(WRITE_KEY), origin: SITE, 'sec-gpc': '1' },
    });
    expect(bodyOf(header)).toMatchObject({ accepted: 0, filtered: { consent: 0, gpc: 1 } });
    expect(
      (await storedWithIds('consent-no', 'consent-yes', 'gpc-context', 'gpc-header')).map(
        (s) => s.event.eventId,
      ),
    ).toEqual(['consent-yes']);
    const archive = JSON.stringify(await linesUnder(ARCHIVE_PREFIX));
    expect(archive).not.toContain('consent-id-no');
  });

  it('writes no IP address and no clear-text e-mail or name, to the raw zone or the archive', async () => {
    const email = 'Ann.Lee@Example.com';
    await send('/v1/batch', {
      batch: [
        {
          type: 'identify',
          messageId: 'pii-identify',
          anonymousId: 'anon-pii',
          userId: 'user-pii',
          traits: { email, name: 'Ann Lee', phone: '+1 555 0100', plan: 'pro' },
          context: { ip: '203.0.113.7', userAgent: CHROME },
        },
        page('pii-page', {
          properties: {
            url: `https://www.acme.example/welcome?email=${encodeURIComponent(email)}`,
            referrer: '$direct',
          },
          context: { ip: '203.0.113.7' },
        }),
      ],
    });
    const everything = JSON.stringify([
      ...(await linesUnder(RAW_PREFIX)),
      ...(await linesUnder(ARCHIVE_PREFIX)),
    ]);
    for (const secret of [
      '203.0.113.7',
      email,
      email.toLowerCase(),
      encodeURIComponent(email),
      'Ann Lee',
      '555 0100',
    ])
      expect(everything).not.toContain(secret);
    // The e-mail became the keyed hash the rest of the pipeline uses for that address.
    expect(everything).toContain(hashEmail(email, HASH_SECRET));
    expect(everything).toContain('"plan":"pro"');
    const [pageView] = await storedWithIds('pii-page');
    // `$direct` is RudderStack's word for no referrer: no referrer is stored, and the event is kept.
    expect(pageView?.event).not.toHaveProperty('referrer');
  });

  it('stores the session id and the browser user agent with page views', async () => {
    await send(
      '/v1/batch',
      {
        batch: [
          page('sess-rudder', { context: { sessionId: 1_767_000_000_000, userAgent: CHROME } }),
          page('sess-tag', { context: { sessionId: 'tag-session-1' } }),
        ],
      },
      {
        headers: { authorization: basic(WRITE_KEY), origin: SITE, 'user-agent': 'Mozilla/5.0 Firefox/140.0' },
      },
    );
    const stored = await storedWithIds('sess-rudder', 'sess-tag');
    expect(stored.map((s) => [s.event.sessionId, s.event.userAgent])).toEqual([
      ['1767000000000', CHROME],
      // No user agent in the message: the browser request's own.
      ['tag-session-1', 'Mozilla/5.0 Firefox/140.0'],
    ]);
  });

  it('gives analytics.js settings pointing back at this API, for write keys only', async () => {
    const settings = (writeKey: string) =>
      collect(
        apiEvent({
          path: `/v1/projects/${writeKey}/settings`,
          route: '/v1/projects/{writeKey}/settings',
          pathParameters: { writeKey },
          key: null,
          headers: { host: 'api.acme.example', 'x-forwarded-proto': 'https', origin: SITE },
        }),
        testContext('collect'),
      );
    const ok = await settings(WRITE_KEY);
    expect(bodyOf(ok)).toEqual({
      integrations: {
        'Segment.io': { apiKey: WRITE_KEY, apiHost: 'api.acme.example/v1', protocol: 'https' },
      },
      plan: {},
      metrics: { sampleRate: 0 },
    });
    expect(ok.headers?.['access-control-allow-origin']).toBe(SITE);
    expect((await settings('not-a-write-key')).statusCode).toBe(401);
    // A secret key is never echoed back.
    expect((await settings(INGEST_KEY)).statusCode).toBe(401);
  });

  it('serves the first-party tag as cacheable JavaScript', async () => {
    const result = await collect(apiEvent({ path: '/v1/tag.js', key: null }), testContext('collect'));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^text\/javascript/);
    expect(result.headers?.['cache-control']).toContain('max-age=3600');
  });
});

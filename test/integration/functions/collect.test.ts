import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PREFIX, RAW_PREFIX } from '#adapters/raw-store.ts';
import { createCollectHandler } from '#functions/collect/handler.ts';
import { LOCAL_NAMES } from '#local/servers.ts';
import {
  apiEvent,
  bodyOf,
  INGEST_KEY,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
  writtenBy,
} from '../../support/stack.ts';

const WRITE_KEY = 'test-write-key-0123456789';
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
let stack: TestStack;
let collect: ReturnType<typeof createCollectHandler>;

const post = (
  path: string,
  body: unknown,
  headers: Record<string, string> = { authorization: basic(WRITE_KEY) },
  context = testContext('collect'),
) => collect(apiEvent({ path, body, key: null, headers }), context);

async function objects(prefix: string) {
  const page = await stack.servers.s3.send(
    new ListObjectsV2Command({ Bucket: LOCAL_NAMES.RAW_BUCKET, Prefix: prefix }),
  );
  return (page.Contents ?? []).map((object) => object.Key ?? '');
}

/** The raw zone's events as the lake builder classifies them. */
async function rawEvents() {
  const events = [];
  for (const key of await objects(RAW_PREFIX)) {
    const stored = (await stack.pipeline.rawStore.readObject(key)).events;
    events.push(...stored.map((event) => stack.pipeline.eventClassifier.classify(event)));
  }
  return events;
}

describe('the Segment-compatible routes', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    collect = createCollectHandler(stack.pipeline);
  });
  afterAll(() => stack.close());

  it('maps a batch: a configured conversion, a page with campaign context, an identify; archives the rest', async () => {
    const context = testContext('collect');
    const result = await post(
      '/v1/batch',
      {
        batch: [
          {
            type: 'page',
            messageId: 'seg-page-1',
            anonymousId: 'anon-1',
            timestamp: '2026-03-02T10:00:00.000Z',
            properties: { url: 'https://acme.example/pricing', referrer: 'https://www.google.com/' },
            context: { campaign: { source: 'newsletter', medium: 'email', name: 'march' } },
          },
          {
            type: 'identify',
            messageId: 'seg-id-1',
            anonymousId: 'anon-1',
            userId: 'user-1',
            traits: { plan: 'pro' },
          },
          {
            type: 'track',
            messageId: 'seg-buy-1',
            userId: 'user-1',
            event: 'purchase',
            timestamp: '2026-03-02T10:05:00.000Z',
            properties: { revenue: 49.5, currency: 'usd' },
          },
          { type: 'track', messageId: 'seg-other-1', userId: 'user-1', event: 'Product Viewed' },
          { type: 'screen', messageId: 'seg-screen-1', userId: 'user-1', name: 'Home' },
        ],
      },
      undefined,
      context,
    );
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ success: true, accepted: 3, archived: 3, rejected: [] });
    const events = await rawEvents();
    const byId = Object.fromEntries(events.map((event) => [event.eventId, event]));
    expect(byId['seg-page-1']).toMatchObject({
      type: 'page_view',
      userKey: 'a:anon-1',
      channel: 'email',
      utm: { source: 'newsletter', medium: 'email', campaign: 'march' },
      url: 'https://acme.example/pricing',
    });
    expect(byId['seg-buy-1']).toMatchObject({
      type: 'conversion',
      conversion: 'purchase',
      valueMicros: 49_500_000,
      userKey: 'u:user-1',
    });
    expect(byId['seg-id-1']).toMatchObject({
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      touch: false,
    });
    expect(byId['seg-other-1']).toBeUndefined();
    // The three archived messages go to one object for the request (other tests archive too).
    expect((await objects(ARCHIVE_PREFIX)).filter(writtenBy(context))).toHaveLength(1);
  });

  it("maps the e-commerce spec's cart, order and share events instead of archiving them", async () => {
    const at = '2026-03-03T10:00:00.000Z';
    const track = (messageId: string, event: string, properties: Record<string, unknown>) => ({
      type: 'track',
      messageId,
      anonymousId: 'anon-shop',
      event,
      timestamp: at,
      properties,
    });
    const result = await post('/v1/batch', {
      batch: [
        // 2 × 12.50 = 25 USD added; 12.50 removed; a checkout of 37.5; the order of 37.5.
        track('shop-add', 'Product Added', { product_id: 'p1', price: 12.5, quantity: 2 }),
        track('shop-remove', 'Product Removed', { product_id: 'p1', price: 12.5 }),
        track('shop-checkout', 'Checkout Started', { revenue: 37.5, currency: 'usd' }),
        track('shop-order', 'Order Completed', { order_id: 'o-1', total: 41, revenue: 37.5 }),
        track('shop-share', 'Product Shared', { share_via: 'Email', url: 'https://acme.example/p1' }),
        // 10 of the order refunded; a refund that names no order cannot be applied: archived.
        track('shop-refund', 'Order Refunded', { order_id: 'o-1', total: 10 }),
        track('shop-refund-2', 'Order Refunded', { reason: 'damaged' }),
      ],
    });
    expect(bodyOf(result)).toMatchObject({ accepted: 6, archived: 1, rejected: [] });
    const byId = Object.fromEntries((await rawEvents()).map((event) => [event.eventId, event]));
    expect(byId['shop-add']).toMatchObject({ type: 'cart', cartAction: 'add', valueMicros: 25_000_000 });
    expect(byId['shop-remove']).toMatchObject({
      type: 'cart',
      cartAction: 'remove',
      valueMicros: 12_500_000,
    });
    expect(byId['shop-checkout']).toMatchObject({
      type: 'cart',
      cartAction: 'checkout',
      valueMicros: 37_500_000,
    });
    // revenue (37.5) is the order's value before shipping and tax, as for a configured conversion.
    expect(byId['order:o-1']).toMatchObject({
      type: 'conversion',
      conversion: 'purchase',
      valueMicros: 37_500_000,
    });
    expect(byId['shop-order']).toBeUndefined();
    expect(byId['shop-share']).toMatchObject({
      type: 'share',
      shareNetwork: 'email',
      stage: 'advocacy',
      touch: false,
    });
    expect(byId['shop-refund']).toMatchObject({
      type: 'conversion',
      refundOf: 'order:o-1',
      valueMicros: 10_000_000,
    });
    expect(byId['shop-refund']?.stage).toBeUndefined();
    expect(byId['shop-refund-2']).toBeUndefined();
  });

  it('turns an alias into a link from the previous user id to the new one, and archives it', async () => {
    const result = await post('/v1/alias', {
      messageId: 'seg-alias-1',
      previousId: 'old-id',
      userId: 'new-id',
    });
    expect(bodyOf(result)).toMatchObject({ accepted: 1, archived: 1, rejected: [] });
    expect((await rawEvents()).find((e) => e.eventId === 'seg-alias-1')).toMatchObject({
      type: 'identify',
      userKey: 'u:new-id',
      touch: false,
    });
    // An alias without a previous id links nothing: archived, not refused.
    expect(bodyOf(await post('/v1/alias', { messageId: 'seg-alias-2', userId: 'new-id' }))).toMatchObject({
      accepted: 0,
      archived: 1,
      rejected: [],
    });
  });

  it('accepts writeKey in the body, and an ingest API key as a write key; refuses others', async () => {
    const message = { userId: 'u2', event: 'signup', messageId: 'seg-k1' };
    expect((await post('/v1/track', { ...message, writeKey: WRITE_KEY }, {})).statusCode).toBe(200);
    expect((await post('/v1/track', message, { authorization: basic(INGEST_KEY) })).statusCode).toBe(200);
    expect((await post('/v1/track', message, { authorization: basic(QUERY_KEY) })).statusCode).toBe(401);
    expect((await post('/v1/track', message, { authorization: basic('nope') })).statusCode).toBe(401);
    expect((await post('/v1/track', message, {})).statusCode).toBe(401);
  });

  it('refuses a message over 32 KB inside a batch by its index, and a batch over 500 KB whole', async () => {
    const big = {
      type: 'track',
      messageId: 'seg-big',
      userId: 'u3',
      event: 'signup',
      properties: { pad: 'x'.repeat(33_000) },
    };
    const ok = { type: 'track', messageId: 'seg-ok', userId: 'u3', event: 'signup' };
    const mixed = await post('/v1/batch', { batch: [ok, big] });
    expect(bodyOf(mixed)).toMatchObject({
      accepted: 1,
      rejected: [{ index: 1, errors: [{ path: '(message)' }] }],
    });
    const huge = await post('/v1/batch', {
      batch: Array.from({ length: 20 }, (_, i) => ({ ...big, messageId: `h${i}` })),
    });
    expect(huge.statusCode).toBe(413);
    const single = await post('/v1/track', big);
    expect(single.statusCode).toBe(413);
  });

  it('reads gzip bodies delivered base64-encoded, and keeps one event per message id', async () => {
    const batch = { batch: [{ type: 'track', messageId: 'seg-gz', userId: 'u4', event: 'lead' }] };
    const event = apiEvent({
      path: '/v1/batch',
      rawBody: gzipSync(JSON.stringify(batch)).toString('base64'),
      isBase64Encoded: true,
      key: null,
      headers: { authorization: basic(WRITE_KEY), 'content-encoding': 'gzip' },
    });
    expect((await collect(event, testContext())).statusCode).toBe(200);
    expect((await collect(event, testContext())).statusCode).toBe(200);
    expect((await rawEvents()).filter((e) => e.eventId === 'seg-gz')).toHaveLength(2);
    // The raw zone holds both deliveries; the lake, one row per event id, will hold one (see load tests).
  });

  it('keeps the write key out of the archive, and links ids carried by a non-conversion track', async () => {
    const context = testContext('collect');
    const result = await post(
      '/v1/track',
      { writeKey: WRITE_KEY, event: 'Viewed', userId: 'u9', anonymousId: 'a9', messageId: 'seg-wk' },
      {},
      context,
    );
    expect(bodyOf(result)).toMatchObject({ accepted: 1, archived: 1 });
    // This request's archive object, which must exist for the check below to mean anything.
    const archived = (await objects(ARCHIVE_PREFIX)).filter(writtenBy(context));
    expect(archived).toHaveLength(1);
    for (const key of archived) {
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const { gunzipSync } = await import('node:zlib');
      const object = await stack.servers.s3.send(
        new GetObjectCommand({ Bucket: LOCAL_NAMES.RAW_BUCKET, Key: key }),
      );
      const text = gunzipSync(
        Buffer.from(await (object.Body?.transformToByteArray() ?? Promise.resolve(new Uint8Array()))),
      ).toString();
      expect(text).toContain('seg-wk');
      expect(text).not.toContain(WRITE_KEY);
    }
    expect((await rawEvents()).find((e) => e.eventId === 'seg-wk')).toMatchObject({
      type: 'identify',
      userKey: 'u:u9',
    });
  });

  it('rejects a message nested too deep to serialise by its index instead of failing the batch', async () => {
    // Built as text: 20,000 levels parse, but serialising them again overflows the stack.
    const deep = `${'{"a":'.repeat(20_000)}{}${'}'.repeat(20_000)}`;
    const rawBody = `{"batch":[{"type":"track","messageId":"seg-fine","userId":"u5","event":"lead"},{"type":"track","messageId":"seg-deep","userId":"u5","event":"lead","properties":${deep}}]}`;
    const result = await collect(
      apiEvent({ path: '/v1/batch', rawBody, key: null, headers: { authorization: basic(WRITE_KEY) } }),
      testContext('collect'),
    );
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
  });

  it('rejects a message nested 2,000 levels deep (10 KB, under every size limit) by its index, naming where', async () => {
    // Serialisable, but the e-mail scrubber walks messages recursively: the depth is refused first.
    const deep = `${'{"a":'.repeat(2_000)}{}${'}'.repeat(2_000)}`;
    const rawBody = `{"batch":[{"type":"track","messageId":"seg-ok","userId":"u6","event":"lead"},{"type":"track","messageId":"seg-nested","userId":"u6","event":"lead","properties":${deep}}]}`;
    const result = await collect(
      apiEvent({ path: '/v1/batch', rawBody, key: null, headers: { authorization: basic(WRITE_KEY) } }),
      testContext('collect'),
    );
    expect(result.statusCode).toBe(200);
    // The message is depth 0, properties 1, then `a` keys: the object at depth 40 is refused.
    expect(bodyOf(result)).toMatchObject({
      accepted: 1,
      rejected: [
        {
          index: 1,
          errors: [
            {
              path: `properties.${Array(39).fill('a').join('.')}`,
              message: 'nests objects and arrays deeper than 40 levels',
            },
          ],
        },
      ],
    });
  });

  it('answers a body that is not a batch with 400 naming the field', async () => {
    const result = await post('/v1/batch', { messages: [] });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ error: { issues: [{ path: 'batch' }] } });
  });
});

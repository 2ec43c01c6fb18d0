import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSesWebhook } from '#domain/webhooks/ses.ts';
import { createWebhooksHandler } from '#functions/webhooks/handler.ts';
import { localS3Client } from '#local/servers.ts';
import { injectFault } from '../../support/faults.ts';
import {
  apiEvent,
  bodyOf,
  startTestStack,
  type TestStack,
  testContext,
  writtenBy,
} from '../../support/stack.ts';

const MAILGUN_KEY = 'test-mailgun-signing-key';
const mailgunEvents = JSON.parse(
  readFileSync(new URL('../../fixtures/webhooks/mailgun-events.json', import.meta.url), 'utf8'),
) as Array<Record<string, unknown>>;
let stack: TestStack;
let handler: ReturnType<typeof createWebhooksHandler>;
const NOW = Date.parse('2026-03-01T09:00:00Z');

/** A Mailgun webhook body signed the way Mailgun signs: HMAC-SHA256 of timestamp + token. */
function mailgunBody(eventData: Record<string, unknown>, token: string, timestamp = Math.floor(NOW / 1000)) {
  const signature = createHmac('sha256', MAILGUN_KEY).update(`${timestamp}${token}`).digest('hex');
  return JSON.stringify({
    signature: { timestamp: String(timestamp), token, signature },
    'event-data': eventData,
  });
}

const post = (
  provider: string,
  rawBody: string,
  headers: Record<string, string> = {},
  context = testContext('webhooks'),
) =>
  handler(
    apiEvent({
      method: 'POST',
      path: `/v1/webhooks/${provider}`,
      route: '/v1/webhooks/{provider}',
      pathParameters: { provider },
      rawBody,
      key: null,
      headers,
    }),
    context,
  );

/** The event ids in the raw zone; only those written by the requests of `contexts` when given. */
async function storedIds(...contexts: Context[]) {
  const mine = contexts.map(writtenBy);
  const ids: string[] = [];
  for await (const key of stack.pipeline.rawStore.listKeys('2026-02-27', '2026-03-03')) {
    if (mine.length > 0 && !mine.some((written) => written(key))) continue;
    ids.push(...(await stack.pipeline.rawStore.readObject(key)).events.map((stored) => stored.event.eventId));
  }
  return ids.sort();
}

describe('POST /v1/webhooks/{provider}', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    handler = createWebhooksHandler({
      pipeline: stack.pipeline,
      webhooks: stack.pipeline.config.webhooks,
      ses: createSesWebhook({
        certificates: {
          get: async () => {
            throw new Error('not used');
          },
        },
        confirm: { confirm: async () => undefined },
      }),
      now: () => NOW,
    });
  });
  afterAll(() => stack.close());

  it('stores a genuinely signed Mailgun event as an e-mail event keyed by the provider id', async () => {
    const delivered = mailgunEvents.find((e) => e.event === 'delivered') as Record<string, unknown>;
    const context = testContext('webhooks');
    const result = await post('mailgun', mailgunBody(delivered, 'token-1'), {}, context);
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ accepted: 1, rejected: [] });
    // This request's objects only: other tests of the file store Mailgun events too.
    const ids = await storedIds(context);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^mailgun:/);
  });

  it('refuses a captured Mailgun signature carrying other events: each token is accepted once', async () => {
    const [delivered, opened, clicked] = ['delivered', 'opened', 'clicked'].map(
      (name) => mailgunEvents.find((e) => e.event === name) as Record<string, unknown>,
    ) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    const first = testContext('webhooks');
    expect((await post('mailgun', mailgunBody(delivered, 'token-captured'), {}, first)).statusCode).toBe(200);
    // Mailgun signs timestamp + token only: the same signature validates any event data.
    const replays = [testContext('webhooks'), testContext('webhooks')];
    for (const [i, data] of [opened, clicked].entries()) {
      const result = await post('mailgun', mailgunBody(data, 'token-captured'), {}, replays[i]);
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toMatchObject({ error: { message: expect.stringContaining('used before') } });
    }
    expect(await storedIds(first, ...replays)).toHaveLength(1);
  });

  it('gives a token back when storing its delivery failed, so the provider can retry it', async () => {
    const delivered = mailgunEvents.find((e) => e.event === 'delivered') as Record<string, unknown>;
    const s3 = localS3Client(stack.servers.s3Endpoint);
    injectFault(s3, { commands: ['PutObjectCommand'], times: 100 });
    const failing = createWebhooksHandler({
      pipeline: stack.pipelineWith(({ dynamo }) => ({ s3, dynamo })),
      webhooks: stack.pipeline.config.webhooks,
      ses: createSesWebhook({
        certificates: { get: async () => Promise.reject(new Error('not used')) },
        confirm: { confirm: async () => undefined },
      }),
      now: () => NOW,
    });
    const body = mailgunBody(delivered, 'token-retried');
    const event = apiEvent({
      method: 'POST',
      path: '/v1/webhooks/mailgun',
      route: '/v1/webhooks/{provider}',
      pathParameters: { provider: 'mailgun' },
      rawBody: body,
      key: null,
    });
    expect((await failing(event, testContext('webhooks'))).statusCode).toBeGreaterThanOrEqual(500);
    expect((await post('mailgun', body)).statusCode).toBe(200);
  });

  it('refuses a tampered body, an expired timestamp and a missing signature with 401, storing nothing', async () => {
    const before = await storedIds();
    const opened = mailgunEvents.find((e) => e.event === 'opened') as Record<string, unknown>;
    // Mailgun signs timestamp + token (not the event data), so tampering shows in the signed part.
    const tampered = mailgunBody(opened, 'token-2').replace('"token-2"', '"token-9"');
    expect((await post('mailgun', tampered)).statusCode).toBe(401);
    expect(
      (await post('mailgun', mailgunBody(opened, 'token-3', Math.floor(NOW / 1000) - 301))).statusCode,
    ).toBe(401);
    expect((await post('mailgun', JSON.stringify({ 'event-data': opened }))).statusCode).toBe(401);
    expect(await storedIds()).toEqual(before);
  });

  it('counts a redelivered Mailgun event once (same provider id)', async () => {
    const clicked = mailgunEvents.find((e) => e.event === 'clicked') as Record<string, unknown>;
    const first = testContext('webhooks');
    const second = testContext('webhooks');
    await post('mailgun', mailgunBody(clicked, 'token-4'), {}, first);
    await post('mailgun', mailgunBody(clicked, 'token-5'), {}, second);
    // Two deliveries in the raw zone, one event id: the lake keeps one.
    const [once, again] = [await storedIds(first), await storedIds(second)];
    expect(once).toHaveLength(1);
    expect(once[0]).toMatch(/^mailgun:/);
    expect(again).toEqual(once);
  });

  it("answers Meta's verification challenge, and refuses a wrong verify token", async () => {
    const challenge = (token: string) =>
      handler(
        apiEvent({
          method: 'GET',
          path: '/v1/webhooks/meta',
          route: '/v1/webhooks/{provider}',
          pathParameters: { provider: 'meta' },
          query: { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1158201444' },
          key: null,
        }),
        testContext('webhooks'),
      );
    const ok = await challenge('test-verify-token');
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1158201444');
    expect((await challenge('wrong')).statusCode).toBeGreaterThanOrEqual(401);
  });

  it('answers 404 for an unknown provider and for one that is not configured', async () => {
    expect((await post('myspace', '{}')).statusCode).toBe(404);
    expect((await post('sendgrid', '[]')).statusCode).toBe(404);
    expect((await post('ses', '{}', { 'x-amz-sns-message-type': 'Notification' })).statusCode).toBe(404);
  });
});

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCachingCertificateSource } from '#adapters/sns-http.ts';
import { eventSchema } from '#domain/event-schema.ts';
import { createSesWebhook } from '#domain/webhooks/ses.ts';
import type { CertificateSource, SubscriptionConfirmer } from '#domain/webhooks/sns-envelope.ts';
import type { WebhookRequest } from '#domain/webhooks/types.ts';

const NOW = Date.parse('2026-03-01T10:00:00.000Z');
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:ses-events';
const SECRETS = { topicArns: [TOPIC] };
const CERT_URL =
  'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000a.pem';

type Fields = Record<string, string>;

interface SigningCert {
  readonly key: KeyObject;
  readonly pem: string;
}

let workDir: string;
let genuine: SigningCert;
let impostor: SigningCert;

/** A self-signed RSA certificate: the key pair from node:crypto, the X.509 wrapper from openssl. */
function makeCertificate(name: string): SigningCert {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = join(workDir, `${name}.key`);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const pem = execFileSync(
    'openssl',
    ['req', '-new', '-x509', '-sha256', '-key', keyFile, '-subj', '/CN=sns.amazonaws.com', '-days', '2'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { key: privateKey, pem };
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'ses-webhook-'));
  genuine = makeCertificate('genuine');
  impostor = makeCertificate('impostor');
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function fixture(name: string): string {
  return readFileSync(new URL(`../../../fixtures/webhooks/ses-${name}.json`, import.meta.url), 'utf8');
}

/** Signs `fields` the way SNS does (written independently of the module under test). */
function signed(fields: Fields, version: '1' | '2' = '2', key: KeyObject = genuine.key): Fields {
  const order =
    fields.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let canonical = '';
  for (const name of order) {
    if (fields[name] !== undefined) canonical += `${name}\n${fields[name]}\n`;
  }
  const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(canonical, 'utf8'), key);
  return {
    SigningCertURL: CERT_URL,
    ...fields,
    SignatureVersion: version,
    Signature: signature.toString('base64'),
  };
}

let messageCounter = 0;

/** An SNS Notification carrying an SES event, sent two seconds before {@link NOW}. */
function notification(sesEvent: string, overrides: Partial<Fields> = {}): Fields {
  messageCounter += 1;
  return {
    Type: 'Notification',
    MessageId: `9f2b1c4e-0d3a-4f5e-8a6b-${String(messageCounter).padStart(12, '0')}`,
    TopicArn: TOPIC,
    Message: sesEvent,
    Timestamp: new Date(NOW - 2000).toISOString(),
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:sub`,
    ...overrides,
  };
}

function request(body: Record<string, unknown> | string, headers: Record<string, string | undefined> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'Notification' : String(body.Type);
  return {
    method: 'POST',
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': type,
      ...headers,
    },
    query: {},
    rawBody: Buffer.from(raw, 'utf8'),
  } satisfies WebhookRequest;
}

function setup(pem: () => string = () => genuine.pem) {
  const certificates = { get: vi.fn<CertificateSource['get']>(async () => pem()) };
  const confirm = { confirm: vi.fn<SubscriptionConfirmer['confirm']>(async () => {}) };
  const webhook = createSesWebhook({ certificates, confirm });
  return { webhook, certificates, confirm };
}

describe('SES through SNS: signature', () => {
  it('accepts a genuine v1 (SHA1withRSA) message', async () => {
    const { webhook, certificates } = setup();
    const body = signed(notification(fixture('click')), '1');
    const outcome = await webhook.handle(request(body), SECRETS, NOW);
    expect(outcome.events).toEqual([
      {
        eventId: `ses:${body.MessageId}`,
        type: 'email',
        action: 'click',
        occurredAt: '2026-03-01T09:58:10.500Z',
        campaign: 'spring-sale',
        email: 'ana@customer.example',
        url: 'https://acme.example/spring?utm_source=ses&utm_medium=email',
        properties: {
          provider: 'ses',
          sesEventType: 'Click',
          sesMessageId: '0100018e-clck-4c1f-9a52-000000000004',
          configurationSet: 'marketing',
        },
      },
    ]);
    expect(outcome.reply).toBeUndefined();
    expect(certificates.get).toHaveBeenCalledWith(CERT_URL);
  });

  it('accepts a genuine v2 (SHA256withRSA) message', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('open')), '2');
    const outcome = await webhook.handle(request(body), SECRETS, NOW);
    expect(outcome.events).toMatchObject([
      { eventId: `ses:${body.MessageId}`, action: 'open', email: 'ana@customer.example' },
    ]);
  });

  it('genuine / tampered body / expired timestamp / missing header → accepted / 401 / 401 / 401', async () => {
    const { webhook } = setup();
    const fresh = signed(notification(fixture('delivery')));
    const accepted = await webhook.handle(request(fresh), SECRETS, NOW);
    expect(accepted.events).toHaveLength(1);

    const tampered = { ...fresh, Message: String(fresh.Message).replace('ana@', 'eve@') };
    const stale = signed(
      notification(fixture('delivery'), { Timestamp: new Date(NOW - 301_000).toISOString() }),
    );
    const attempts = [
      webhook.handle(request(tampered), SECRETS, NOW),
      webhook.handle(request(stale), SECRETS, NOW),
      webhook.handle(request(fresh, { 'x-amz-sns-message-type': undefined }), SECRETS, NOW),
    ];
    for (const attempt of attempts) {
      await expect(attempt).rejects.toMatchObject({ statusCode: 401, code: 'unauthorized' });
    }
  });

  it('keeps a 5-minute window both ways', async () => {
    const { webhook } = setup();
    const at = (offsetMs: number) =>
      signed(notification(fixture('send'), { Timestamp: new Date(NOW + offsetMs).toISOString() }));
    await expect(webhook.handle(request(at(-299_000)), SECRETS, NOW)).resolves.toBeDefined();
    await expect(webhook.handle(request(at(299_000)), SECRETS, NOW)).resolves.toBeDefined();
    await expect(webhook.handle(request(at(301_000)), SECRETS, NOW)).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(
      webhook.handle(
        request(signed(notification(fixture('send'), { Timestamp: 'yesterday' }))),
        SECRETS,
        NOW,
      ),
    ).rejects.toMatchObject({ statusCode: 401 });
  });

  it('signs the Subject when there is one', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('send'), { Subject: 'Amazon SES Email Event Notification' }));
    await expect(webhook.handle(request(body), SECRETS, NOW)).resolves.toBeDefined();
    const { Subject: _dropped, ...withoutSubject } = body;
    await expect(webhook.handle(request(withoutSubject), SECRETS, NOW)).rejects.toMatchObject({
      statusCode: 401,
    });
    await expect(
      webhook.handle(request({ ...body, Subject: 'changed' }), SECRETS, NOW),
    ).rejects.toMatchObject({ statusCode: 401 });
  });

  it('refuses a signature made with another key, whatever the certificate URL says', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('send')), '2', impostor.key);
    await expect(webhook.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 401 });
  });

  it('refuses a signature of one version presented as the other', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('send')), '1');
    await expect(
      webhook.handle(request({ ...body, SignatureVersion: '2' }), SECRETS, NOW),
    ).rejects.toMatchObject({ statusCode: 401 });
  });

  it.each([
    ['missing Signature', { Signature: undefined }],
    ['missing SignatureVersion', { SignatureVersion: undefined }],
    ['missing SigningCertURL', { SigningCertURL: undefined }],
    ['unknown SignatureVersion', { SignatureVersion: '3' }],
    ['Signature not base64', { Signature: 'not base64!' }],
  ])('refuses a message with %s (401, nothing fetched)', async (_name, change) => {
    const { webhook, certificates } = setup();
    const body = { ...signed(notification(fixture('send'))), ...change };
    await expect(webhook.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 401 });
    expect(certificates.get).not.toHaveBeenCalled();
  });

  it.each([
    'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem',
    'http://sns.us-east-1.amazonaws.com/cert.pem',
    'https://evil.example/sns.us-east-1.amazonaws.com/cert.pem',
    'https://sns.us-east-1.amazonaws.com@evil.example/cert.pem',
    'https://user@sns.us-east-1.amazonaws.com/cert.pem',
    'https://sns.us-east-1.amazonaws.com:8443/cert.pem',
    'https://sns.us-east-1.amazonaws.com/cert.txt',
    'https://sns.us-east-1.amazonaws.com/cert.pem?x=1',
    'https://sns.amazonaws.com/cert.pem',
    'https://s3.us-east-1.amazonaws.com/cert.pem',
    'https://sns.us-east-1.amazonaws.com./cert.pem',
    'https://sns.evil.amazonaws.com/cert.pem',
    'https://xsns.us-east-1.amazonaws.com/cert.pem',
    'file:///etc/ssl/cert.pem',
    'not a url',
  ])('refuses SigningCertURL %s without fetching it', async (url) => {
    const { webhook, certificates } = setup();
    const body = signed({ ...notification(fixture('send')), SigningCertURL: url });
    await expect(webhook.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 401 });
    expect(certificates.get).not.toHaveBeenCalled();
  });

  it.each([
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem',
  ])('fetches the certificate from %s', async (url) => {
    const { webhook, certificates } = setup();
    const body = signed({ ...notification(fixture('send')), SigningCertURL: url });
    await expect(webhook.handle(request(body), SECRETS, NOW)).resolves.toBeDefined();
    expect(certificates.get).toHaveBeenCalledWith(url);
  });

  it('refuses an unknown topic before fetching anything, with the answer a bad signature gets', async () => {
    const { webhook, certificates } = setup();
    const body = signed(
      notification(fixture('send'), { TopicArn: 'arn:aws:sns:us-east-1:444455556666:other' }),
    );
    const unknownTopic = await webhook.handle(request(body), SECRETS, NOW).catch((error: unknown) => error);
    expect(unknownTopic).toMatchObject({ statusCode: 401 });
    await expect(
      webhook.handle(request(signed(notification(fixture('send')))), { topicArns: [] }, NOW),
    ).rejects.toMatchObject({ statusCode: 401 });
    expect(certificates.get).not.toHaveBeenCalled();
    // A configured topic with a forged signature: the very same status and message.
    const forged = {
      ...signed(notification(fixture('send'))),
      Signature: Buffer.from('forged').toString('base64'),
    };
    const badSignature = await webhook.handle(request(forged), SECRETS, NOW).catch((error: unknown) => error);
    expect((badSignature as Error).message).toBe((unknownTopic as Error).message);
    expect(badSignature).toMatchObject({ statusCode: 401 });
  });

  it('refuses a message-type header that does not match the body, and mismatched SNS headers', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('send')));
    for (const headers of [
      { 'x-amz-sns-message-type': 'SubscriptionConfirmation' },
      { 'x-amz-sns-message-type': '' },
      { 'x-amz-sns-message-id': 'another-id' },
      { 'x-amz-sns-topic-arn': 'arn:aws:sns:us-east-1:111122223333:other' },
    ]) {
      await expect(webhook.handle(request(body, headers), SECRETS, NOW)).rejects.toMatchObject({
        statusCode: 401,
      });
    }
    const matching = { 'x-amz-sns-message-id': body.MessageId, 'x-amz-sns-topic-arn': TOPIC };
    await expect(webhook.handle(request(body, matching), SECRETS, NOW)).resolves.toBeDefined();
  });

  it('answers 503 when the certificate cannot be fetched or read, so SNS retries', async () => {
    const failing = createSesWebhook({
      certificates: { get: async () => Promise.reject(new Error('connect ETIMEDOUT')) },
      confirm: { confirm: async () => {} },
    });
    const body = signed(notification(fixture('send')));
    await expect(failing.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 503 });
    const { webhook } = setup(() => 'not a certificate');
    await expect(webhook.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 503 });
  });

  it('reads bodies: not JSON, not an SNS message, GET', async () => {
    const { webhook } = setup();
    await expect(webhook.handle(request('{not json'), SECRETS, NOW)).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(
      webhook.handle(request({ Type: 'Notification', hello: 'world' }), SECRETS, NOW),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      webhook.handle(
        request(
          { ...signed(notification(fixture('send'))), Type: 'Other' },
          { 'x-amz-sns-message-type': 'Other' },
        ),
        SECRETS,
        NOW,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    const get = { ...request(signed(notification(fixture('send')))), method: 'GET' as const };
    await expect(webhook.handle(get, SECRETS, NOW)).rejects.toMatchObject({ statusCode: 405 });
  });

  it('refuses a genuinely signed Notification whose Message is not an SES event (400)', async () => {
    const { webhook } = setup();
    for (const message of ['hello from the console', '[1,2]', '{"something":"else"}']) {
      const body = signed(notification(message));
      await expect(webhook.handle(request(body), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 400 });
    }
  });
});

describe('SES through SNS: subscriptions', () => {
  const confirmation = (): Fields => ({
    ...(JSON.parse(fixture('subscription-confirmation')) as Fields),
    Timestamp: new Date(NOW - 2000).toISOString(),
  });

  it('confirms a subscription to a known topic and stores nothing', async () => {
    const { webhook, confirm } = setup();
    const body = signed(confirmation(), '1');
    const outcome = await webhook.handle(request(body), SECRETS, NOW);
    expect(outcome).toEqual({
      events: [],
      reply: { statusCode: 200, contentType: 'application/json', body: '{"confirmed":true}' },
    });
    expect(confirm.confirm).toHaveBeenCalledTimes(1);
    expect(confirm.confirm).toHaveBeenCalledWith(body.SubscribeURL);
  });

  it('does not confirm a tampered, foreign or off-host confirmation', async () => {
    const { webhook, confirm, certificates } = setup();
    const body = signed(confirmation());
    await expect(
      webhook.handle(request({ ...body, Token: 'another-token' }), SECRETS, NOW),
    ).rejects.toMatchObject({ statusCode: 401 });
    await expect(
      webhook.handle(
        request({ ...body, SubscribeURL: 'https://evil.example/?Action=ConfirmSubscription' }),
        SECRETS,
        NOW,
      ),
    ).rejects.toMatchObject({ statusCode: 401 });
    const offHost = signed({
      ...confirmation(),
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com.evil.example/?Action=ConfirmSubscription',
    });
    await expect(webhook.handle(request(offHost), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 401 });
    const foreign = signed({ ...confirmation(), TopicArn: 'arn:aws:sns:us-east-1:444455556666:other' });
    await expect(webhook.handle(request(foreign), SECRETS, NOW)).rejects.toMatchObject({ statusCode: 401 });
    const { Token: _token, ...withoutToken } = body;
    await expect(webhook.handle(request(withoutToken), SECRETS, NOW)).rejects.toMatchObject({
      statusCode: 400,
    });
    expect(confirm.confirm).not.toHaveBeenCalled();
    expect(certificates.get).toHaveBeenCalledTimes(1);
  });

  it('answers 503 when confirming fails, so SNS sends the confirmation again', async () => {
    const webhook = createSesWebhook({
      certificates: { get: async () => genuine.pem },
      confirm: { confirm: async () => Promise.reject(new Error('socket hang up')) },
    });
    await expect(webhook.handle(request(signed(confirmation())), SECRETS, NOW)).rejects.toMatchObject({
      statusCode: 503,
    });
  });

  it('acknowledges an UnsubscribeConfirmation with no events', async () => {
    const { webhook, confirm } = setup();
    const body = signed({ ...confirmation(), Type: 'UnsubscribeConfirmation' });
    await expect(webhook.handle(request(body), SECRETS, NOW)).resolves.toEqual({ events: [] });
    expect(confirm.confirm).not.toHaveBeenCalled();
  });
});

describe('SES through SNS: mapping', () => {
  const cases = [
    {
      fixture: 'send',
      events: [{ action: 'sent', email: 'ana@customer.example', occurredAt: '2026-03-01T09:55:00.120Z' }],
      campaign: 'spring-sale',
    },
    {
      fixture: 'delivery',
      events: [
        { action: 'delivered', email: 'ana@customer.example', occurredAt: '2026-03-01T09:55:02.400Z' },
      ],
      campaign: 'marketing',
    },
    {
      fixture: 'open',
      events: [{ action: 'open', email: 'ana@customer.example', occurredAt: '2026-03-01T09:57:30.000Z' }],
      campaign: 'spring-sale',
    },
    {
      fixture: 'click',
      events: [
        {
          action: 'click',
          email: 'ana@customer.example',
          occurredAt: '2026-03-01T09:58:10.500Z',
          url: 'https://acme.example/spring?utm_source=ses&utm_medium=email',
        },
      ],
      campaign: 'spring-sale',
    },
    {
      fixture: 'bounce',
      events: [
        { action: 'bounce', email: 'gone@customer.example', occurredAt: '2026-03-01T09:55:04.000Z' },
        { action: 'bounce', email: 'full@customer.example', occurredAt: '2026-03-01T09:55:04.000Z' },
      ],
      campaign: 'spring-sale',
    },
    {
      fixture: 'complaint',
      events: [
        { action: 'complaint', email: 'ana@customer.example', occurredAt: '2026-03-01T09:59:00.000Z' },
      ],
      campaign: 'spring-sale',
    },
    {
      fixture: 'subscription',
      events: [
        { action: 'unsubscribe', email: 'ana@customer.example', occurredAt: '2026-03-01T09:59:30.000Z' },
      ],
      campaign: 'spring-sale',
    },
    {
      fixture: 'notification-bounce',
      events: [{ action: 'bounce', email: 'full@customer.example', occurredAt: '2026-03-01T09:56:30.000Z' }],
      campaign: 'ses',
    },
    {
      fixture: 'reject',
      events: [{ action: 'bounce', email: 'ana@customer.example', occurredAt: '2026-03-01T09:55:00.120Z' }],
      campaign: 'marketing',
    },
    { fixture: 'delivery-delay', events: [], campaign: undefined },
    { fixture: 'rendering-failure', events: [], campaign: undefined },
  ];

  it.each(cases)('maps ses-$fixture.json', async ({ fixture: name, events, campaign }) => {
    const { webhook } = setup();
    const body = signed(notification(fixture(name)));
    const outcome = await webhook.handle(request(body), SECRETS, NOW);
    const ids =
      events.length === 1
        ? [`ses:${body.MessageId}`]
        : events.map((_, index) => `ses:${body.MessageId}:${index}`);
    expect(outcome.events).toMatchObject(
      events.map((event, index) => ({ ...event, eventId: ids[index], type: 'email', campaign })),
    );
    expect(outcome.events).toHaveLength(events.length);
    for (const event of outcome.events) {
      const parsed = eventSchema.safeParse(event);
      expect(parsed.error?.issues ?? []).toEqual([]);
    }
  });

  it('keeps bounce and complaint details in properties', async () => {
    const { webhook } = setup();
    const bounce = await webhook.handle(request(signed(notification(fixture('bounce')))), SECRETS, NOW);
    expect(bounce.events[0]?.properties).toMatchObject({ bounceType: 'Permanent', bounceSubType: 'General' });
    const complaint = await webhook.handle(request(signed(notification(fixture('complaint')))), SECRETS, NOW);
    expect(complaint.events[0]?.properties).toMatchObject({ complaintFeedbackType: 'abuse' });
  });

  it('gives a redelivered SNS message the same event ids', async () => {
    const { webhook } = setup();
    const body = signed(notification(fixture('bounce')));
    const first = await webhook.handle(request(body), SECRETS, NOW);
    const again = await webhook.handle(request(body), SECRETS, NOW + 60_000);
    expect(again.events.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
    expect(first.events.map((event) => event.eventId)).toEqual([
      `ses:${body.MessageId}:0`,
      `ses:${body.MessageId}:1`,
    ]);
  });

  it('sends one event per recipient of a Send', async () => {
    const { webhook } = setup();
    const event = JSON.parse(fixture('send'));
    event.mail.destination = ['ana@customer.example', 'bo@customer.example'];
    const outcome = await webhook.handle(request(signed(notification(JSON.stringify(event)))), SECRETS, NOW);
    expect(outcome.events.map((e) => [e.eventId, e.email])).toEqual([
      [expect.stringMatching(/:0$/), 'ana@customer.example'],
      [expect.stringMatching(/:1$/), 'bo@customer.example'],
    ]);
  });

  it('counts an open of a message with several recipients against the message, not a guessed person', async () => {
    const { webhook } = setup();
    const event = JSON.parse(fixture('open'));
    event.mail.destination = ['ana@customer.example', 'bo@customer.example'];
    const outcome = await webhook.handle(request(signed(notification(JSON.stringify(event)))), SECRETS, NOW);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).not.toHaveProperty('email');
    expect(outcome.events[0]).toMatchObject({ anonymousId: `ses:${event.mail.messageId}` });
    expect(eventSchema.safeParse(outcome.events[0]).success).toBe(true);
  });

  it('falls back to the mail timestamp, and drops a click link that is not a web URL', async () => {
    const { webhook } = setup();
    const event = JSON.parse(fixture('click'));
    delete event.click.timestamp;
    event.click.link = 'mailto:help@acme.example';
    const outcome = await webhook.handle(request(signed(notification(JSON.stringify(event)))), SECRETS, NOW);
    expect(outcome.events[0]).toMatchObject({ occurredAt: '2026-03-01T09:55:00.120Z' });
    expect(outcome.events[0]).not.toHaveProperty('url');
  });

  it('makes a preference change that only opts in a subscribe, and one that changes nothing no event', async () => {
    const { webhook } = setup();
    const event = JSON.parse(fixture('subscription'));
    event.subscription.oldTopicPreferences = {
      unsubscribeAll: false,
      topicSubscriptionStatus: [{ topicName: 'offers', subscriptionStatus: 'OptOut' }],
    };
    event.subscription.newTopicPreferences = {
      unsubscribeAll: false,
      topicSubscriptionStatus: [{ topicName: 'offers', subscriptionStatus: 'OptIn' }],
    };
    const outcome = await webhook.handle(request(signed(notification(JSON.stringify(event)))), SECRETS, NOW);
    expect(outcome.events).toMatchObject([{ type: 'email', action: 'subscribe' }]);
    event.subscription.oldTopicPreferences = event.subscription.newTopicPreferences;
    const same = await webhook.handle(request(signed(notification(JSON.stringify(event)))), SECRETS, NOW);
    expect(same.events).toEqual([]);
  });

  it('yields nothing for SES telling the topic it is subscribed', async () => {
    const { webhook } = setup();
    const message = JSON.stringify({
      notificationType: 'AmazonSnsSubscriptionSucceeded',
      message: 'Bounce notifications for acme.example will now reach this topic.',
    });
    const outcome = await webhook.handle(request(signed(notification(message))), SECRETS, NOW);
    expect(outcome.events).toEqual([]);
  });
});

describe('the certificate cache in front of the webhook (createCachingCertificateSource, adapters)', () => {
  it('fetches a URL once, shares a fetch in flight, and keeps no failures', async () => {
    let fail = true;
    const fetchPem = vi.fn(async (_url: string) => {
      if (fail) throw new Error('temporary');
      return genuine.pem;
    });
    const source = createCachingCertificateSource(fetchPem);
    await expect(source.get(CERT_URL)).rejects.toThrow('temporary');
    fail = false;
    const [a, b] = await Promise.all([source.get(CERT_URL), source.get(CERT_URL)]);
    await source.get(CERT_URL);
    expect(a).toBe(genuine.pem);
    expect(b).toBe(genuine.pem);
    expect(fetchPem).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing that is not a certificate', async () => {
    const fetchPem = vi.fn(async (_url: string) => '<html>oops</html>');
    const source = createCachingCertificateSource(fetchPem);
    await expect(source.get(CERT_URL)).rejects.toThrow();
    await expect(source.get(CERT_URL)).rejects.toThrow();
    expect(fetchPem).toHaveBeenCalledTimes(2);
  });

  it('evicts the least recently used URL beyond maxEntries', async () => {
    const fetchPem = vi.fn(async (_url: string) => genuine.pem);
    const source = createCachingCertificateSource(fetchPem, 2);
    const url = (n: number) => `https://sns.us-east-1.amazonaws.com/cert-${n}.pem`;
    await source.get(url(1));
    await source.get(url(2));
    await source.get(url(1)); // 1 is now the most recent
    await source.get(url(3)); // evicts 2
    await source.get(url(1));
    expect(fetchPem).toHaveBeenCalledTimes(3);
    await source.get(url(2));
    expect(fetchPem).toHaveBeenCalledTimes(4);
    expect(() => createCachingCertificateSource(fetchPem, 0)).toThrow();
  });

  it('serves the webhook: many messages, one fetch', async () => {
    const fetchPem = vi.fn(async (_url: string) => genuine.pem);
    const webhook = createSesWebhook({
      certificates: createCachingCertificateSource(fetchPem),
      confirm: { confirm: async () => {} },
    });
    for (const name of ['send', 'delivery', 'open', 'click']) {
      await webhook.handle(request(signed(notification(fixture(name)))), SECRETS, NOW);
    }
    expect(fetchPem).toHaveBeenCalledTimes(1);
  });
});

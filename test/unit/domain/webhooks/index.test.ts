import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  handleWebhook,
  isWebhookRoute,
  WEBHOOK_PROVIDERS,
  WEBHOOK_ROUTES,
  webhooksConfigSchema,
} from '#domain/webhooks/index.ts';
import type { WebhookRequest } from '#domain/webhooks/types.ts';
import { statusOf } from '../../../support/webhooks.ts';

const NOW = Date.UTC(2026, 2, 1, 10);

const status = statusOf;

describe('WEBHOOK_PROVIDERS', () => {
  it('has one provider per route, each reading its own key of the webhooks config', () => {
    expect(WEBHOOK_ROUTES).toEqual(['sendgrid', 'mailgun', 'standard', 'google-ads', 'meta']);
    expect(
      Object.fromEntries(WEBHOOK_ROUTES.map((route) => [route, WEBHOOK_PROVIDERS[route].configKey])),
    ).toEqual({
      sendgrid: 'sendgrid',
      mailgun: 'mailgun',
      standard: 'standard',
      'google-ads': 'googleAds',
      meta: 'meta',
    });
    expect(isWebhookRoute('meta')).toBe(true);
    expect(isWebhookRoute('ses')).toBe(false);
    expect(isWebhookRoute('toString')).toBe(false);
  });
});

describe('webhooksConfigSchema', () => {
  it('checks the secrets of the providers given and lets other keys through', () => {
    const parsed = webhooksConfigSchema.safeParse({
      meta: { appSecret: 'a', verifyToken: 'b' },
      googleAds: { key: 'k' },
      ses: { topicArns: ['arn:aws:sns:eu-west-1:123456789012:ses'] },
    });
    expect(parsed.success).toBe(true);
    expect(webhooksConfigSchema.safeParse({ meta: { appSecret: 'a' } }).success).toBe(false);
    expect(webhooksConfigSchema.safeParse({ standard: { secret: 'whsec_short' } }).success).toBe(false);
  });
});

describe('handleWebhook', () => {
  const appSecret = 'index-app-secret';
  const body = JSON.stringify({
    object: 'page',
    entry: [{ id: '1', time: NOW / 1000, changes: [{ field: 'leadgen', value: { leadgen_id: '77' } }] }],
  });
  const request: WebhookRequest = {
    method: 'POST',
    headers: {
      'x-hub-signature-256': `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`,
    },
    query: {},
    rawBody: Buffer.from(body),
  };

  it('runs the provider with its secrets from the config', () => {
    const outcome = handleWebhook('meta', request, { meta: { appSecret, verifyToken: 't' } }, NOW);
    expect(outcome.events).toMatchObject([{ eventId: 'meta:77', name: 'lead' }]);
  });

  it('404s a provider that is not configured and 500s one whose secrets are invalid', () => {
    expect(status(() => handleWebhook('meta', request, {}, NOW))).toBe(404);
    expect(status(() => handleWebhook('meta', request, { meta: { appSecret } }, NOW))).toBe(500);
  });

  it('401s a request signed with other secrets', () => {
    expect(
      status(() => handleWebhook('meta', request, { meta: { appSecret: 'x', verifyToken: 't' } }, NOW)),
    ).toBe(401);
  });
});

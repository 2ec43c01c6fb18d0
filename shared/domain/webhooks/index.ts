import { z } from 'zod';
import { InternalError, NotFoundError } from '../errors.ts';
import type { WebhookProvider } from './common.ts';
import { googleAdsSecretsSchema, googleAdsWebhook } from './google-ads.ts';
import { mailgunSecretsSchema, mailgunWebhook } from './mailgun.ts';
import { metaSecretsSchema, metaWebhook } from './meta.ts';
import { sendgridSecretsSchema, sendgridWebhook } from './sendgrid.ts';
import { standardSecretsSchema, standardWebhook } from './standard-webhooks.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

export type { WebhookProvider } from './common.ts';
export type { GoogleAdsSecrets } from './google-ads.ts';
export type { MailgunSecrets } from './mailgun.ts';
export type { MetaSecrets } from './meta.ts';
export type { SendgridSecrets } from './sendgrid.ts';
export type { StandardSecrets } from './standard-webhooks.ts';
export type { WebhookOutcome, WebhookReply, WebhookRequest } from './types.ts';
export { REPLAY_WINDOW_MS } from './types.ts';
export {
  googleAdsSecretsSchema,
  mailgunSecretsSchema,
  metaSecretsSchema,
  sendgridSecretsSchema,
  standardSecretsSchema,
};

/**
 * The webhook providers by route name (`/v1/webhooks/<route>`): `sendgrid`, `mailgun`,
 * `standard` (Standard Webhooks, for ad platforms and bridges), `google-ads` (lead forms) and
 * `meta` (lead ads).
 */
export const WEBHOOK_PROVIDERS = {
  sendgrid: sendgridWebhook,
  mailgun: mailgunWebhook,
  standard: standardWebhook,
  'google-ads': googleAdsWebhook,
  meta: metaWebhook,
} as const;

export type WebhookRoute = keyof typeof WEBHOOK_PROVIDERS;
export const WEBHOOK_ROUTES = Object.keys(WEBHOOK_PROVIDERS) as WebhookRoute[];

export function isWebhookRoute(name: string): name is WebhookRoute {
  return Object.hasOwn(WEBHOOK_PROVIDERS, name);
}

/**
 * The `webhooks` block of the config file with each provider's secrets checked; providers left
 * out are not configured (their route answers 404). Other keys (`ses`) pass through untouched.
 */
export const webhooksConfigSchema = z.looseObject({
  sendgrid: sendgridSecretsSchema.optional(),
  mailgun: mailgunSecretsSchema.optional(),
  standard: standardSecretsSchema.optional(),
  googleAds: googleAdsSecretsSchema.optional(),
  meta: metaSecretsSchema.optional(),
});

/**
 * Runs the provider of `route` with its secrets taken from the config's `webhooks` block:
 * `404` when that provider is not configured, `500` when its secrets are invalid (a
 * deployment fault the config check should have caught), else whatever the provider answers.
 */
export function handleWebhook(
  route: WebhookRoute,
  request: WebhookRequest,
  webhooks: Readonly<Record<string, unknown>>,
  now: number,
): WebhookOutcome {
  const provider = WEBHOOK_PROVIDERS[route] as WebhookProvider<unknown>;
  const raw = Object.hasOwn(webhooks, provider.configKey) ? webhooks[provider.configKey] : undefined;
  if (raw === undefined) throw new NotFoundError(`the ${route} webhook is not configured`);
  const secrets = provider.secretsSchema.safeParse(raw);
  if (!secrets.success) {
    throw new InternalError(`the ${route} webhook secrets (webhooks.${provider.configKey}) are invalid`, {
      cause: secrets.error,
    });
  }
  return provider.handle(request, secrets.data, now);
}

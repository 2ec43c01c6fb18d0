import { z } from 'zod';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import {
  isRecord,
  parseJsonBody,
  providerEventId,
  requirePost,
  safeEqualText,
  textOf,
  type WebhookProvider,
} from './common.ts';
import type { WebhookOutcome, WebhookRequest } from './types.ts';

/**
 * Google Ads lead-form webhooks. Google posts one lead per request as JSON (`lead_id`,
 * `user_column_data`, `form_id`, `campaign_id`, `adgroup_id`, `creative_id`, `gcl_id`,
 * `is_test`, `api_version`, `google_key`). The only proof of origin is `google_key`, the key the
 * advertiser typed into the form's webhook settings, echoed in the body: it is compared in
 * constant time. The scheme signs nothing and has no timestamp, so there is no replay window and
 * a body cannot be checked for tampering beyond the key (TLS protects it in transit); replays
 * are harmless because the lead id is the event id.
 *
 * A lead becomes a `lead` conversion:
 * - `eventId` `google-ads:<lead_id>`;
 * - the user is `anonymousId` `gclid:<gcl_id>` (the click that led to the form: the one id the
 *   lead shares with the rest of the journey), or `google-ads-lead:<lead_id>` without a click id;
 * - `occurredAt` the payload's `lead_submit_time` when it has one, else the time of receipt
 *   (Google posts a lead as it is submitted);
 * - `campaign` the campaign id, `utm` `{ source: google, medium: cpc, id: <campaign id> }`;
 * - the form, ad group, creative and click ids in `properties`.
 * The form answers (`user_column_data`: names, e-mail, phone) are personal data and are never
 * copied. Test leads (`is_test: true`, sent by "Send test data") are accepted and dropped, so
 * setting the webhook up does not add conversions.
 */

export const googleAdsSecretsSchema = z.strictObject({
  /** The key entered in the lead form's webhook integration, sent back as `google_key`. */
  key: z.string().min(1),
});
export type GoogleAdsSecrets = z.output<typeof googleAdsSecretsSchema>;

/** Checks `google_key`; throws 401 when it is missing or wrong. */
export function verifyGoogleAds(body: unknown, secrets: GoogleAdsSecrets): void {
  const given = isRecord(body) ? body.google_key : undefined;
  if (typeof given !== 'string' || given === '') throw new UnauthorizedError('missing google_key');
  if (!safeEqualText(given, secrets.key)) throw new UnauthorizedError('google_key does not match');
}

function occurredAtOf(lead: Record<string, unknown>, now: number): string {
  const submitted =
    typeof lead.lead_submit_time === 'string' ? Date.parse(lead.lead_submit_time) : Number.NaN;
  return new Date(Number.isFinite(submitted) ? submitted : now).toISOString();
}

/** A verified lead → a `lead` conversion, or undefined for a test lead. */
export function mapGoogleAdsLead(
  lead: Record<string, unknown>,
  now: number,
): Record<string, unknown> | undefined {
  const leadId = textOf(lead.lead_id, 1024);
  if (!leadId) {
    throw new ValidationError('the lead has no lead_id', {
      issues: [{ path: 'lead_id', message: 'is required' }],
    });
  }
  if (lead.is_test === true) return undefined;
  const gclid = textOf(lead.gcl_id, 240);
  const campaign = textOf(lead.campaign_id);
  const properties: Record<string, unknown> = { provider: 'google_ads', leadId };
  const ids = {
    formId: lead.form_id,
    adGroupId: lead.adgroup_id,
    creativeId: lead.creative_id,
    assetGroupId: lead.asset_group_id,
    apiVersion: lead.api_version,
  };
  for (const [name, value] of Object.entries(ids)) {
    const text = textOf(value, 64);
    if (text) properties[name] = text;
  }
  if (gclid) properties.gclid = gclid;
  return {
    eventId: providerEventId('google-ads', leadId),
    type: 'conversion',
    name: 'lead',
    occurredAt: occurredAtOf(lead, now),
    anonymousId: gclid ? `gclid:${gclid}` : `google-ads-lead:${leadId.slice(0, 200)}`,
    ...(campaign ? { campaign } : {}),
    utm: { source: 'google', medium: 'cpc', ...(campaign ? { id: campaign } : {}) },
    properties,
  };
}

export function handleGoogleAds(
  request: WebhookRequest,
  secrets: GoogleAdsSecrets,
  now: number,
): WebhookOutcome {
  requirePost(request, 'Google Ads lead form');
  const body = parseJsonBody(request.rawBody);
  verifyGoogleAds(body, secrets);
  const event = mapGoogleAdsLead(body as Record<string, unknown>, now);
  return { events: event ? [event] : [] };
}

export const googleAdsWebhook: WebhookProvider<GoogleAdsSecrets> = {
  configKey: 'googleAds',
  secretsSchema: googleAdsSecretsSchema,
  handle: handleGoogleAds,
};

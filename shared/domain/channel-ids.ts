import { z } from 'zod';

/** Channel ids of docs/channels.md, in the order reports list them when counts tie. */
export const CHANNEL_IDS = [
  'direct',
  'cross_network',
  'paid_shopping',
  'paid_search',
  'paid_social',
  'paid_video',
  'display',
  'paid_other',
  'organic_shopping',
  'organic_social',
  'organic_video',
  'organic_search',
  'referral',
  'email',
  'affiliates',
  'audio',
  'sms',
  'mobile_push',
  'unassigned',
] as const;

export const channelIdSchema = z.enum(CHANNEL_IDS);
export type ChannelId = z.infer<typeof channelIdSchema>;

/** Categories a referrer host or a UTM source can fall in. */
export const SOURCE_CATEGORIES = ['search', 'social', 'video', 'shopping', 'email', 'other'] as const;
export const sourceCategorySchema = z.enum(SOURCE_CATEGORIES);
export type SourceCategory = z.infer<typeof sourceCategorySchema>;

/**
 * The signals a channel rule can test. Each is a lower-cased string, empty when absent:
 * - `eventType`: the event's type (`page_view`, `ad_click`, ...)
 * - `utm`: `present` when any of UTM source, medium or campaign is set, else empty
 * - `source`, `medium`, `campaign`: UTM values
 * - `sourceCategory`: category of the UTM source (by name or host) from the referrer catalogue
 * - `clickId`: the click-id parameter name found (`gclid`, `msclkid`, `fbclid`, ...)
 * - `platform`, `network`: of ad events
 * - `referrer`: `none` (no referrer), `own` (one of the own domains) or `external`
 * - `referrerCategory`: category of an external referrer host
 */
export const SIGNAL_NAMES = [
  'eventType',
  'utm',
  'source',
  'medium',
  'campaign',
  'sourceCategory',
  'clickId',
  'platform',
  'network',
  'referrer',
  'referrerCategory',
] as const;
export const signalNameSchema = z.enum(SIGNAL_NAMES);
export type SignalName = z.infer<typeof signalNameSchema>;
export type TouchSignals = Readonly<Record<SignalName, string>>;

/**
 * One channel rule: the first rule whose every condition matches decides the channel. A
 * condition is a regular expression matched case-insensitively against the whole signal value
 * (`^…$` is implied); an absent signal is the empty string, so `''` tests absence.
 */
export const channelRuleSchema = z.object({
  channel: channelIdSchema,
  when: z.partialRecord(signalNameSchema, z.string()),
  note: z.string().optional(),
});
export type ChannelRule = z.infer<typeof channelRuleSchema>;

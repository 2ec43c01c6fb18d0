import type { ChannelRule } from './channel-ids.ts';

// Patterns are matched case-insensitively against the whole signal (the engine adds ^…$), so an
// alternation needs no group of its own.

/** GA4's paid medium: `^(.*cp.*|ppc|retargeting|paid.*)$` (cpc, cpm, cpv, ppc, paid_social, ...). */
const PAID_MEDIUM = '.*cp.*|ppc|retargeting|paid.*';
/** GA4's shopping campaign name: "shop" after a non-letter, the start or an "e" (eshop), or "shopping". */
const SHOPPING_CAMPAIGN = '.*(?:(?:[^a-df-z]|^)shop|shopping).*';
const SOCIAL_MEDIUM = 'social|social-network|social-media|sm|social network|social media';
const EMAIL_TAG = 'email|e-mail|e_mail|e mail';
const GOOGLE_CLICK_ID = 'gclid|gbraid|wbraid';
const AD_EVENT = 'ad_impression|ad_click';

/**
 * The built-in channel rules (docs/channels.md), first match wins; the explicit `channel` of an event
 * is applied by the engine before any rule, and a touch no rule matches is `direct`.
 *
 * Order: UTM-tagged touches follow GA4's default channel grouping, in its order (a GA4 "A OR B"
 * is two rules); then click ids; then ad events by network, else platform; then e-mail and
 * search events; then the referrer. UTM tags win over everything after them because every
 * UTM-tagged touch ends in the UTM block (at worst as `unassigned`, as in GA4).
 *
 * Beyond GA4: referrers of video and shopping sites and of webmail map to organic video,
 * organic shopping and email (GA4 reads a webmail referrer as a plain referral).
 */
export const DEFAULT_CHANNEL_RULES: readonly ChannelRule[] = [
  // (a) UTM tags, GA4 default channel grouping.
  {
    channel: 'direct',
    when: { utm: 'present', source: '\\(direct\\)', medium: '|\\(none\\)|\\(not set\\)' },
    note: 'GA4 Direct: source "(direct)" with medium "(none)", "(not set)" or none',
  },
  {
    channel: 'cross_network',
    when: { utm: 'present', campaign: '.*cross-network.*' },
    note: 'GA4 Cross-network: campaign contains "cross-network" (Performance Max, Demand Gen)',
  },
  {
    channel: 'paid_shopping',
    when: { utm: 'present', sourceCategory: 'shopping', medium: PAID_MEDIUM },
    note: 'GA4 Paid Shopping: shopping site source with a paid medium',
  },
  {
    channel: 'paid_shopping',
    when: { utm: 'present', campaign: SHOPPING_CAMPAIGN, medium: PAID_MEDIUM },
    note: 'GA4 Paid Shopping: shopping campaign name with a paid medium',
  },
  {
    channel: 'paid_search',
    when: { utm: 'present', sourceCategory: 'search', medium: PAID_MEDIUM },
    note: 'GA4 Paid Search: search engine source with a paid medium',
  },
  {
    channel: 'paid_social',
    when: { utm: 'present', sourceCategory: 'social', medium: PAID_MEDIUM },
    note: 'GA4 Paid Social: social site source with a paid medium',
  },
  {
    channel: 'paid_video',
    when: { utm: 'present', sourceCategory: 'video', medium: PAID_MEDIUM },
    note: 'GA4 Paid Video: video site source with a paid medium',
  },
  {
    channel: 'display',
    when: { utm: 'present', medium: 'display|banner|expandable|interstitial|cpm' },
    note: 'GA4 Display: display media (cpm from a search, social or video source is already taken above)',
  },
  {
    channel: 'paid_other',
    when: { utm: 'present', medium: PAID_MEDIUM },
    note: 'GA4 Paid Other: paid medium from a source in no list',
  },
  {
    channel: 'organic_shopping',
    when: { utm: 'present', sourceCategory: 'shopping' },
    note: 'GA4 Organic Shopping: shopping site source',
  },
  {
    channel: 'organic_shopping',
    when: { utm: 'present', campaign: SHOPPING_CAMPAIGN },
    note: 'GA4 Organic Shopping: shopping campaign name',
  },
  {
    channel: 'organic_social',
    when: { utm: 'present', sourceCategory: 'social' },
    note: 'GA4 Organic Social: social site source',
  },
  {
    channel: 'organic_social',
    when: { utm: 'present', medium: SOCIAL_MEDIUM },
    note: 'GA4 Organic Social: social medium',
  },
  {
    channel: 'organic_video',
    when: { utm: 'present', sourceCategory: 'video' },
    note: 'GA4 Organic Video: video site source',
  },
  {
    channel: 'organic_video',
    when: { utm: 'present', medium: '.*video.*' },
    note: 'GA4 Organic Video: medium contains "video"',
  },
  {
    channel: 'organic_search',
    when: { utm: 'present', sourceCategory: 'search' },
    note: 'GA4 Organic Search: search engine source (even with medium email: GA4 checks this first)',
  },
  {
    channel: 'organic_search',
    when: { utm: 'present', medium: 'organic' },
    note: 'GA4 Organic Search: medium "organic"',
  },
  {
    channel: 'referral',
    when: { utm: 'present', medium: 'referral|app|link' },
    note: 'GA4 Referral: medium referral, app or link',
  },
  {
    channel: 'email',
    when: { utm: 'present', source: EMAIL_TAG },
    note: 'GA4 Email: source email, e-mail, e_mail or "e mail"',
  },
  {
    channel: 'email',
    when: { utm: 'present', medium: EMAIL_TAG },
    note: 'GA4 Email: medium email, e-mail, e_mail or "e mail"',
  },
  {
    channel: 'affiliates',
    when: { utm: 'present', medium: 'affiliate' },
    note: 'GA4 Affiliates: medium "affiliate"',
  },
  {
    channel: 'audio',
    when: { utm: 'present', medium: 'audio' },
    note: 'GA4 Audio: medium "audio"',
  },
  {
    channel: 'sms',
    when: { utm: 'present', source: 'sms' },
    note: 'GA4 SMS: source "sms"',
  },
  {
    channel: 'sms',
    when: { utm: 'present', medium: 'sms' },
    note: 'GA4 SMS: medium "sms"',
  },
  {
    channel: 'mobile_push',
    when: { utm: 'present', medium: '.*push' },
    note: 'GA4 Mobile Push Notifications: medium ends with "push"',
  },
  {
    channel: 'mobile_push',
    when: { utm: 'present', medium: '.*(?:mobile|notification).*' },
    note: 'GA4 Mobile Push Notifications: medium contains "mobile" or "notification"',
  },
  {
    channel: 'mobile_push',
    when: { utm: 'present', source: 'firebase' },
    note: 'GA4 Mobile Push Notifications: source "firebase"',
  },
  {
    channel: 'unassigned',
    when: { utm: 'present' },
    note: 'GA4 Unassigned: UTM-tagged but no rule above fits; never falls through to click ids or referrer',
  },

  // (b) Click ids: the ad platform tagged the landing URL itself.
  {
    channel: 'display',
    when: { clickId: GOOGLE_CLICK_ID, network: 'display' },
    note: 'Google Ads click on the display network',
  },
  {
    channel: 'paid_video',
    when: { clickId: GOOGLE_CLICK_ID, network: 'video' },
    note: 'Google Ads click on YouTube / video',
  },
  {
    channel: 'paid_shopping',
    when: { clickId: GOOGLE_CLICK_ID, network: 'shopping' },
    note: 'Google Ads click on a shopping ad',
  },
  {
    channel: 'paid_social',
    when: { clickId: GOOGLE_CLICK_ID, network: 'social' },
    note: 'Google Ads click reported on a social network',
  },
  {
    channel: 'paid_search',
    when: { clickId: GOOGLE_CLICK_ID },
    note: 'Google Ads click (gclid, or gbraid/wbraid on iOS) defaults to search',
  },
  {
    channel: 'display',
    when: { clickId: 'dclid' },
    note: 'Campaign Manager 360 / Display & Video 360 click',
  },
  {
    channel: 'paid_search',
    when: { clickId: 'msclkid' },
    note: 'Microsoft Advertising click',
  },
  {
    channel: 'paid_social',
    when: { clickId: 'ttclid|twclid|li_fat_id|sccid|epik|rdt_cid' },
    note: 'TikTok, X, LinkedIn, Snapchat, Pinterest or Reddit ad click (fbclid is not here: Meta adds it to organic links too)',
  },

  // (c) Ad events: by network when given, else by platform.
  {
    channel: 'paid_search',
    when: { eventType: AD_EVENT, network: 'search' },
    note: 'ad on a search network',
  },
  {
    channel: 'display',
    when: { eventType: AD_EVENT, network: 'display' },
    note: 'ad on a display network',
  },
  {
    channel: 'paid_video',
    when: { eventType: AD_EVENT, network: 'video' },
    note: 'ad on a video network',
  },
  {
    channel: 'paid_social',
    when: { eventType: AD_EVENT, network: 'social' },
    note: 'ad on a social network',
  },
  {
    channel: 'paid_shopping',
    when: { eventType: AD_EVENT, network: 'shopping' },
    note: 'ad on a shopping network',
  },
  {
    channel: 'paid_search',
    when: { eventType: AD_EVENT, network: '', platform: 'google_ads|bing_ads|microsoft_ads' },
    note: 'search ad platform, no network given',
  },
  {
    channel: 'paid_social',
    when: {
      eventType: AD_EVENT,
      network: '',
      platform: 'meta|facebook|instagram|tiktok|linkedin|snapchat|pinterest|twitter|x|reddit',
    },
    note: 'social ad platform, no network given',
  },
  {
    channel: 'paid_video',
    when: { eventType: AD_EVENT, network: '', platform: 'youtube' },
    note: 'video ad platform, no network given',
  },
  {
    channel: 'display',
    when: { eventType: AD_EVENT, network: '', platform: 'display|dv360|criteo|taboola|outbrain' },
    note: 'display or native ad platform, no network given',
  },
  {
    channel: 'paid_other',
    when: { eventType: AD_EVENT },
    note: 'any other ad: paid, but of no known kind',
  },

  // (d) Events that are a channel by nature.
  {
    channel: 'email',
    when: { eventType: 'email' },
    note: 'e-mail event (open, click, ...)',
  },
  {
    channel: 'organic_search',
    when: { eventType: 'search' },
    note: 'search (volume) event',
  },

  // (e) Referrer.
  {
    channel: 'direct',
    when: { referrer: 'own' },
    note: 'internal navigation from one of the own domains is not a new source',
  },
  {
    channel: 'organic_search',
    when: { referrer: 'external', referrerCategory: 'search' },
    note: 'referred by a search engine',
  },
  {
    channel: 'organic_social',
    when: { referrer: 'external', referrerCategory: 'social' },
    note: 'referred by a social site',
  },
  {
    channel: 'organic_video',
    when: { referrer: 'external', referrerCategory: 'video' },
    note: 'referred by a video site',
  },
  {
    channel: 'organic_shopping',
    when: { referrer: 'external', referrerCategory: 'shopping' },
    note: 'referred by a shopping site',
  },
  {
    channel: 'email',
    when: { referrer: 'external', referrerCategory: 'email' },
    note: 'referred by a webmail site (GA4 would call this a referral)',
  },
  {
    channel: 'referral',
    when: { referrer: 'external' },
    note: 'referred by any other site',
  },
  // (f) No rule matched: the engine answers `direct`.
];

import { describe, expect, it } from 'vitest';
import type { ChannelId } from '#domain/channel-ids.ts';
import { CHANNEL_IDS, channelRuleSchema } from '#domain/channel-ids.ts';
import { DEFAULT_CHANNEL_RULES } from '#domain/channel-rules.ts';
import type { TouchFacts } from '#domain/channels.ts';
import { createChannelClassifier } from '#domain/channels.ts';
import { attributionConfigSchema } from '#domain/config.ts';
import type { Utm } from '#domain/event-schema.ts';
import { createReferrerCatalogue } from '#domain/referrers.ts';

const classifier = createChannelClassifier({
  rules: DEFAULT_CHANNEL_RULES,
  catalogue: createReferrerCatalogue(),
  ownDomains: ['acme.example'],
});

/** A page view landing with UTM tags. */
const tagged = (utm: Utm, more: Partial<TouchFacts> = {}): TouchFacts => ({
  eventType: 'page_view',
  utm,
  ...more,
});
/** A page view landing with a click id. */
const clicked = (clickIdName: string, more: Partial<TouchFacts> = {}): TouchFacts => ({
  eventType: 'page_view',
  clickIdName,
  ...more,
});
/** An ad event from a platform, on a network if given. */
const ad = (eventType: 'ad_impression' | 'ad_click', platform: string, network?: string): TouchFacts => ({
  eventType,
  platform,
  network,
});
/** A page view referred by a host. */
const referred = (referrerHost: string, more: Partial<TouchFacts> = {}): TouchFacts => ({
  eventType: 'page_view',
  referrerHost,
  ...more,
});

interface Case {
  readonly name: string;
  readonly facts: TouchFacts;
  readonly explicit?: ChannelId;
  readonly expected: ChannelId;
}

// Every expectation follows GA4's published default channel group definitions for UTM-tagged
// touches, and docs/channels.md for click ids, ad events, e-mail and search events and referrers.
const cases: readonly Case[] = [
  // Explicit channel.
  {
    name: 'a touch with an explicit channel by that channel, over its UTM tags',
    facts: tagged({ source: 'google', medium: 'cpc' }),
    explicit: 'affiliates',
    expected: 'affiliates',
  },
  {
    name: 'an ad click with an explicit channel by that channel, over its click id',
    facts: { ...ad('ad_click', 'google_ads'), clickIdName: 'gclid' },
    explicit: 'cross_network',
    expected: 'cross_network',
  },

  // UTM tags, in GA4 order.
  {
    name: 'a (direct) / (none) tagged visit',
    facts: tagged({ source: '(direct)', medium: '(none)' }),
    expected: 'direct',
  },
  {
    name: 'a campaign whose name contains cross-network',
    facts: tagged({ source: 'google', medium: 'cpc', campaign: 'pmax_cross-network_q3' }),
    expected: 'cross_network',
  },
  { name: 'amazon / cpc', facts: tagged({ source: 'amazon', medium: 'cpc' }), expected: 'paid_shopping' },
  {
    name: 'ebay / paidsearch',
    facts: tagged({ source: 'ebay', medium: 'paidsearch' }),
    expected: 'paid_shopping',
  },
  {
    name: 'google / cpc with a shopping campaign name, before paid search',
    facts: tagged({ source: 'google', medium: 'cpc', campaign: 'summer_shop' }),
    expected: 'paid_shopping',
  },
  { name: 'google / cpc', facts: tagged({ source: 'google', medium: 'cpc' }), expected: 'paid_search' },
  { name: 'bing / ppc', facts: tagged({ source: 'bing', medium: 'ppc' }), expected: 'paid_search' },
  {
    name: 'Google / CPC in any case',
    facts: tagged({ source: 'Google', medium: 'CPC', campaign: 'Brand' }),
    expected: 'paid_search',
  },
  {
    name: 'google / cpm as paid search, since paid search comes before display',
    facts: tagged({ source: 'google', medium: 'cpm' }),
    expected: 'paid_search',
  },
  {
    name: 'www.google.co.uk as a source host with a paid medium',
    facts: tagged({ source: 'www.google.co.uk', medium: 'retargeting' }),
    expected: 'paid_search',
  },
  {
    name: 'facebook / paid_social',
    facts: tagged({ source: 'facebook', medium: 'paid_social' }),
    expected: 'paid_social',
  },
  { name: 'ig / cpc', facts: tagged({ source: 'ig', medium: 'cpc' }), expected: 'paid_social' },
  { name: 't.co / cpc', facts: tagged({ source: 't.co', medium: 'cpc' }), expected: 'paid_social' },
  { name: 'tiktok / paid', facts: tagged({ source: 'tiktok', medium: 'paid' }), expected: 'paid_social' },
  { name: 'youtube / cpv', facts: tagged({ source: 'youtube', medium: 'cpv' }), expected: 'paid_video' },
  { name: 'dv360 / display', facts: tagged({ source: 'dv360', medium: 'display' }), expected: 'display' },
  {
    name: 'a banner from a source in no list',
    facts: tagged({ source: 'partner-site', medium: 'Banner' }),
    expected: 'display',
  },
  {
    name: 'a retargeting medium from a source in no list',
    facts: tagged({ source: 'adroll', medium: 'retargeting' }),
    expected: 'paid_other',
  },
  {
    name: 'awin / cpa as paid other, since the paid medium comes before affiliates',
    facts: tagged({ source: 'awin', medium: 'cpa' }),
    expected: 'paid_other',
  },
  {
    name: 'amazon / referral',
    facts: tagged({ source: 'amazon', medium: 'referral' }),
    expected: 'organic_shopping',
  },
  {
    name: 'an e-mail with an eshop campaign name, before email',
    facts: tagged({ source: 'newsletter', medium: 'email', campaign: 'eshop-launch' }),
    expected: 'organic_shopping',
  },
  {
    name: 'an e-mail with a workshop campaign name (not a shop)',
    facts: tagged({ source: 'newsletter', medium: 'email', campaign: 'spring-workshop' }),
    expected: 'email',
  },
  {
    name: 'facebook / social',
    facts: tagged({ source: 'facebook', medium: 'social' }),
    expected: 'organic_social',
  },
  {
    name: 'news.ycombinator.com / referral',
    facts: tagged({ source: 'news.ycombinator.com', medium: 'referral' }),
    expected: 'organic_social',
  },
  {
    name: 'a social-network medium from a source in no list',
    facts: tagged({ source: 'forum-digest', medium: 'social-network' }),
    expected: 'organic_social',
  },
  {
    name: 'youtube / social as organic social, since the social medium comes before video',
    facts: tagged({ source: 'youtube', medium: 'social' }),
    expected: 'organic_social',
  },
  {
    name: 'youtube / referral',
    facts: tagged({ source: 'youtube', medium: 'referral' }),
    expected: 'organic_video',
  },
  {
    name: 'a medium containing video from a source in no list',
    facts: tagged({ source: 'podcast-net', medium: 'video_preroll' }),
    expected: 'organic_video',
  },
  {
    name: 'duckduckgo / organic',
    facts: tagged({ source: 'duckduckgo', medium: 'organic' }),
    expected: 'organic_search',
  },
  {
    name: 'an organic medium from a source in no list',
    facts: tagged({ source: 'localguide', medium: 'organic' }),
    expected: 'organic_search',
  },
  {
    name: 'google / email as organic search, since the search source comes before email',
    facts: tagged({ source: 'google', medium: 'email' }),
    expected: 'organic_search',
  },
  {
    name: 'partnerblog / referral',
    facts: tagged({ source: 'partnerblog', medium: 'referral' }),
    expected: 'referral',
  },
  {
    name: 'partnerblog / link',
    facts: tagged({ source: 'partnerblog', medium: 'link' }),
    expected: 'referral',
  },
  {
    name: 'appdirectory / app',
    facts: tagged({ source: 'appdirectory', medium: 'app' }),
    expected: 'referral',
  },
  { name: 'newsletter / email', facts: tagged({ source: 'newsletter', medium: 'email' }), expected: 'email' },
  {
    name: 'e-mail / newsletter',
    facts: tagged({ source: 'e-mail', medium: 'newsletter' }),
    expected: 'email',
  },
  { name: 'crm / E_Mail', facts: tagged({ source: 'crm', medium: 'E_Mail' }), expected: 'email' },
  {
    name: 'partnerize / affiliate',
    facts: tagged({ source: 'partnerize', medium: 'affiliate' }),
    expected: 'affiliates',
  },
  { name: 'spotify / audio', facts: tagged({ source: 'spotify', medium: 'audio' }), expected: 'audio' },
  { name: 'twilio / sms', facts: tagged({ source: 'twilio', medium: 'sms' }), expected: 'sms' },
  { name: 'sms / text', facts: tagged({ source: 'sms', medium: 'text' }), expected: 'sms' },
  {
    name: 'onesignal / web-push',
    facts: tagged({ source: 'onesignal', medium: 'web-push' }),
    expected: 'mobile_push',
  },
  {
    name: 'braze / in-app-notification',
    facts: tagged({ source: 'braze', medium: 'in-app-notification' }),
    expected: 'mobile_push',
  },
  {
    name: 'a firebase source without medium',
    facts: tagged({ source: 'firebase' }),
    expected: 'mobile_push',
  },
  {
    name: 'newsletter / print',
    facts: tagged({ source: 'newsletter', medium: 'print' }),
    expected: 'unassigned',
  },
  {
    name: 'a visit tagged with a campaign only',
    facts: tagged({ campaign: 'spring' }),
    expected: 'unassigned',
  },
  {
    name: 'UTM tags over a click id (newsletter / email with a gclid)',
    facts: tagged({ source: 'newsletter', medium: 'email' }, { clickIdName: 'gclid' }),
    expected: 'email',
  },
  {
    name: 'UTM tags over a click id and a referrer (unknown tags stay unassigned)',
    facts: tagged({ source: 'flyer' }, { clickIdName: 'msclkid', referrerHost: 'bing.com' }),
    expected: 'unassigned',
  },

  // Click ids.
  { name: 'a gclid click without network', facts: clicked('gclid'), expected: 'paid_search' },
  { name: 'a GCLID click in upper case', facts: clicked('GCLID'), expected: 'paid_search' },
  {
    name: 'a gclid click on the search network',
    facts: clicked('gclid', { network: 'search' }),
    expected: 'paid_search',
  },
  {
    name: 'a gclid click on the display network',
    facts: clicked('gclid', { network: 'display' }),
    expected: 'display',
  },
  {
    name: 'a gclid click on the video network',
    facts: clicked('gclid', { network: 'video' }),
    expected: 'paid_video',
  },
  {
    name: 'a gclid click on the shopping network',
    facts: clicked('gclid', { network: 'shopping' }),
    expected: 'paid_shopping',
  },
  {
    name: 'a gclid click on a social network',
    facts: clicked('gclid', { network: 'social' }),
    expected: 'paid_social',
  },
  { name: 'a gbraid click', facts: clicked('gbraid'), expected: 'paid_search' },
  {
    name: 'a wbraid click on the display network',
    facts: clicked('wbraid', { network: 'display' }),
    expected: 'display',
  },
  { name: 'a dclid click', facts: clicked('dclid'), expected: 'display' },
  { name: 'a msclkid click', facts: clicked('msclkid'), expected: 'paid_search' },
  { name: 'a ttclid click', facts: clicked('ttclid'), expected: 'paid_social' },
  { name: 'a twclid click', facts: clicked('twclid'), expected: 'paid_social' },
  { name: 'a li_fat_id click', facts: clicked('li_fat_id'), expected: 'paid_social' },
  { name: 'a sccid click', facts: clicked('sccid'), expected: 'paid_social' },
  { name: 'an epik click', facts: clicked('epik'), expected: 'paid_social' },
  { name: 'a rdt_cid click', facts: clicked('rdt_cid'), expected: 'paid_social' },
  {
    name: 'a gclid click over its google referrer',
    facts: clicked('gclid', { referrerHost: 'www.google.com' }),
    expected: 'paid_search',
  },
  {
    name: 'a fbclid visit from m.facebook.com by its referrer',
    facts: clicked('fbclid', { referrerHost: 'm.facebook.com' }),
    expected: 'organic_social',
  },
  { name: 'a fbclid visit without referrer', facts: clicked('fbclid'), expected: 'direct' },

  // Ad events.
  {
    name: 'an impression on the search network',
    facts: ad('ad_impression', 'google_ads', 'search'),
    expected: 'paid_search',
  },
  {
    name: 'an impression on the display network',
    facts: ad('ad_impression', 'google_ads', 'display'),
    expected: 'display',
  },
  {
    name: 'an impression on the video network',
    facts: ad('ad_impression', 'google_ads', 'video'),
    expected: 'paid_video',
  },
  { name: 'a click on the social network', facts: ad('ad_click', 'meta', 'social'), expected: 'paid_social' },
  {
    name: 'an impression on the shopping network',
    facts: ad('ad_impression', 'google_ads', 'shopping'),
    expected: 'paid_shopping',
  },
  {
    name: 'a youtube impression on the display network by its network',
    facts: ad('ad_impression', 'youtube', 'display'),
    expected: 'display',
  },
  {
    name: 'a google_ads click without network',
    facts: ad('ad_click', 'google_ads'),
    expected: 'paid_search',
  },
  {
    name: 'a microsoft_ads impression without network',
    facts: ad('ad_impression', 'microsoft_ads'),
    expected: 'paid_search',
  },
  {
    name: 'a bing_ads impression without network',
    facts: ad('ad_impression', 'bing_ads'),
    expected: 'paid_search',
  },
  { name: 'a meta impression without network', facts: ad('ad_impression', 'meta'), expected: 'paid_social' },
  {
    name: 'a LinkedIn impression in mixed case',
    facts: ad('ad_impression', 'LinkedIn'),
    expected: 'paid_social',
  },
  { name: 'an X impression', facts: ad('ad_impression', 'x'), expected: 'paid_social' },
  {
    name: 'a youtube impression without network',
    facts: ad('ad_impression', 'youtube'),
    expected: 'paid_video',
  },
  { name: 'a criteo impression', facts: ad('ad_impression', 'criteo'), expected: 'display' },
  { name: 'a taboola click', facts: ad('ad_click', 'taboola'), expected: 'display' },
  {
    name: 'an impression from an unknown ad platform',
    facts: ad('ad_impression', 'podcast_ads'),
    expected: 'paid_other',
  },
  {
    name: 'a meta ad click with a fbclid by its platform',
    facts: { ...ad('ad_click', 'meta'), clickIdName: 'fbclid' },
    expected: 'paid_social',
  },
  {
    name: 'a google_ads click with a gclid on the video network',
    facts: { ...ad('ad_click', 'google_ads', 'video'), clickIdName: 'gclid' },
    expected: 'paid_video',
  },

  // E-mail and search events.
  { name: 'an e-mail open', facts: { eventType: 'email' }, expected: 'email' },
  { name: 'a search volume row', facts: { eventType: 'search' }, expected: 'organic_search' },

  // Referrers.
  { name: 'a visit from the own domain', facts: referred('acme.example'), expected: 'direct' },
  { name: 'a visit from the own domain with www.', facts: referred('www.acme.example'), expected: 'direct' },
  { name: 'a visit from an own subdomain', facts: referred('shop.acme.example'), expected: 'direct' },
  {
    name: 'a visit from the own domain in upper case',
    facts: referred('WWW.ACME.EXAMPLE'),
    expected: 'direct',
  },
  {
    name: 'a visit from a look-alike of the own domain',
    facts: referred('notacme.example'),
    expected: 'referral',
  },
  { name: 'a visit from www.google.co.uk', facts: referred('www.google.co.uk'), expected: 'organic_search' },
  { name: 'a visit from google.com.br', facts: referred('google.com.br'), expected: 'organic_search' },
  { name: 'a visit from www.bing.com', facts: referred('www.bing.com'), expected: 'organic_search' },
  { name: 'a visit from duckduckgo.com', facts: referred('duckduckgo.com'), expected: 'organic_search' },
  { name: 'a visit from m.facebook.com', facts: referred('m.facebook.com'), expected: 'organic_social' },
  { name: 'a visit from t.co', facts: referred('t.co'), expected: 'organic_social' },
  { name: 'a visit from www.linkedin.com', facts: referred('www.linkedin.com'), expected: 'organic_social' },
  { name: 'a visit from tiktok.com', facts: referred('tiktok.com'), expected: 'organic_social' },
  { name: 'a visit from m.youtube.com', facts: referred('m.youtube.com'), expected: 'organic_video' },
  { name: 'a visit from amazon.co.uk', facts: referred('amazon.co.uk'), expected: 'organic_shopping' },
  // Beyond GA4 (which sees a webmail referrer as a plain referral): our channel rules file webmail under email (docs/channels.md).
  { name: 'a visit from mail.google.com', facts: referred('mail.google.com'), expected: 'email' },
  {
    name: 'a visit from maps.google.com (not search)',
    facts: referred('maps.google.com'),
    expected: 'referral',
  },
  { name: 'a visit from an unknown blog', facts: referred('blog.example.org'), expected: 'referral' },
  { name: 'a visit without referrer', facts: { eventType: 'page_view' }, expected: 'direct' },
  { name: 'a conversion with nothing else known', facts: { eventType: 'conversion' }, expected: 'direct' },
];

describe('createChannelClassifier with DEFAULT_CHANNEL_RULES', () => {
  it.each(cases)('classifies $name as $expected', ({ facts, explicit, expected }) => {
    expect(classifier.classify(facts, explicit)).toBe(expected);
  });

  it('has cases for every channel id', () => {
    const covered = new Set(cases.map((c) => c.expected));
    expect(CHANNEL_IDS.filter((id) => !covered.has(id))).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it('shows the source category it used among the signals', () => {
    expect(classifier.signalsOf(tagged({ source: 'YouTube', medium: 'cpv' }))).toMatchObject({
      utm: 'present',
      source: 'youtube',
      sourceCategory: 'video',
      referrer: 'none',
    });
  });
});

describe('DEFAULT_CHANNEL_RULES', () => {
  it('is valid config data whose patterns all compile', () => {
    for (const rule of DEFAULT_CHANNEL_RULES) {
      expect(channelRuleSchema.parse(rule)).toEqual(rule);
      for (const pattern of Object.values(rule.when))
        expect(() => new RegExp(`^(?:${pattern})$`, 'i')).not.toThrow();
    }
  });

  it('explains every rule with a note', () => {
    expect(DEFAULT_CHANNEL_RULES.filter((rule) => !rule.note)).toEqual([]);
  });

  it('can produce every channel id', () => {
    const produced = new Set(DEFAULT_CHANNEL_RULES.map((rule) => rule.channel));
    expect(CHANNEL_IDS.filter((id) => !produced.has(id))).toEqual([]);
  });
});

describe('channel config', () => {
  const config = attributionConfigSchema.parse({
    brand: { name: 'Acme', terms: ['acme'] },
    ownDomains: ['www.acme.example'],
    channelRules: [
      { channel: 'affiliates', when: { source: 'partnerize|awin' }, note: 'our affiliate networks' },
      { channel: 'paid_search', when: { clickId: 'gclid' } },
      { channel: 'referral', when: { referrer: 'external' } },
    ],
    sources: { 'NewsEngine.example': 'search', partnerfeed: 'social', 'facebook.com': 'other' },
  });

  it('replaces the built-in rules with the configured channelRules', () => {
    const custom = createChannelClassifier({
      rules: config.channelRules ?? DEFAULT_CHANNEL_RULES,
      catalogue: createReferrerCatalogue(),
      ownDomains: config.ownDomains,
    });
    expect(custom.classify(tagged({ source: 'awin', medium: 'cpa' }))).toBe('affiliates');
    expect(custom.classify(clicked('gclid', { network: 'display' }))).toBe('paid_search');
    // google / cpc and the search referrer match no configured rule or only the catch-all referral.
    expect(custom.classify(tagged({ source: 'google', medium: 'cpc' }))).toBe('direct');
    expect(custom.classify(referred('www.google.com'))).toBe('referral');
    expect(custom.classify(referred('www.acme.example'))).toBe('direct');
  });

  it('classifies with the configured sources over the built-in lists', () => {
    const withSources = createChannelClassifier({
      rules: DEFAULT_CHANNEL_RULES,
      catalogue: createReferrerCatalogue(config.sources),
      ownDomains: config.ownDomains,
    });
    expect(withSources.classify(referred('newsengine.example'))).toBe('organic_search');
    expect(withSources.classify(referred('m.newsengine.example'))).toBe('organic_search');
    expect(withSources.classify(tagged({ source: 'partnerfeed', medium: 'cpc' }))).toBe('paid_social');
    expect(withSources.classify(tagged({ source: 'newsengine', medium: 'ppc' }))).toBe('paid_search');
    expect(withSources.classify(referred('m.facebook.com'))).toBe('referral');
    expect(classifier.classify(referred('newsengine.example'))).toBe('referral');
  });
});

import core from 'referral-parser/data/core.json' with { type: 'json' };
import type { SourceCategory } from './channel-ids.ts';

/** A known traffic source. */
export interface SourceMatch {
  readonly category: SourceCategory;
  readonly name: string;
}

/** Looks up search engines, social sites, video and shopping sites and webmail by host or UTM source. */
export interface ReferrerCatalogue {
  /** By host (`www.google.co.uk`, `m.facebook.com`); undefined for unknown hosts. */
  categoryOfHost(host: string): SourceMatch | undefined;
  /** By UTM source, which may be a name (`google`, `Facebook`) or a host (`t.co`). */
  categoryOfSource(source: string): SourceCategory | undefined;
}

/** One entry of the built-in supplement to the npm list. */
export interface KnownSource {
  readonly name: string;
  readonly category: SourceCategory;
  /** Hosts without `www.`; `{}` stands for a country code (`amazon.{}` is amazon.de, amazon.co.uk, ...). */
  readonly hosts?: readonly string[];
  /** UTM source names beyond the main labels of the hosts, mostly short ones the label rule skips. */
  readonly aliases?: readonly string[];
}

/**
 * Sources the npm list (Matomo's search-engine and social lists, via `referral-parser`) lacks but
 * GA4's default channel grouping needs. Matomo has no video or shopping category (it files YouTube
 * and Vimeo under social) and predates TikTok, Threads, Bluesky and x.com. Kept small on purpose:
 * sites go here only when GA4 would put them in a different channel than the npm list does.
 * Entries here win over the npm list; the config's `sources` win over both.
 */
export const BUILT_IN_SOURCES: readonly KnownSource[] = [
  // Video: GA4's "Organic Video" / "Paid Video" test the source against a video list.
  {
    name: 'YouTube',
    category: 'video',
    hosts: ['youtube.com', 'youtu.be', 'youtube-nocookie.com'],
    aliases: ['yt'],
  },
  { name: 'Vimeo', category: 'video', hosts: ['vimeo.com'] },
  { name: 'Twitch', category: 'video', hosts: ['twitch.tv'] },
  { name: 'Dailymotion', category: 'video', hosts: ['dailymotion.com', 'dai.ly'] },
  { name: 'Wistia', category: 'video', hosts: ['wistia.com'] },

  // Shopping: GA4's "Organic Shopping" / "Paid Shopping" test the source against a shopping list.
  { name: 'Amazon', category: 'shopping', hosts: ['amazon.com', 'amazon.{}', 'amzn.to'] },
  { name: 'eBay', category: 'shopping', hosts: ['ebay.com', 'ebay.{}'] },
  { name: 'Etsy', category: 'shopping', hosts: ['etsy.com'] },
  { name: 'Walmart', category: 'shopping', hosts: ['walmart.com'] },
  { name: 'Shopify', category: 'shopping', hosts: ['shopify.com', 'shop.app'] },
  { name: 'Alibaba', category: 'shopping', hosts: ['alibaba.com'] },
  { name: 'AliExpress', category: 'shopping', hosts: ['aliexpress.com'] },
  {
    name: 'Mercado Libre',
    category: 'shopping',
    hosts: ['mercadolibre.com', 'mercadolibre.{}', 'mercadolivre.com.br'],
  },
  { name: 'Target', category: 'shopping', hosts: ['target.com'] },
  // More specific than google.com (search) in the npm list, so it wins for its own host.
  {
    name: 'Google Shopping',
    category: 'shopping',
    hosts: ['shopping.google.com', 'shopping.google.{}'],
    aliases: ['google shopping'],
  },
  { name: 'Instagram Shopping', category: 'shopping', aliases: ['igshopping'] },

  // Social sites newer than the npm list, and the short source names Meta's own tagging uses.
  // GA4 files TikTok under social, not video.
  { name: 'TikTok', category: 'social', hosts: ['tiktok.com'] },
  { name: 'X', category: 'social', hosts: ['x.com'] },
  { name: 'Threads', category: 'social', hosts: ['threads.net', 'threads.com'] },
  { name: 'Bluesky', category: 'social', hosts: ['bsky.app'] },
  { name: 'Mastodon', category: 'social', hosts: ['mastodon.social', 'mastodon.online'] },
  { name: 'Snapchat', category: 'social', hosts: ['snapchat.com'] },
  { name: 'Discord', category: 'social', hosts: ['discord.com', 'discord.gg'] },
  { name: 'WhatsApp', category: 'social', hosts: ['whatsapp.com', 'wa.me'] },
  { name: 'Telegram', category: 'social', hosts: ['telegram.org', 't.me'] },
  { name: 'Facebook', category: 'social', hosts: ['fb.com', 'fb.watch', 'messenger.com'], aliases: ['fb'] },
  { name: 'Instagram', category: 'social', aliases: ['ig'] },
  { name: 'Pinterest', category: 'social', hosts: ['pinterest.{}', 'pin.it'] },
  { name: 'Reddit', category: 'social', hosts: ['redd.it'] },
  { name: 'Nextdoor', category: 'social', hosts: ['nextdoor.com'] },

  // Search engines newer than the npm list, and the Google app's Android referrer.
  { name: 'Brave Search', category: 'search', hosts: ['search.brave.com'] },
  { name: 'Kagi', category: 'search', hosts: ['kagi.com'] },
  { name: 'Google', category: 'search', hosts: ['com.google.android.googlequicksearchbox'] },

  // Webmail apps: Android sends the app id as the referrer host.
  { name: 'Gmail', category: 'email', hosts: ['com.google.android.gm'] },

  // The npm list has google.com as a search engine, so every *.google.com would inherit "search";
  // these are the busiest Google hosts that are not search (like its own maps.google.com entry).
  {
    name: 'Google',
    category: 'other',
    hosts: ['docs.google.com', 'play.google.com', 'calendar.google.com', 'classroom.google.com'],
  },
];

/** Shape of `referral-parser/data/core.json` as used here (it also has a `built` timestamp). */
interface MatomoLists {
  readonly search: MatomoGroup;
  readonly social: MatomoGroup;
  readonly email: MatomoGroup;
  /** Sic: hosts of search-engine companies that are not search (maps.google.com, finance.yahoo.com). */
  readonly uknown: MatomoGroup;
}
type MatomoGroup = Readonly<Record<string, { readonly urls: readonly string[] }>>;

/** One precedence level of the catalogue: user config, built-in supplement or npm list. */
interface Layer {
  /** Exact hosts; a host also covers its subdomains (facebook.com covers m.facebook.com). */
  readonly hosts: Map<string, SourceMatch>;
  /** Hosts with `{}` for a country code, keyed as written (`google.{}`, `{}.bing.com`). */
  readonly patterns: Map<string, SourceMatch>;
  /** UTM source names, normalised by {@link nameKey}. */
  readonly names: Map<string, SourceCategory>;
}

/** Second-level labels under a country TLD that `{}` may also stand in for with it (co.uk, com.br). */
const COUNTRY_SECOND_LEVELS = new Set([
  'co',
  'com',
  'net',
  'org',
  'ac',
  'ne',
  'or',
  'go',
  'gob',
  'gov',
  'edu',
]);
/** Names and labels shorter than this are too ambiguous to match a UTM source by (t.co → `t`, vk.com → `vk`). */
const MIN_NAME_LENGTH = 3;

const COUNTRY_CODE = /^[a-z]{2}$/;
const isCountryCode = (label: string | undefined): boolean => label !== undefined && COUNTRY_CODE.test(label);

const normaliseHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');

/** UTM sources come as `Hacker News`, `hacker_news` or `hackernews`; compare letters and digits only. */
const nameKey = (name: string): string => name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * The label a UTM source would use for a registrable domain (facebook.com → `facebook`,
 * lastfm.com.br → `lastfm`, google.{} → `google`); undefined for subdomains such as
 * mail.google.com, whose first label names a product rather than the site.
 */
function mainLabelOf(host: string): string | undefined {
  const labels = host.split('.');
  const [first, second, third] = labels;
  if (first === undefined || first === '{}') return undefined;
  if (labels.length === 2) return first;
  if (
    labels.length === 3 &&
    second !== undefined &&
    COUNTRY_SECOND_LEVELS.has(second) &&
    isCountryCode(third)
  ) {
    return first;
  }
  return undefined;
}

const emptyLayer = (): Layer => ({ hosts: new Map(), patterns: new Map(), names: new Map() });

function addHost(layer: Layer, rawHost: string, match: SourceMatch): void {
  const host = normaliseHost(rawHost);
  // A few npm entries carry a path (bing.com/images/search, orange.fr/webmail); a referrer host
  // alone cannot tell those apart from the rest of the site, so they are left out.
  if (!host || host.includes('/')) return;
  (host.includes('{}') ? layer.patterns : layer.hosts).set(host, match);
}

function addName(layer: Layer, name: string, category: SourceCategory, minLength = 1): void {
  const key = nameKey(name);
  if (key.length >= minLength) layer.names.set(key, category);
}

/** Builds the layer of the npm list; later writes win, so uknown overrides search for the same host. */
function buildNpmLayer(lists: MatomoLists): Layer {
  const layer = emptyLayer();
  const groups = [
    ['search', lists.search],
    ['social', lists.social],
    ['email', lists.email],
  ] as const;
  for (const [category, group] of groups) {
    for (const [name, { urls }] of Object.entries(group)) {
      for (const url of urls) addHost(layer, url, { category, name });
    }
  }
  // uknown lists non-search hosts of search companies (maps.google.com is also a "Google Maps"
  // search entry; the more deliberate "not search" entry should win). Its names ("Google",
  // "Yahoo!") are the search engines' names, so they are not indexed as UTM sources.
  for (const [name, { urls }] of Object.entries(lists.uknown)) {
    for (const url of urls) addHost(layer, url, { category: 'other', name });
  }
  // Names, weakest first so stronger ones overwrite: labels derived from domains, then entry
  // names that normalising changed ("Google+" → google), then names that are a word as they
  // stand ("Google"). Within a tier categories go search → social → email, so a name in two
  // lists as it stands (MySpace: a search box and a social site) ends up social.
  for (const [category, group] of groups) {
    for (const { urls } of Object.values(group)) {
      for (const url of urls) {
        const label = mainLabelOf(normaliseHost(url));
        if (label) addName(layer, label, category, MIN_NAME_LENGTH);
      }
    }
  }
  for (const asIs of [false, true]) {
    for (const [category, group] of groups) {
      for (const name of Object.keys(group)) {
        if ((nameKey(name) === name.toLowerCase()) === asIs) addName(layer, name, category, MIN_NAME_LENGTH);
      }
    }
  }
  return layer;
}

function buildSupplementLayer(sources: readonly KnownSource[]): Layer {
  const layer = emptyLayer();
  for (const source of sources) {
    const match = { category: source.category, name: source.name };
    for (const host of source.hosts ?? []) {
      addHost(layer, host, match);
      const label = mainLabelOf(normaliseHost(host));
      if (label) addName(layer, label, source.category, MIN_NAME_LENGTH);
    }
    // Aliases are deliberate, so short ones (fb, ig, yt) count.
    for (const alias of source.aliases ?? []) addName(layer, alias, source.category);
  }
  return layer;
}

/** The config's `sources`: keys with a dot are hosts (which also give their main label), others names. */
function buildExtraLayer(extra: Readonly<Record<string, SourceCategory>>): Layer {
  const layer = emptyLayer();
  for (const [key, category] of Object.entries(extra)) {
    const host = normaliseHost(key);
    if (host.includes('.')) {
      addHost(layer, host, { category, name: host });
      const label = mainLabelOf(host);
      if (label) addName(layer, label, category, MIN_NAME_LENGTH);
    } else {
      addName(layer, key, category);
    }
  }
  return layer;
}

/**
 * Finds a host in one layer, most specific first: at each level (m.facebook.com, then
 * facebook.com) the exact entry, then the `{}` patterns. `{}` stands for one two-letter label
 * (google.de, de.bing.com) or a country second level plus code (google.co.uk, google.com.br).
 */
function findHost(layer: Layer, host: string, labels: readonly string[]): SourceMatch | undefined {
  const hasPatterns = layer.patterns.size > 0;
  const n = labels.length;
  let offset = 0;
  // Stop at the last two labels: no entry is a bare TLD.
  for (let start = 0; start <= n - 2; start++) {
    const exact = layer.hosts.get(offset === 0 ? host : host.slice(offset));
    if (exact) return exact;
    if (hasPatterns) {
      for (let i = start; i < n; i++) {
        if (!isCountryCode(labels[i])) continue;
        const key = [...labels.slice(start, i), '{}', ...labels.slice(i + 1)].join('.');
        const match = layer.patterns.get(key);
        if (match) return match;
      }
      const secondLevel = labels[n - 2];
      if (
        n - start >= 3 &&
        secondLevel !== undefined &&
        COUNTRY_SECOND_LEVELS.has(secondLevel) &&
        isCountryCode(labels[n - 1])
      ) {
        const match = layer.patterns.get(`${labels.slice(start, n - 2).join('.')}.{}`);
        if (match) return match;
      }
    }
    offset += (labels[start]?.length ?? 0) + 1;
  }
  return undefined;
}

let builtIn: readonly Layer[] | undefined;

/** The supplement and npm layers do not depend on the config, so every catalogue shares them. */
function builtInLayers(): readonly Layer[] {
  builtIn ??= [buildSupplementLayer(BUILT_IN_SOURCES), buildNpmLayer(core satisfies MatomoLists)];
  return builtIn;
}

/**
 * Builds the referrer catalogue: the config's `sources` (host or UTM source name → category)
 * over {@link BUILT_IN_SOURCES} over Matomo's search-engine and social lists from the npm
 * package `referral-parser`. A higher layer wins even against a more specific host of a lower
 * one (`facebook.com: other` in the config also covers m.facebook.com). Lookups are a handful
 * of hash-map reads per host label, so they can run per event.
 */
export function createReferrerCatalogue(
  extra: Readonly<Record<string, SourceCategory>> = {},
): ReferrerCatalogue {
  const layers = [buildExtraLayer(extra), ...builtInLayers()].filter(
    (layer) => layer.hosts.size + layer.patterns.size + layer.names.size > 0,
  );

  const lookupHost = (host: string): SourceMatch | undefined => {
    const labels = host.split('.');
    for (const layer of layers) {
      const match = findHost(layer, host, labels);
      if (match) return match;
    }
    return undefined;
  };

  return {
    categoryOfHost(host) {
      const bare = normaliseHost(host);
      return bare.includes('.') ? lookupHost(bare) : undefined;
    },
    categoryOfSource(source) {
      const value = normaliseHost(source);
      if (!value) return undefined;
      const host = value.includes('.') && !/\s/.test(value) ? value : undefined;
      const labels = host?.split('.');
      const name = nameKey(value);
      for (const layer of layers) {
        const match = host && labels ? findHost(layer, host, labels) : undefined;
        if (match) return match.category;
        const category = layer.names.get(name);
        if (category) return category;
      }
      return undefined;
    },
  };
}

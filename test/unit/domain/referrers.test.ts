import { describe, expect, it } from 'vitest';
import { BUILT_IN_SOURCES, createReferrerCatalogue } from '#domain/referrers.ts';

const catalogue = createReferrerCatalogue();
const hostCategory = (host: string) => catalogue.categoryOfHost(host)?.category;

describe('createReferrerCatalogue: hosts', () => {
  it.each([
    ['google.com', 'search'],
    ['bing.com', 'search'],
    ['duckduckgo.com', 'search'],
    ['search.seznam.cz', 'search'],
    ['facebook.com', 'social'],
    ['t.co', 'social'],
    ['vk.com', 'social'],
    ['news.ycombinator.com', 'social'],
    ['mail.yahoo.co.jp', 'email'],
    ['outlook.live.com', 'email'],
  ] as const)('finds %s from the npm list as %s', (host, category) => {
    expect(hostCategory(host)).toBe(category);
  });

  it('ignores case, a leading www. and a trailing dot', () => {
    expect(hostCategory('WWW.Bing.COM')).toBe('search');
    expect(hostCategory('www.facebook.com.')).toBe('social');
  });

  it('covers subdomains through their parent domain', () => {
    expect(catalogue.categoryOfHost('m.facebook.com')).toEqual({ category: 'social', name: 'Facebook' });
    expect(hostCategory('business.facebook.com')).toBe('social');
    expect(hostCategory('old.reddit.com')).toBe('social');
  });

  it('expands {} to a country code as a TLD, a country second level or a subdomain', () => {
    expect(hostCategory('google.de')).toBe('search');
    expect(hostCategory('www.google.co.uk')).toBe('search');
    expect(hostCategory('google.com.br')).toBe('search');
    expect(hostCategory('de.bing.com')).toBe('search');
    expect(hostCategory('fr.search.yahoo.com')).toBe('search');
    expect(hostCategory('yandex.com.tr')).toBe('search');
  });

  it('expands {} only to country codes, not to any TLD', () => {
    expect(hostCategory('google.xyz')).toBeUndefined();
    expect(hostCategory('google.shop')).toBeUndefined();
  });

  it('lets the more specific entry win over its parent domain or a pattern', () => {
    expect(catalogue.categoryOfHost('maps.google.com')).toEqual({ category: 'other', name: 'Google' });
    expect(hostCategory('news.google.co.uk')).toBe('other');
    expect(hostCategory('finance.yahoo.com')).toBe('other');
    expect(hostCategory('mail.google.com')).toBe('email');
    expect(hostCategory('images.google.fr')).toBe('search');
  });

  it('leaves out npm entries that carry a path, since a referrer host cannot tell them apart', () => {
    // The list has orange.fr/webmail (email) only; all of orange.fr is not webmail.
    expect(hostCategory('orange.fr')).toBeUndefined();
  });

  it('answers undefined for unknown hosts and for bare TLDs', () => {
    expect(catalogue.categoryOfHost('blog.example.org')).toBeUndefined();
    expect(catalogue.categoryOfHost('co.uk')).toBeUndefined();
    expect(catalogue.categoryOfHost('localhost')).toBeUndefined();
    expect(catalogue.categoryOfHost('')).toBeUndefined();
  });
});

describe('createReferrerCatalogue: built-in supplement', () => {
  it('files video sites as video although the npm list calls YouTube and Vimeo social', () => {
    expect(hostCategory('youtube.com')).toBe('video');
    expect(hostCategory('m.youtube.com')).toBe('video');
    expect(hostCategory('youtu.be')).toBe('video');
    expect(hostCategory('vimeo.com')).toBe('video');
    expect(hostCategory('twitch.tv')).toBe('video');
  });

  it('files shopping sites as shopping, with country TLDs', () => {
    expect(hostCategory('amazon.com')).toBe('shopping');
    expect(hostCategory('amazon.co.uk')).toBe('shopping');
    expect(hostCategory('www.ebay.de')).toBe('shopping');
    expect(hostCategory('etsy.com')).toBe('shopping');
    expect(hostCategory('mercadolibre.com.ar')).toBe('shopping');
    expect(hostCategory('shopping.google.com')).toBe('shopping');
  });

  it('adds social sites newer than the npm list, with TikTok as social as in GA4', () => {
    for (const host of ['tiktok.com', 'x.com', 'threads.net', 'bsky.app', 'mastodon.social', 'lnkd.in']) {
      expect(hostCategory(host), host).toBe('social');
    }
  });

  it('keeps busy non-search Google hosts from inheriting search from google.com', () => {
    expect(hostCategory('docs.google.com')).toBe('other');
    expect(hostCategory('play.google.com')).toBe('other');
  });

  it('writes every supplement host in lower case without www.', () => {
    for (const source of BUILT_IN_SOURCES) {
      for (const host of source.hosts ?? []) expect(host).toMatch(/^(?!www\.)[a-z0-9{}.-]+$/);
    }
  });
});

describe('createReferrerCatalogue: UTM sources', () => {
  it.each([
    ['google', 'search'],
    ['Google', 'search'],
    ['bing', 'search'],
    ['duckduckgo', 'search'],
    ['yahoo', 'search'],
    ['Facebook', 'social'],
    ['linkedin', 'social'],
    ['twitter', 'social'],
    ['tiktok', 'social'],
    ['youtube', 'video'],
    ['amazon', 'shopping'],
    ['gmail', 'email'],
  ] as const)('finds the source name %s as %s', (source, category) => {
    expect(catalogue.categoryOfSource(source)).toBe(category);
  });

  it('takes a source that is a host through the host lookup', () => {
    expect(catalogue.categoryOfSource('t.co')).toBe('social');
    expect(catalogue.categoryOfSource('news.ycombinator.com')).toBe('social');
    expect(catalogue.categoryOfSource('www.google.co.uk')).toBe('search');
    expect(catalogue.categoryOfSource('vk.com')).toBe('social');
  });

  it('skips domain labels shorter than three characters but keeps deliberate short aliases', () => {
    expect(catalogue.categoryOfSource('vk')).toBeUndefined();
    expect(catalogue.categoryOfSource('t')).toBeUndefined();
    expect(catalogue.categoryOfSource('ig')).toBe('social');
    expect(catalogue.categoryOfSource('fb')).toBe('social');
    expect(catalogue.categoryOfSource('yt')).toBe('video');
  });

  it('matches entry names regardless of spacing and punctuation', () => {
    expect(catalogue.categoryOfSource('Hacker News')).toBe('social');
    expect(catalogue.categoryOfSource('hacker_news')).toBe('social');
    expect(catalogue.categoryOfSource('google shopping')).toBe('shopping');
    expect(catalogue.categoryOfSource('IGShopping')).toBe('shopping');
  });

  it('resolves names shared by two npm entries sensibly', () => {
    // "Google+" normalises to google but is not the word google; "MySpace" is both a search box and a social site.
    expect(catalogue.categoryOfSource('google')).toBe('search');
    expect(catalogue.categoryOfSource('myspace')).toBe('social');
  });

  it('answers undefined for unknown or empty sources', () => {
    expect(catalogue.categoryOfSource('newsletter')).toBeUndefined();
    expect(catalogue.categoryOfSource('partner.example.com')).toBeUndefined();
    expect(catalogue.categoryOfSource('')).toBeUndefined();
    expect(catalogue.categoryOfSource('  ')).toBeUndefined();
  });
});

describe('createReferrerCatalogue: config supplement', () => {
  it('adds hosts, with their subdomains and main label, and names', () => {
    const custom = createReferrerCatalogue({ 'newsengine.example': 'search', partnerfeed: 'social' });
    expect(custom.categoryOfHost('newsengine.example')).toEqual({
      category: 'search',
      name: 'newsengine.example',
    });
    expect(custom.categoryOfHost('m.newsengine.example')?.category).toBe('search');
    expect(custom.categoryOfSource('newsengine')).toBe('search');
    expect(custom.categoryOfSource('PartnerFeed')).toBe('social');
  });

  it('wins over the built-in supplement and the npm list, subdomains included', () => {
    const custom = createReferrerCatalogue({
      'youtube.com': 'social',
      'facebook.com': 'other',
      google: 'other',
    });
    expect(custom.categoryOfHost('youtube.com')?.category).toBe('social');
    expect(custom.categoryOfHost('m.facebook.com')?.category).toBe('other');
    expect(custom.categoryOfSource('google')).toBe('other');
    expect(custom.categoryOfHost('google.com')?.category).toBe('search');
  });

  it('does not leak one catalogue’s config into another', () => {
    createReferrerCatalogue({ 'bing.com': 'other' });
    expect(createReferrerCatalogue().categoryOfHost('bing.com')?.category).toBe('search');
  });
});

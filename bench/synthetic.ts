/**
 * Deterministic synthetic traffic for the benchmarks, generated one UTC day at a time so that
 * tens of millions of events never sit in memory at once.
 *
 * The model: users with journeys of very different lengths (most a touch or three within hours,
 * some a dozen over two weeks, a few long ones over a month or more), more than half of them
 * anonymous visitors of whom some identify later (an `identify`, or the conversion itself,
 * carries both ids), ~3% converting (some twice), touches from every channel of docs/channels.md —
 * direct, organic search / social / video / shopping referrers, referral sites, UTM-tagged paid
 * campaigns, ad clicks, e-mail opens and clicks — with internal navigation page views, e-mail
 * sends and deliveries (and bounces) that are no touches, carts, survey answers, shares, refunds,
 * a few redelivered copies of events, and per day aggregated rows: ad impressions with counts and
 * costs per active campaign (and competitors' auction-insight rows) and search-volume rows.
 *
 * Rates of the journey events that are no touches (per {@link SyntheticDataset}'s journeys; the
 * figures are the usual public benchmarks, rounded):
 * - E-mail: every newsletter open or click follows the `sent` and `delivered` of that e-mail (two
 *   hours before); besides, a recipient gets on average one more newsletter they never open
 *   (`sent`, then `delivered`, or in 4% of them a `bounce`; sent since the previous touch), so about half of the delivered
 *   e-mails are opened (ESPs report 35–50% with Apple's privacy protection inflating opens) and
 *   about 2% of the sends bounce (ESP guidance: keep hard + soft bounces below 2%).
 * - Carts: 80% of purchases (and repeat purchases) follow one or two `add`s, and 85% of those a
 *   `checkout`, in the hour before; 4% of the users who do not convert add to a cart and leave it
 *   (a quarter of them after starting the checkout), so about 70% of carts are abandoned (Baymard
 *   Institute's average of studies: ~70%).
 * - Surveys: 30% of converters answer the one-question "how did you hear about us" (`source`)
 *   on the thank-you page (post-purchase surveys get 20–40%): mostly the channel of their first
 *   touch, else another popular channel, and 12% "friend or family" (word of mouth, no channel);
 *   the answers are channel ids, which the config needs no `surveyAnswers` for. 15% of converters
 *   answer an `nps` survey (0–10) sent 2–7 days after, scored as a typical retailer's (NPS ≈ +40:
 *   ~55% promoters, ~17% detractors).
 * - Shares: 0.4% of touches are followed by a `share` of the page (product-page share rates are
 *   well below 1%), and 3% of purchases by a share of what was bought.
 * - Refunds: 4% of purchases, repeat purchases and renewals are refunded 1–14 days later (online
 *   retail refunds a few % of orders for other reasons than returns), by a conversion whose
 *   `refundOf` names the purchase's event id; 40% of refunds are partial (half the value).
 * Internal navigation follows 27% of touches (was 35%): that makes room for these events, so a given
 * `events` yields about as many users as before.
 *
 * A user's journey is a pure function of (seed, user); a day's events are the events of the users
 * active that day, regenerated from their seeds, plus that day's aggregated rows.
 */
import { datesBetween } from '#domain/dates.ts';
import type { StoredEvent } from '#domain/event-schema.ts';
import { seededRandom } from '#local/demo-data.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface DatasetProps {
  /** Target number of raw lines (events, duplicate copies included); the dataset lands close to it. */
  readonly events: number;
  /** First UTC day. */
  readonly from: string;
  readonly days: number;
  readonly campaigns: number;
  readonly seed?: number;
  /** Events only from this instant on (default: the first day's start). */
  readonly startMs?: number;
  /** Events only before this instant (default: the end of the last day). */
  readonly endMs?: number;
  /** Share of user events delivered twice (redeliveries; the lake keeps one). Default 0.3%. */
  readonly duplicateShare?: number;
}

type Event = StoredEvent['event'];
interface Common {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly userId?: string;
  readonly anonymousId?: string;
}

/** Kinds of campaign: how their touches look on the wire and which channel they should land in. */
interface CampaignKind {
  readonly slug: string;
  readonly weight: number;
  /** Ad platform and network for ad clicks and impressions; absent: UTM-only campaigns. */
  readonly platform?: string;
  readonly network?: 'search' | 'display' | 'video' | 'social' | 'shopping';
  readonly utmSource: string;
  readonly utmMedium: string;
  readonly expect: string;
}

const CAMPAIGN_KINDS: readonly CampaignKind[] = [
  {
    slug: 'search',
    weight: 28,
    platform: 'google_ads',
    network: 'search',
    utmSource: 'google',
    utmMedium: 'cpc',
    expect: 'paid_search',
  },
  {
    slug: 'social',
    weight: 18,
    platform: 'meta',
    network: 'social',
    utmSource: 'facebook',
    utmMedium: 'paid_social',
    expect: 'paid_social',
  },
  {
    slug: 'display',
    weight: 10,
    platform: 'google_ads',
    network: 'display',
    utmSource: 'dv360',
    utmMedium: 'display',
    expect: 'display',
  },
  {
    slug: 'video',
    weight: 6,
    platform: 'youtube',
    network: 'video',
    utmSource: 'youtube',
    utmMedium: 'cpv',
    expect: 'paid_video',
  },
  {
    slug: 'shopping',
    weight: 5,
    platform: 'google_ads',
    network: 'shopping',
    utmSource: 'google',
    utmMedium: 'cpc',
    expect: 'paid_shopping',
  },
  { slug: 'cross-network', weight: 3, utmSource: 'google', utmMedium: 'cpc', expect: 'cross_network' },
  { slug: 'partner', weight: 3, utmSource: 'partner', utmMedium: 'cpc', expect: 'paid_other' },
  { slug: 'newsletter', weight: 14, utmSource: 'newsletter', utmMedium: 'email', expect: 'email' },
  { slug: 'affiliate', weight: 6, utmSource: 'aff', utmMedium: 'affiliate', expect: 'affiliates' },
  { slug: 'podcast', weight: 2, utmSource: 'podcast', utmMedium: 'audio', expect: 'audio' },
  { slug: 'sms', weight: 2, utmSource: 'sms', utmMedium: 'sms', expect: 'sms' },
  { slug: 'push', weight: 3, utmSource: 'app', utmMedium: 'push', expect: 'mobile_push' },
];

/** Where a touch comes from when it is no campaign's. */
const SOURCES = [
  'direct',
  'organic_search',
  'organic_social',
  'organic_video',
  'organic_shopping',
  'referral',
  'campaign',
  'unassigned',
] as const;
const SOURCE_WEIGHTS = [10, 16, 6, 2, 1, 6, 58, 1];
const SEARCH_REFERRERS = [
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://search.yahoo.com/',
];
const SOCIAL_REFERRERS = [
  'https://www.facebook.com/',
  'https://t.co/',
  'https://www.reddit.com/',
  'https://www.linkedin.com/',
  'https://www.instagram.com/',
];
const SEARCH_QUERIES = [
  'acme shoes',
  'acme',
  'acme shoes sale',
  'acmeshoes outlet',
  'rival shoes',
  'rival',
  'stride running',
  'stride',
  'running shoes',
  'best trail running shoes',
  'waterproof hiking boots',
  'marathon shoes review',
];
const CONVERSIONS = ['purchase', 'purchase', 'purchase', 'signup', 'lead'] as const;
/** The conversion slot `roll` names; `second`: a converter's second conversion. */
function conversionName(second: boolean, roll: number): string {
  return second
    ? roll < 0.7
      ? 'repeat_purchase'
      : 'renewal'
    : (CONVERSIONS[Math.floor(roll * CONVERSIONS.length)] as string);
}
/** The value of a valued conversion from its slot's roll. */
const conversionAmount = (roll: number) => Math.round(2000 + roll * 38_000) / 100;
const SHARE_NETWORKS = ['facebook', 'whatsapp', 'pinterest', 'x', 'email', 'linkedin'] as const;
/** Channels customers often name when asked, whatever their touches were. */
const POPULAR_ANSWERS = [
  'organic_social',
  'paid_social',
  'organic_search',
  'organic_video',
  'referral',
] as const;
/** How often each NPS score (0–10) is given: ~17% detractors (0–6), ~28% passives, ~55% promoters. */
const NPS_WEIGHTS = [2, 1, 1, 1, 2, 3, 5, 10, 15, 25, 25];
const NPS_TOTAL = NPS_WEIGHTS.reduce((sum, w) => sum + w, 0);

/** What one slot of a user's journey is. */
const KIND = {
  touch: 0,
  internal: 1,
  sent: 2,
  delivered: 3,
  bounce: 4,
  conversion: 5,
  identify: 6,
  cartAdd: 7,
  checkout: 8,
  nps: 9,
  answer: 10,
  share: 11,
  refund: 12,
};
/** Who an event names: the anonymous id only, both ids (an identification), or the user id. */
const ID = { anonymous: 0, both: 1, user: 2 };
const MAX_SLOTS = 4096;

export interface Campaign {
  readonly name: string;
  readonly kind: CampaignKind;
}

/** A seeded, deterministic dataset, readable one UTC day at a time. */
export class SyntheticDataset {
  readonly props: Required<Omit<DatasetProps, 'startMs' | 'endMs'>> & { startMs: number; endMs: number };
  readonly dates: readonly string[];
  readonly campaigns: readonly Campaign[];
  /** Users generated; user `u` has events on days `firstDay[u]..lastDay[u]`. */
  readonly users: number;
  /** Raw lines over all days (events + duplicate copies + aggregated rows). */
  readonly lines: number;
  readonly #dayUsers: Int32Array[];
  readonly #adCampaigns: number[];
  readonly #newsletters: number[];
  // One journey's slots, reused.
  readonly #ts = new Float64Array(MAX_SLOTS);
  readonly #kind = new Uint8Array(MAX_SLOTS);
  readonly #who = new Uint8Array(MAX_SLOTS);
  readonly #source = new Uint8Array(MAX_SLOTS);
  readonly #campaign = new Int32Array(MAX_SLOTS);
  readonly #roll = new Float64Array(MAX_SLOTS);

  constructor(props: DatasetProps) {
    const dates = datesBetween(props.from, addUtcDays(props.from, props.days - 1));
    const dayStart = Date.parse(`${props.from}T00:00:00Z`);
    this.props = {
      seed: 1,
      duplicateShare: 0.003,
      ...props,
      startMs: props.startMs ?? dayStart,
      endMs: props.endMs ?? dayStart + props.days * DAY_MS,
    };
    this.dates = dates;
    const random = seededRandom(mix(this.props.seed, 0x51ed));
    const totalWeight = CAMPAIGN_KINDS.reduce((sum, k) => sum + k.weight, 0);
    this.campaigns = Array.from({ length: props.campaigns }, (_, c) => {
      let roll = random() * totalWeight;
      const kind =
        CAMPAIGN_KINDS.find((k) => {
          roll -= k.weight;
          return roll < 0;
        }) ?? (CAMPAIGN_KINDS[0] as CampaignKind);
      return { name: `${kind.slug}-${String(c).padStart(5, '0')}`, kind };
    });
    this.#adCampaigns = this.campaigns.flatMap((c, i) => (c.kind.platform ? [i] : []));
    this.#newsletters = this.campaigns.flatMap((c, i) => (c.kind.slug === 'newsletter' ? [i] : []));

    // Pass 1: users until the target is reached, and the span of days each one is active.
    let aggregated = 0;
    for (let d = 0; d < dates.length; d++) aggregated += this.#aggregatedCount(d);
    const target = props.events - aggregated;
    const first: number[] = [];
    const last: number[] = [];
    let lines = 0;
    for (let u = 0; lines < target; u++) {
      const slots = this.#journey(u);
      let lo = -1;
      let hi = -1;
      for (let i = 0; i < slots; i++) {
        const ts = this.#ts[i] as number;
        if (ts < this.props.startMs || ts >= this.props.endMs) continue;
        const day = Math.floor((ts - dayStart) / DAY_MS);
        if (lo < 0 || day < lo) lo = day;
        if (day > hi) hi = day;
        lines += (this.#roll[i] as number) < this.props.duplicateShare ? 2 : 1;
      }
      first.push(lo);
      last.push(hi);
    }
    this.users = first.length;
    this.lines = lines + aggregated;
    const counts = new Int32Array(dates.length);
    for (let u = 0; u < this.users; u++) {
      const lo = first[u] as number;
      if (lo < 0) continue;
      for (let d = lo; d <= (last[u] as number); d++) counts[d] = (counts[d] as number) + 1;
    }
    this.#dayUsers = Array.from(counts, (n) => new Int32Array(n));
    const fill = new Int32Array(dates.length);
    for (let u = 0; u < this.users; u++) {
      const lo = first[u] as number;
      if (lo < 0) continue;
      for (let d = lo; d <= (last[u] as number); d++) {
        (this.#dayUsers[d] as Int32Array)[fill[d] as number] = u;
        fill[d] = (fill[d] as number) + 1;
      }
    }
  }

  /** Every raw line of one UTC day (by index into `dates`): user events, copies, aggregated rows. */
  eventsOfDay(d: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    const date = this.dates[d] as string;
    const lo = Math.max(Date.parse(`${date}T00:00:00Z`), this.props.startMs);
    const hi = Math.min(lo - (lo % DAY_MS) + DAY_MS, this.props.endMs);
    for (const u of this.#dayUsers[d] ?? []) {
      const slots = this.#journey(u);
      for (let i = 0; i < slots; i++) {
        const ts = this.#ts[i] as number;
        if (ts < lo || ts >= hi) continue;
        const stored = this.#event(u, i, ts);
        out.push(stored);
        if ((this.#roll[i] as number) < this.props.duplicateShare) {
          out.push({ ...stored, receivedAt: new Date(Date.parse(stored.receivedAt) + 60_000).toISOString() });
        }
      }
    }
    this.#aggregated(d, lo, hi, out);
    return out;
  }

  /**
   * A user's journey into the slot arrays; returns the number of slots. Times are not clipped to
   * the dataset's span (the caller filters), so a journey is the same whichever day reads it.
   */
  #journey(u: number): number {
    const random = seededRandom(mix(this.props.seed, u + 1));
    const cls = random();
    const short = cls < 0.72;
    const long = cls >= 0.96;
    const touches = short
      ? 1 + Math.floor(random() * 3)
      : long
        ? 16 + Math.floor(random() ** 2 * 150)
        : 4 + Math.floor(random() * 12);
    const gapMean = short ? 4 * HOUR_MS : long ? 0.35 * DAY_MS : 1.2 * DAY_MS;
    const span = this.props.endMs - this.props.startMs;
    let t = this.props.startMs + Math.floor(random() * span);
    const anonymousFirst = random() < 0.55;
    const converts = random() < (short ? 0.012 : long ? 0.25 : 0.06);
    const converter2 = converts && random() < 0.15;
    const identifyAt = anonymousFirst && !converts && random() < 0.3 ? Math.floor(random() * touches) : -1;
    const favourite = [this.#pickSource(random), this.#pickSource(random)];
    const favouriteCampaign = [this.#pickCampaign(random), this.#pickCampaign(random)];
    let identified = !anonymousFirst;
    let n = 0;
    /** Pushes a slot; its index, or -1 when the journey is full. */
    const push = (ts: number, kind: number, who: number, source = 0, campaign = -1): number => {
      if (n >= MAX_SLOTS) return -1;
      this.#ts[n] = Math.floor(ts);
      this.#kind[n] = kind;
      this.#who[n] = who;
      this.#source[n] = source;
      this.#campaign[n] = campaign;
      this.#roll[n] = random();
      return n++;
    };
    const newsletters = this.#newsletters;
    let firstSource = 0;
    let firstCampaign = -1;
    for (let i = 0; i < touches; i++) {
      const previous = t;
      if (i > 0) t += -Math.log(1 - random()) * gapMean;
      const source =
        random() < 0.6 ? (favourite[random() < 0.5 ? 0 : 1] as number) : this.#pickSource(random);
      const campaign =
        SOURCES[source] === 'campaign'
          ? random() < 0.5
            ? (favouriteCampaign[random() < 0.5 ? 0 : 1] as number)
            : this.#pickCampaign(random)
          : -1;
      if (i === 0) {
        firstSource = source;
        firstCampaign = campaign;
      }
      const who = identified ? ID.user : ID.anonymous;
      const isEmail = campaign >= 0 && this.campaigns[campaign]?.kind.slug === 'newsletter' && identified;
      if (isEmail) {
        // The e-mail opened or clicked was sent and delivered first; others before it were not opened.
        push(t - 2 * HOUR_MS, KIND.sent, who, source, campaign);
        push(t - 2 * HOUR_MS + 4_000, KIND.delivered, who, source, campaign);
        const unopened = (random() < 0.6 ? 1 : 0) + (random() < 0.4 ? 1 : 0);
        for (let e = 0; e < unopened; e++) {
          const other = newsletters[Math.floor(random() ** 2 * newsletters.length)] as number;
          // Since the previous touch (or hours before the first): the journey's days stay its own.
          const sentAt = i > 0 ? previous + random() * (t - previous) : t - (3 + random() * 9) * HOUR_MS;
          push(sentAt, KIND.sent, who, source, other);
          push(sentAt + 4_000, random() < 0.04 ? KIND.bounce : KIND.delivered, who, source, other);
        }
      }
      push(t, KIND.touch, who, source, campaign);
      if (i === identifyAt) {
        push(t + 1_000, KIND.identify, ID.both);
        identified = true;
      }
      if (!isEmail && random() < 0.27) {
        const pages = 1 + Math.floor(random() * 2);
        for (let p = 1; p <= pages; p++)
          push(t + p * (30_000 + random() * 240_000), KIND.internal, identified ? ID.user : ID.anonymous);
      }
      if (random() < 0.004)
        push(t + 20_000 + random() * 300_000, KIND.share, identified ? ID.user : ID.anonymous);
    }
    /** Carts before a purchase at `at` (slot `of`), its refund and share after it. */
    const aroundPurchase = (at: number, of: number, cartWho: number) => {
      if (random() < 0.8) {
        const adds = random() < 0.7 ? 1 : 2;
        for (let a = 0; a < adds; a++) push(at - (10 + random() * 40) * 60_000, KIND.cartAdd, cartWho, 0, of);
        if (random() < 0.85) push(at - (2 + random() * 6) * 60_000, KIND.checkout, cartWho, 0, of);
      }
      if (random() < 0.04) push(at + (1 + random() * 13) * DAY_MS, KIND.refund, ID.user, 0, of);
      if (random() < 0.03) push(at + (5 + random() * 60) * 60_000, KIND.share, ID.user);
    };
    if (converts) {
      t += 600_000 + random() * 0.25 * gapMean;
      const cartWho = identified ? ID.user : ID.anonymous;
      const first = push(t, KIND.conversion, anonymousFirst && !identified ? ID.both : ID.user, 0);
      identified = true;
      if (first >= 0) {
        const name = conversionName(false, this.#roll[first] as number);
        if (name === 'purchase') aroundPurchase(t, first, cartWho);
        if (random() < 0.3) push(t + 30_000, KIND.answer, ID.user, firstSource, firstCampaign);
        if (random() < 0.15) push(t + (2 + random() * 5) * DAY_MS, KIND.nps, ID.user);
      }
      if (converter2) {
        t += (3 + random() * 17) * DAY_MS;
        const second = push(t, KIND.conversion, ID.user, 1);
        if (second >= 0) {
          const name = conversionName(true, this.#roll[second] as number);
          if (name === 'repeat_purchase') aroundPurchase(t, second, ID.user);
          else if (random() < 0.04) push(t + (1 + random() * 13) * DAY_MS, KIND.refund, ID.user, 0, second);
        }
      }
    } else if (random() < 0.04) {
      // An abandoned cart after the last touch, a quarter of them after starting the checkout.
      const cartWho = identified ? ID.user : ID.anonymous;
      const at = t + (2 + random() * 13) * 60_000;
      push(at, KIND.cartAdd, cartWho);
      if (random() < 0.25) push(at + (1 + random() * 5) * 60_000, KIND.checkout, cartWho);
    }
    return n;
  }

  #pickSource(random: () => number): number {
    let roll = random() * 100;
    for (let i = 0; i < SOURCE_WEIGHTS.length; i++) {
      roll -= SOURCE_WEIGHTS[i] as number;
      if (roll < 0) return i;
    }
    return 0;
  }

  /** Skewed: a few campaigns get most touches, as in real accounts. */
  #pickCampaign(random: () => number): number {
    return Math.floor(random() ** 2.2 * this.campaigns.length);
  }

  /** Slot `i` of user `u`'s journey (just generated) as a stored event. */
  #event(u: number, i: number, ts: number): StoredEvent {
    const kind = this.#kind[i] as number;
    const who = this.#who[i] as number;
    const roll = this.#roll[i] as number;
    const seed = this.props.seed;
    const ids =
      who === ID.anonymous
        ? { anonymousId: `anon-${seed}-${u.toString(36)}` }
        : who === ID.both
          ? { userId: `user-${seed}-${u}`, anonymousId: `anon-${seed}-${u.toString(36)}` }
          : { userId: `user-${seed}-${u}` };
    const common: Common = {
      eventId: `e${seed}-${u.toString(36)}-${i}`,
      occurredAt: new Date(ts).toISOString(),
      ...ids,
    };
    const page = `https://acme.example/p/${(u * 7 + i * 13) % 600}`;
    let event: Event;
    switch (kind) {
      case KIND.internal:
        event = { ...common, type: 'page_view', url: page, referrer: 'https://acme.example/' };
        break;
      case KIND.identify:
        event = { ...common, type: 'identify', userId: ids.userId ?? '', anonymousId: ids.anonymousId ?? '' };
        break;
      case KIND.conversion: {
        const name = conversionName(this.#source[i] === 1, roll);
        const valued = name === 'purchase' || name === 'repeat_purchase' || name === 'renewal';
        event = {
          ...common,
          type: 'conversion',
          name,
          ...(valued ? { value: { amount: conversionAmount(roll), currency: 'USD' } } : {}),
        };
        break;
      }
      case KIND.refund: {
        // Slot `of` is the refunded conversion: its id, and half its value when partial.
        const of = this.#campaign[i] as number;
        const amount = conversionAmount(this.#roll[of] as number);
        event = {
          ...common,
          type: 'conversion',
          name: 'refund',
          refundOf: `e${seed}-${u.toString(36)}-${of}`,
          ...(roll < 0.4 ? { value: { amount: Math.round(amount * 50) / 100, currency: 'USD' } } : {}),
        };
        break;
      }
      case KIND.cartAdd:
      case KIND.checkout: {
        // Before a purchase (slot `of`): what it bought; abandoned: a cart of its own.
        const of = this.#campaign[i] as number;
        const amount = conversionAmount(of >= 0 ? (this.#roll[of] as number) : roll);
        event = {
          ...common,
          type: 'cart',
          action: kind === KIND.cartAdd ? 'add' : 'checkout',
          value: {
            amount: kind === KIND.cartAdd && of >= 0 ? Math.round(amount * (50 + roll * 50)) / 100 : amount,
            currency: 'USD',
          },
        };
        break;
      }
      case KIND.nps: {
        let pick = roll * NPS_TOTAL;
        let score = 0;
        while (score < 10 && pick >= (NPS_WEIGHTS[score] as number)) pick -= NPS_WEIGHTS[score++] as number;
        event = { ...common, type: 'survey', survey: 'nps', score };
        break;
      }
      case KIND.answer:
        event = { ...common, type: 'survey', survey: 'source', answer: this.#answer(i, roll) };
        break;
      case KIND.share:
        event = {
          ...common,
          type: 'share',
          url: page,
          network: SHARE_NETWORKS[Math.floor(roll * SHARE_NETWORKS.length)] as string,
        };
        break;
      case KIND.sent:
      case KIND.delivered:
      case KIND.bounce: {
        const campaign = this.campaigns[this.#campaign[i] as number] as Campaign;
        event = {
          ...common,
          type: 'email',
          action: kind === KIND.sent ? 'sent' : kind === KIND.delivered ? 'delivered' : 'bounce',
          campaign: campaign.name,
        };
        break;
      }
      default:
        event = this.#touch(common, i, u, page);
    }
    return {
      receivedAt: new Date(ts + Math.floor(roll * 5_000)).toISOString(),
      source: 'events',
      event,
    };
  }

  /**
   * A "how did you hear about us" answer (slot `i` holds the journey's first touch): that touch's
   * channel (58%), a popular channel (30%), or word of mouth (12%), as channel ids.
   */
  #answer(i: number, roll: number): string {
    if (roll < 0.12) return 'friend or family';
    if (roll < 0.42)
      return POPULAR_ANSWERS[Math.floor(((roll - 0.12) / 0.3) * POPULAR_ANSWERS.length)] as string;
    const source = SOURCES[this.#source[i] as number];
    if (source === 'campaign') {
      const campaign = this.campaigns[this.#campaign[i] as number];
      return campaign?.kind.expect ?? 'direct';
    }
    return source === 'unassigned' || source === undefined ? 'direct' : source;
  }

  #touch(common: Common, i: number, u: number, page: string): Event {
    const roll = this.#roll[i] as number;
    const source = SOURCES[this.#source[i] as number];
    const properties = roll < 0.1 ? { properties: { title: 'Trail runner X', plan: 'standard' } } : {};
    switch (source) {
      case 'direct':
        return { ...common, type: 'page_view', url: page, ...properties };
      case 'organic_search':
        return {
          ...common,
          type: 'page_view',
          url: page,
          referrer: SEARCH_REFERRERS[Math.floor(roll * SEARCH_REFERRERS.length)] as string,
        };
      case 'organic_social':
        return {
          ...common,
          type: 'page_view',
          url: page,
          referrer: SOCIAL_REFERRERS[Math.floor(roll * SOCIAL_REFERRERS.length)] as string,
        };
      case 'organic_video':
        return { ...common, type: 'page_view', url: page, referrer: 'https://www.youtube.com/watch?v=abc' };
      case 'organic_shopping':
        return { ...common, type: 'page_view', url: page, referrer: 'https://www.amazon.com/' };
      case 'referral':
        return {
          ...common,
          type: 'page_view',
          url: page,
          referrer: `https://blog-${Math.floor(roll * 400)}.example/posts/${u % 97}`,
          ...properties,
        };
      case 'unassigned':
        return { ...common, type: 'page_view', url: `${page}?utm_source=poster&utm_medium=qr` };
      default: {
        const campaign = this.campaigns[this.#campaign[i] as number] as Campaign;
        const { kind } = campaign;
        if (kind.slug === 'newsletter' && common.userId && !common.anonymousId) {
          return roll < 0.3
            ? {
                ...common,
                type: 'email',
                action: 'click',
                campaign: campaign.name,
                url: `${page}?utm_source=newsletter&utm_medium=email&utm_campaign=${campaign.name}`,
              }
            : { ...common, type: 'email', action: 'open', campaign: campaign.name };
        }
        if (kind.platform && kind.network && roll < 0.45) {
          return {
            ...common,
            type: 'ad_click',
            platform: kind.platform,
            network: kind.network,
            campaign: campaign.name,
            adGroup: `${campaign.name}-ag${u % 4}`,
            creative: `cr-${u % 9}`,
            count: 1,
            clickId: `clk${u.toString(36)}x${i}`,
            cost: { amount: Math.round(20 + roll * 300) / 100, currency: 'USD' },
          };
        }
        const source =
          kind.utmSource === 'partner' || kind.utmSource === 'aff' || kind.utmSource === 'podcast';
        const utmSource = source ? `${kind.utmSource}-${(this.#campaign[i] as number) % 40}` : kind.utmSource;
        const gclid = kind.utmSource === 'google' ? `&gclid=g${u.toString(36)}${i}` : '';
        return {
          ...common,
          type: 'page_view',
          url: `${page}?utm_source=${utmSource}&utm_medium=${kind.utmMedium}&utm_campaign=${campaign.name}${gclid}`,
          ...(roll < 0.5 && kind.network === 'social' ? { referrer: 'https://m.facebook.com/' } : {}),
          ...properties,
        };
      }
    }
  }

  #activeCampaigns(d: number): number[] {
    return this.#adCampaigns.filter((c) => mix(this.props.seed + d, c) % 10 < 4);
  }

  #aggregatedCount(d: number): number {
    return this.#activeCampaigns(d).length + COMPETITOR_ROWS + SEARCH_ROWS;
  }

  /** Ad impressions per active ad campaign, competitors' auction-insight rows, search volume. */
  #aggregated(d: number, lo: number, hi: number, out: StoredEvent[]): void {
    if (hi <= lo) return;
    const seed = this.props.seed;
    const at = (n: number) => {
      const ts = lo + (mix(seed + d, n) % (hi - lo));
      return { occurredAt: new Date(ts).toISOString(), receivedAt: new Date(ts + HOUR_MS).toISOString() };
    };
    const date = this.dates[d] as string;
    for (const c of this.#activeCampaigns(d)) {
      const campaign = this.campaigns[c] as Campaign;
      const h = mix(seed + d, c + 7) / 4_294_967_296;
      const count = 20 + Math.floor(h ** 3 * 40_000);
      const when = at(c);
      out.push({
        receivedAt: when.receivedAt,
        source: 'events',
        event: {
          eventId: `imp-${seed}-${date}-${c}`,
          type: 'ad_impression',
          occurredAt: when.occurredAt,
          platform: campaign.kind.platform ?? 'display',
          network: campaign.kind.network,
          campaign: campaign.name,
          count,
          cost: { amount: Math.round(count * (2 + h * 10)) / 1000, currency: 'USD' },
        },
      });
    }
    for (let r = 0; r < COMPETITOR_ROWS; r++) {
      const when = at(100_000 + r);
      out.push({
        receivedAt: when.receivedAt,
        source: 'events',
        event: {
          eventId: `ai-${seed}-${date}-${r}`,
          type: 'ad_impression',
          occurredAt: when.occurredAt,
          platform: 'google_ads',
          network: 'search',
          campaign: `auction-insights-${r % 5}`,
          brand: r % 2 === 0 ? 'Rival' : 'Stride',
          count: 100 + (mix(seed + d, r) % 20_000),
        },
      });
    }
    for (let r = 0; r < SEARCH_ROWS; r++) {
      const when = at(200_000 + r);
      out.push({
        receivedAt: when.receivedAt,
        source: 'events',
        event: {
          eventId: `q-${seed}-${date}-${r}`,
          type: 'search',
          occurredAt: when.occurredAt,
          query: SEARCH_QUERIES[r % SEARCH_QUERIES.length] as string,
          engine: 'google',
          count: 10 + (mix(seed + d, r + 3) % 50_000),
          position: 1 + (r % 10),
        },
      });
    }
  }
}

const COMPETITOR_ROWS = 30;
const SEARCH_ROWS = 120;

/** A 32-bit integer hash of two integers (murmur3's finaliser over a combination). */
export function mix(a: number, b: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul(b | 0, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function addUtcDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Splits a day's lines into raw objects of at most `size` (the senders' batches). */
export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

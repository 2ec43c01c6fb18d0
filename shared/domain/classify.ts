import { isbot } from 'isbot';
import type { ChannelClassifier } from './channels.ts';
import type { AttributionConfig } from './config.ts';
import type { Money, StoredEvent, Utm } from './event-schema.ts';
import type { NormalisedEvent } from './normalised-event.ts';
import { stageOf } from './stages.ts';

/** Click-id query parameters we recognise, lower-cased. */
const CLICK_ID_PARAMS = [
  'gclid',
  'gbraid',
  'wbraid',
  'dclid',
  'msclkid',
  'fbclid',
  'ttclid',
  'twclid',
  'li_fat_id',
  'sccid',
  'epik',
  'rdt_cid',
  'yclid',
];

/** Which click-id parameter an ad platform's `clickId` field stands for, when no URL says it. */
const CLICK_ID_BY_PLATFORM: Readonly<Record<string, string>> = {
  google_ads: 'gclid',
  microsoft_ads: 'msclkid',
  bing_ads: 'msclkid',
  meta: 'fbclid',
  facebook: 'fbclid',
  tiktok: 'ttclid',
  linkedin: 'li_fat_id',
  twitter: 'twclid',
  x: 'twclid',
};

const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content', 'id'] as const;

export interface EventClassifierProps {
  readonly config: AttributionConfig;
  readonly classifier: ChannelClassifier;
}

/** Turns stored events into lake rows with the current config. */
export interface EventClassifier {
  classify(stored: StoredEvent): NormalisedEvent;
  /**
   * Gives the day's page views and conversions without a sender's session id their visit: per
   * user key, a new visit after `sessionTimeoutMinutes` without one (the rows of one UTC day).
   * `earlier`: the last visit of each user key among the day's rows already in the lake, which
   * rows within the timeout after it continue (rows appended to a day).
   */
  assignVisits(rows: NormalisedEvent[], earlier?: ReadonlyMap<string, LastVisit>): void;
}

/** A user key's latest page view or conversion of the day so far, and its visit. */
export interface LastVisit {
  readonly visitId: string;
  readonly ts: number;
}

/**
 * Builds the lake's classifier: UTM and click ids from URLs, channel, stage, voices, referral
 * domain. It runs when the lake is built, never at intake, so a config change reaches history.
 */
export function createEventClassifier(props: EventClassifierProps): EventClassifier {
  const { config, classifier } = props;
  const voiceNames = new Map<string, string>();
  for (const voice of [config.brand, ...config.competitors])
    voiceNames.set(voice.name.toLowerCase(), voice.name);
  const voiceTerms = [config.brand, ...config.competitors].map((voice) => ({
    name: voice.name,
    pattern: new RegExp(
      `(?:^|[^\\p{L}\\p{N}])(?:${voice.terms.map(escapeRegExp).join('|')})(?:$|[^\\p{L}\\p{N}])`,
      'iu',
    ),
  }));
  const canonicalVoice = (name: string): string => voiceNames.get(name.toLowerCase()) ?? name;

  const timeoutMs = config.sessionTimeoutMinutes * 60_000;
  // isbot runs one large pattern; a day holds few distinct agents, so each is tested once.
  const botByAgent = new Map<string, boolean>();
  const isBotAgent = (agent: string): boolean => {
    let bot = botByAgent.get(agent);
    if (bot === undefined) {
      if (botByAgent.size >= 10_000) botByAgent.clear();
      bot = isbot(agent);
      botByAgent.set(agent, bot);
    }
    return bot;
  };
  return {
    assignVisits(rows, earlier) {
      const byUser = new Map<string, NormalisedEvent[]>();
      for (const row of rows) {
        if (row.visitId || !row.userKey || (row.type !== 'page_view' && row.type !== 'conversion')) continue;
        const own = byUser.get(row.userKey);
        if (own) own.push(row);
        else byUser.set(row.userKey, [row]);
      }
      for (const [userKey, own] of byUser) {
        own.sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
        const before = earlier?.get(userKey);
        let visit = before?.visitId ?? '';
        let last = before?.ts ?? Number.NEGATIVE_INFINITY;
        for (const row of own) {
          // A row arriving late (a retried copy) joins the stored visit it falls within the timeout of.
          if (Math.abs(row.ts - last) > timeoutMs) visit = `${userKey}@${row.occurredAt}`;
          row.visitId = visit;
          last = row.ts;
        }
      }
    },
    classify(stored) {
      const { event, receivedAt, emailHash } = stored;
      const url = 'url' in event ? event.url : undefined;
      const fromUrl = readUrl(url);
      const utm = mergeUtm(fromUrl.utm, event.utm);
      const clickId =
        fromUrl.clickId ??
        (event.type === 'ad_click' && event.clickId
          ? { name: CLICK_ID_BY_PLATFORM[event.platform] ?? 'clickid', value: event.clickId }
          : undefined);
      const referrerHost = event.type === 'page_view' && event.referrer ? hostOf(event.referrer) : undefined;
      const platform =
        event.type === 'ad_impression' || event.type === 'ad_click' ? event.platform : undefined;
      const network = event.type === 'ad_impression' || event.type === 'ad_click' ? event.network : undefined;
      const channel = classifier.classify(
        { eventType: event.type, utm, clickIdName: clickId?.name, platform, network, referrerHost },
        event.channel,
      );
      const referrer = classifier.describeReferrer(referrerHost);
      const hasUtm = Boolean(utm && (utm.source || utm.medium || utm.campaign));
      const paidClickId = clickId !== undefined && clickId.name !== 'fbclid';
      const decidedByReferrer = !event.channel && !hasUtm && !paidClickId;
      // Moving from one of our own pages to another continues a visit; it is not a new touch.
      const internalNavigation = event.type === 'page_view' && referrer.kind === 'own' && decidedByReferrer;
      // A robot's visit is no one's journey: kept, but in no stage and no touch.
      const bot = event.userAgent !== undefined && isBotAgent(event.userAgent);
      // A refund changes a conversion's value; it is in no stage itself.
      const refund = event.type === 'conversion' && event.refundOf !== undefined;
      const stage = internalNavigation || bot || refund ? undefined : stageOf(event, config.stages);
      const ts = Date.parse(event.occurredAt);

      const normalised: NormalisedEvent = {
        eventId: event.eventId,
        type: event.type,
        occurredAt: new Date(ts).toISOString(),
        ts,
        receivedAt,
        source: stored.source,
        channel,
        // A share is advocacy, not a marketing touch: it must not become a journey's last touch.
        touch: event.type !== 'conversion' && event.type !== 'share' && stage !== undefined,
        bot,
        count: 'count' in event ? event.count : 1,
      };
      const userKey = event.userId
        ? `u:${event.userId}`
        : event.anonymousId
          ? `a:${event.anonymousId}`
          : emailHash
            ? `e:${emailHash}`
            : undefined;
      assign(normalised, {
        userKey,
        userId: event.userId,
        anonymousId: event.anonymousId,
        emailHash,
        visitId: event.sessionId,
        stage,
        campaign: event.campaign ?? utm?.campaign,
        platform,
        network,
        utm,
        clickId,
        url,
        referrerHost,
        referrerCategory: referrer.kind === 'external' ? referrer.category : undefined,
        properties: event.properties,
      });

      switch (event.type) {
        case 'ad_impression':
          assign(normalised, {
            adGroup: event.adGroup,
            creative: event.creative,
            costMicros: toMicros(event.cost),
            voices: [canonicalVoice(event.brand ?? config.brand.name)],
            voiceSource: 'ads',
          });
          break;
        case 'ad_click':
          assign(normalised, {
            adGroup: event.adGroup,
            creative: event.creative,
            costMicros: toMicros(event.cost),
          });
          break;
        case 'search': {
          const voices = event.brand
            ? [canonicalVoice(event.brand)]
            : voiceTerms.filter((v) => v.pattern.test(event.query ?? '')).map((v) => v.name);
          assign(normalised, {
            query: event.query,
            engine: event.engine,
            position: event.position,
            voices: voices.length > 0 ? voices : undefined,
            voiceSource: voices.length > 0 ? 'search' : undefined,
          });
          break;
        }
        case 'page_view':
          if (referrer.kind === 'external' && decidedByReferrer && referrerHost) {
            assign(normalised, {
              referralDomain: referrerHost.replace(/^www\./, ''),
              referralCategory:
                referrer.category === 'search' || referrer.category === 'social'
                  ? referrer.category
                  : 'referral',
            });
          }
          break;
        case 'email':
          assign(normalised, { emailAction: event.action });
          break;
        case 'conversion':
          assign(normalised, {
            conversion: event.name,
            valueMicros: toMicros(event.value),
            refundOf: event.refundOf,
          });
          break;
        case 'survey':
          assign(normalised, { survey: event.survey, score: event.score, answer: event.answer });
          break;
        case 'cart':
          assign(normalised, { cartAction: event.action, valueMicros: toMicros(event.value) });
          break;
        case 'share':
          assign(normalised, { shareNetwork: event.network });
          break;
      }
      return normalised;
    },
  };
}

/** Money as integer micros, so sums stay exact. */
export function toMicros(money: Money | undefined): number | undefined {
  return money ? Math.round(money.amount * 1_000_000) : undefined;
}

/** The host of a URL, lower-cased, or undefined when it does not parse. */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

function readUrl(url: string | undefined): { utm?: Utm; clickId?: { name: string; value: string } } {
  if (!url) return {};
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return {};
  }
  const lower = new Map<string, string>();
  for (const [key, value] of params)
    if (value && !lower.has(key.toLowerCase())) lower.set(key.toLowerCase(), value);
  const utm: Record<string, string> = {};
  for (const key of UTM_KEYS) {
    const value = lower.get(`utm_${key}`)?.trim().slice(0, 256);
    if (value) utm[key] = value;
  }
  const name = CLICK_ID_PARAMS.find((p) => lower.has(p));
  return {
    ...(Object.keys(utm).length > 0 ? { utm: utm as Utm } : {}),
    ...(name ? { clickId: { name, value: (lower.get(name) ?? '').slice(0, 512) } } : {}),
  };
}

function mergeUtm(fromUrl: Utm | undefined, explicit: Utm | undefined): Utm | undefined {
  if (!fromUrl) return explicit;
  if (!explicit) return fromUrl;
  return { ...fromUrl, ...explicit };
}

/** Copies the defined values only, so stored items carry no `undefined` attributes. */
function assign(target: NormalisedEvent, values: Partial<NormalisedEvent>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

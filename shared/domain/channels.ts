import type { ChannelId, ChannelRule, SignalName, SourceCategory, TouchSignals } from './channel-ids.ts';
import { SIGNAL_NAMES } from './channel-ids.ts';
import type { Utm } from './event-schema.ts';
import type { ReferrerCatalogue } from './referrers.ts';

/** What is known about a touch before it gets a channel. */
export interface TouchFacts {
  readonly eventType: string;
  readonly utm?: Utm | undefined;
  /** Name of the click-id parameter (`gclid`, `msclkid`, ...), if one came with the touch. */
  readonly clickIdName?: string | undefined;
  readonly platform?: string | undefined;
  readonly network?: string | undefined;
  /** Host of the referrer, lower-cased; absent for no referrer. */
  readonly referrerHost?: string | undefined;
}

/** How a referrer host relates to the deployment: absent, one of our own domains, or elsewhere. */
export interface ReferrerInfo {
  readonly kind: 'none' | 'own' | 'external';
  readonly category?: SourceCategory | undefined;
}

export interface ChannelClassifierProps {
  /** Ordered rules; the first that matches decides. */
  readonly rules: readonly ChannelRule[];
  readonly catalogue: ReferrerCatalogue;
  /** Own domains, without `www.`; their subdomains count as own too. */
  readonly ownDomains: readonly string[];
}

export interface ChannelClassifier {
  /** The channel of a touch: the explicit one if given, else the first matching rule, else `direct`. */
  classify(facts: TouchFacts, explicit?: ChannelId): ChannelId;
  /** Where a referrer host comes from. */
  describeReferrer(host: string | undefined): ReferrerInfo;
  /** The signals the rules see for a touch (exposed for explanations and tests). */
  signalsOf(facts: TouchFacts): TouchSignals;
}

const MAX_REMEMBERED = 50_000;

interface CompiledRule {
  readonly channel: ChannelId;
  readonly conditions: ReadonlyArray<readonly [SignalName, RegExp]>;
}

/** Builds a classifier that evaluates the ordered channel rules as data (docs/channels.md). */
export function createChannelClassifier(props: ChannelClassifierProps): ChannelClassifier {
  const compiled: CompiledRule[] = props.rules.map((rule) => ({
    channel: rule.channel,
    conditions: SIGNAL_NAMES.flatMap((name) => {
      const pattern = rule.when[name];
      return pattern === undefined ? [] : [[name, new RegExp(`^(?:${pattern})$`, 'i')] as const];
    }),
  }));
  const own = props.ownDomains.map((d) => d.toLowerCase().replace(/^www\./, ''));

  const describeReferrer = (host: string | undefined): ReferrerInfo => {
    if (!host) return { kind: 'none' };
    const bare = host.toLowerCase().replace(/^www\./, '');
    if (own.some((d) => bare === d || bare.endsWith(`.${d}`))) return { kind: 'own' };
    return { kind: 'external', category: props.catalogue.categoryOfHost(bare)?.category ?? 'other' };
  };

  const signalsOf = (facts: TouchFacts): TouchSignals => {
    const utm = facts.utm ?? {};
    const referrer = describeReferrer(facts.referrerHost);
    const source = utm.source?.toLowerCase() ?? '';
    return {
      eventType: facts.eventType,
      utm: utm.source || utm.medium || utm.campaign ? 'present' : '',
      source,
      medium: utm.medium?.toLowerCase() ?? '',
      campaign: utm.campaign?.toLowerCase() ?? '',
      sourceCategory: source ? (props.catalogue.categoryOfSource(source) ?? '') : '',
      clickId: facts.clickIdName?.toLowerCase() ?? '',
      platform: facts.platform?.toLowerCase() ?? '',
      network: facts.network?.toLowerCase() ?? '',
      referrer: referrer.kind,
      referrerCategory: referrer.category ?? '',
    };
  };

  // Most touches share a handful of sources: remember each distinct set of facts' channel, so the
  // rules run once per set rather than once per event (bounded, for long-running processes).
  const known = new Map<string, ChannelId>();
  return {
    describeReferrer,
    signalsOf,
    classify(facts, explicit) {
      if (explicit) return explicit;
      const utm = facts.utm;
      const key = [
        facts.eventType,
        utm?.source,
        utm?.medium,
        utm?.campaign,
        facts.clickIdName,
        facts.platform,
        facts.network,
        facts.referrerHost,
      ].join('\u001f');
      const remembered = known.get(key);
      if (remembered) return remembered;
      const signals = signalsOf(facts);
      const rule = compiled.find((r) => r.conditions.every(([name, re]) => re.test(signals[name])));
      const channel = rule?.channel ?? 'direct';
      if (known.size >= MAX_REMEMBERED) known.clear();
      known.set(key, channel);
      return channel;
    },
  };
}

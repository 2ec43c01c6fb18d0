import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { seededRandom } from '#local/demo-data.ts';

export interface SyntheticProps {
  readonly events: number;
  readonly users: number;
  /** First instant, epoch ms; events spread over `days` days. */
  readonly start: number;
  readonly days: number;
  readonly seed?: number;
}

const STAGE_OF_TYPE = {
  ad_click: 'consideration',
  page_view: 'consideration',
  email: 'consideration',
} as const;
const TYPES = ['ad_click', 'page_view', 'page_view', 'email'] as const;
const DOMAINS = ['news.example.org', 'blog.example.net', 'google.com', 't.co', 'reddit.com'];

/**
 * Normalised events as a scan of the events table yields them (a user's events together): per
 * user a run of touches on random channels and about one conversion in 20 events. Deterministic
 * for a seed.
 */
export function* syntheticEvents(props: SyntheticProps): Generator<NormalisedEvent> {
  const random = seededRandom(props.seed ?? 7);
  const perUser = Math.max(1, Math.round(props.events / props.users));
  const span = props.days * 86_400_000;
  let emitted = 0;
  for (let u = 0; emitted < props.events; u++) {
    const userKey = `u:user-${u % props.users}-${Math.floor(u / props.users)}`;
    let ts = props.start + Math.floor(random() * span * 0.9);
    for (let i = 0; i < perUser && emitted < props.events; i++, emitted++) {
      ts += Math.floor(random() * 2 * 86_400_000);
      const at = Math.min(ts, props.start + span - 1);
      const eventId = `${userKey}-${i}`;
      if (random() < 0.05) {
        yield {
          eventId,
          type: 'conversion',
          occurredAt: new Date(at).toISOString(),
          ts: at,
          receivedAt: new Date(at).toISOString(),
          userKey,
          channel: 'direct',
          stage: 'decision',
          touch: false,
          count: 1,
          conversion: 'purchase',
          valueMicros: 50_000_000,
        };
        continue;
      }
      const type = TYPES[Math.floor(random() * TYPES.length)] ?? 'page_view';
      const channel = CHANNEL_IDS[Math.floor(random() * CHANNEL_IDS.length)] ?? 'direct';
      const referral = channel === 'referral' ? DOMAINS[Math.floor(random() * DOMAINS.length)] : undefined;
      yield {
        eventId,
        type,
        occurredAt: new Date(at).toISOString(),
        ts: at,
        receivedAt: new Date(at).toISOString(),
        userKey,
        channel,
        stage: STAGE_OF_TYPE[type],
        touch: true,
        count: 1,
        campaign: `campaign-${Math.floor(random() * 20)}`,
        ...(referral ? { referralDomain: referral, referralCategory: 'referral' as const } : {}),
      };
    }
  }
}

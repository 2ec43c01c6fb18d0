import { createHmac } from 'node:crypto';
import type { AttributionConfig } from './config.ts';
import type { FieldIssue } from './errors.ts';
import type { IncomingEvent, Money, StoredEvent } from './event-schema.ts';

export interface StoreContext {
  readonly receivedAt: string;
  /** `events`, `segment` or `webhook:<provider>`. */
  readonly source: string;
  /** Deployment secret that keys the e-mail hash, so hashes cannot be matched across deployments. */
  readonly hashSecret: string;
}

/**
 * Problems that make a schema-valid event unacceptable to this deployment, with paths under the
 * event: money in another currency (nothing is converted, so it could never be summed).
 */
export function checkEventForConfig(event: IncomingEvent, config: AttributionConfig): FieldIssue[] {
  const money: Array<[string, Money | undefined]> = [];
  if (event.type === 'ad_impression' || event.type === 'ad_click') money.push(['cost', event.cost]);
  if (event.type === 'conversion' || event.type === 'cart') money.push(['value', event.value]);
  return money.flatMap(([field, value]) =>
    value && value.currency !== config.currency
      ? [
          {
            path: `${field}.currency`,
            message: `must be ${config.currency}, the configured currency (no conversion is done)`,
          },
        ]
      : [],
  );
}

/** A whole value that is an e-mail address (sites often use one as the user id). */
const EMAIL_ID = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The raw-zone form of an accepted event: as received, but no e-mail address in clear. The
 * `email` field becomes `emailHash`; a user, anonymous or previous id that is an e-mail address
 * becomes its hash, the same for every sender, so journeys still join across them.
 */
export function toStoredEvent(event: IncomingEvent, context: StoreContext): StoredEvent {
  const ids: Partial<Record<'userId' | 'anonymousId' | 'previousId', string>> = {};
  for (const key of ['userId', 'anonymousId', 'previousId'] as const) {
    const value = (event as Partial<Record<typeof key, string>>)[key];
    if (value !== undefined && EMAIL_ID.test(value)) ids[key] = hashEmail(value, context.hashSecret);
  }
  const withIds = { ...event, ...ids } as IncomingEvent;
  if (withIds.type === 'email' && withIds.email !== undefined) {
    const { email, ...rest } = withIds;
    return {
      receivedAt: context.receivedAt,
      source: context.source,
      emailHash: hashEmail(email, context.hashSecret),
      event: rest,
    };
  }
  return { receivedAt: context.receivedAt, source: context.source, event: withIds };
}

/** HMAC-SHA256 of the trimmed, lower-cased address, hex. */
export function hashEmail(email: string, secret: string): string {
  return createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex');
}

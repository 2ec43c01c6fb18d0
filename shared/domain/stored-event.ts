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
  if (event.type === 'conversion') money.push(['value', event.value]);
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

/** The raw-zone form of an accepted event: as received, the e-mail address replaced by its hash. */
export function toStoredEvent(event: IncomingEvent, context: StoreContext): StoredEvent {
  if (event.type === 'email' && event.email !== undefined) {
    const { email, ...rest } = event;
    return {
      receivedAt: context.receivedAt,
      source: context.source,
      emailHash: hashEmail(email, context.hashSecret),
      event: rest,
    };
  }
  return { receivedAt: context.receivedAt, source: context.source, event };
}

/** HMAC-SHA256 of the trimmed, lower-cased address, hex. */
export function hashEmail(email: string, secret: string): string {
  return createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex');
}

import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { event } from '../../../support/events.ts';

export { event };

/** A touch by `userKey` on `channel`. */
export function touch(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  channel: NormalisedEvent['channel'],
  fields: Partial<NormalisedEvent> = {},
): NormalisedEvent {
  return event(eventId, occurredAt, { userKey, channel, ...fields });
}

/** A conversion by `userKey` (a `decision` purchase unless told otherwise). */
export function conversion(
  eventId: string,
  userKey: string | undefined,
  occurredAt: string,
  fields: Partial<NormalisedEvent> = {},
): NormalisedEvent {
  return event(eventId, occurredAt, {
    type: 'conversion',
    conversion: 'purchase',
    userKey,
    channel: 'direct',
    stage: 'decision',
    touch: false,
    ...fields,
  });
}

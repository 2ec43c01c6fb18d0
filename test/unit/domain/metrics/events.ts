import type { NormalisedEvent } from '#domain/normalised-event.ts';

/** Test helper: a stored event with sensible defaults (a page-view touch on `direct`, count 1). */
export function event(
  eventId: string,
  occurredAt: string,
  fields: Partial<Omit<NormalisedEvent, 'eventId' | 'occurredAt' | 'ts'>> = {},
): NormalisedEvent {
  const ts = Date.parse(occurredAt);
  return {
    eventId,
    type: 'page_view',
    occurredAt: new Date(ts).toISOString(),
    ts,
    receivedAt: new Date(ts).toISOString(),
    channel: 'direct',
    stage: 'consideration',
    touch: true,
    count: 1,
    ...fields,
  };
}

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

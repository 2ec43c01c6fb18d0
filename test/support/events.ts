import type { NormalisedEvent } from '#domain/normalised-event.ts';

/** Test helper: a lake row with sensible defaults (a page-view touch on `direct`, count 1). */
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
    source: 'events',
    channel: 'direct',
    stage: 'consideration',
    touch: true,
    bot: false,
    count: 1,
    ...fields,
  };
}

import type { EventStore } from '#adapters/event-store.ts';
import type { RawLineError, RawStore } from '#adapters/raw-store.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';

export interface LoadDeps {
  readonly rawStore: RawStore;
  readonly eventStore: EventStore;
}

export interface LoadOutcome {
  readonly key: string;
  readonly loaded: number;
  /** Lines that are not events; the object is reported as failed so it reaches the DLQ for a look. */
  readonly invalid: readonly RawLineError[];
}

/**
 * Loads one raw object into the events table. Idempotent: the table is keyed by event id, so
 * loading the same object twice, or two objects holding the same event, stores it once.
 */
export async function loadRawObject(key: string, deps: LoadDeps): Promise<LoadOutcome> {
  const { events, invalid } = await deps.rawStore.readObject(key);
  const keyed = await joinIdentities(events, deps.eventStore);
  await deps.eventStore.putEvents(keyed);
  // A link loaded elsewhere meanwhile may have missed what was just written anonymously: look again.
  const stillAnonymous = keyed.flatMap((event) => (event.userKey?.startsWith('a:') ? [event.userKey] : []));
  if (stillAnonymous.length > 0) await deps.eventStore.moveLinked(stillAnonymous);
  return { key, loaded: events.length, invalid };
}

/**
 * Identity joining: an event that carries both an anonymous id and a user id (an identify, or
 * any later event) links the two, moving the anonymous events already loaded under the user;
 * events that carry only a linked anonymous id are keyed to the user.
 */
async function joinIdentities(
  events: readonly NormalisedEvent[],
  store: EventStore,
): Promise<NormalisedEvent[]> {
  const links = new Map<string, string>();
  for (const event of events) {
    if (event.anonymousId && event.userId && !links.has(`a:${event.anonymousId}`)) {
      links.set(`a:${event.anonymousId}`, `u:${event.userId}`);
    }
  }
  for (const [anonymousKey, userKey] of links) await store.linkIdentity(anonymousKey, userKey);
  const anonymous = events.flatMap((event) => (event.userKey?.startsWith('a:') ? [event.userKey] : []));
  if (anonymous.length === 0) return [...events];
  const aliases = await store.resolveAliases(anonymous);
  return events.map((event) => {
    const userKey = event.userKey ? aliases.get(event.userKey) : undefined;
    return userKey ? { ...event, userKey } : event;
  });
}

import type { EventStore } from '#adapters/event-store.ts';
import type { RawLineError, RawStore } from '#adapters/raw-store.ts';

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
  await deps.eventStore.putEvents(events);
  return { key, loaded: events.length, invalid };
}

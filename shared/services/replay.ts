import { addDays } from '#domain/dates.ts';
import { type LoadDeps, loadRawObject } from './load-raw.ts';

export interface ReplayStats {
  readonly objects: number;
  readonly events: number;
  readonly invalidLines: number;
}

/**
 * Re-loads the raw zone for the local days `from`..`to`. Raw partitions are UTC days, so one
 * day more on each side is read: loading extra events is harmless (idempotent), missing some is not.
 */
export async function replayRange(from: string, to: string, deps: LoadDeps): Promise<ReplayStats> {
  let objects = 0;
  let events = 0;
  let invalidLines = 0;
  for await (const key of deps.rawStore.listKeys(addDays(from, -1), addDays(to, 1))) {
    const outcome = await loadRawObject(key, deps);
    objects += 1;
    events += outcome.loaded;
    invalidLines += outcome.invalid.length;
  }
  return { objects, events, invalidLines };
}

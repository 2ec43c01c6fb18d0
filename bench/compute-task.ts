/**
 * One compute measurement, run in its own process so its peak memory is its own:
 * `node bench/compute-task.ts in-memory|stream <events>` prints one JSON line.
 * - in-memory: the events are generated first into segments held in memory (not timed), then
 *   map (every segment) + merge + finalise (the four metrics) are timed.
 * - stream: one map task over all the events as they stream in, as from scan pages.
 */
import { addDays } from '#domain/dates.ts';
import {
  channelShare,
  cpaByStage,
  mapSegment,
  mergeAll,
  referralTraffic,
  SegmentMapper,
  shareOfVoice,
} from '#domain/metrics/index.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { syntheticEvents } from './synthetic-events.ts';

const [mode = 'in-memory', countText = '1000000', segmentsText = '4'] = process.argv.slice(2);
const events = Number(countText);
const segments = Number(segmentsText);
const from = '2026-03-01';
const to = '2026-03-30';
const props = { from, to, timeZone: 'UTC', lookbackDays: 30 };
const source = {
  events,
  users: Math.round(events / 10),
  start: Date.parse(`${addDays(from, -10)}T00:00:00Z`),
  days: 40,
};

function finaliseAll(partial: ReturnType<typeof mergeAll>): number {
  const range = { from, to };
  const results = [
    channelShare(partial, { ...range, basis: 'touches' }),
    channelShare(partial, { ...range, basis: 'conversions' }),
    channelShare(partial, { ...range, basis: 'spend' }),
    shareOfVoice(partial, { ...range, source: 'all', brand: 'Acme', competitors: ['Rival'] }),
    referralTraffic(partial, { ...range, limit: 10 }),
    cpaByStage(partial, { ...range, currency: 'USD' }),
  ];
  return results.length;
}

let ms: number;
if (mode === 'stream') {
  const started = performance.now();
  const mapper = new SegmentMapper(props);
  for (const event of syntheticEvents(source)) mapper.add(event);
  finaliseAll(mergeAll([mapper.finish()]));
  ms = performance.now() - started;
} else {
  // Whole users per segment, as a parallel scan gives them.
  const parts: NormalisedEvent[][] = Array.from({ length: segments }, () => []);
  let user = '';
  let segment = 0;
  for (const event of syntheticEvents(source)) {
    if (event.userKey !== user) {
      user = event.userKey ?? '';
      segment = (segment + 1) % segments;
    }
    parts[segment]?.push(event);
  }
  const started = performance.now();
  finaliseAll(mergeAll(parts.map((part) => mapSegment(part, props))));
  ms = performance.now() - started;
}
const usage = process.resourceUsage();
console.log(
  JSON.stringify({
    mode,
    events,
    segments,
    ms,
    eventsPerSecond: events / (ms / 1000),
    maxRssMb: usage.maxRSS / 1024,
  }),
);

import { createLocalDateCache, DAY_MS } from '../dates.ts';
import type { NormalisedEvent } from '../normalised-event.ts';
import { apportion, CREDIT_UNIT, type JourneyTouch, touchWeights } from './models.ts';
import {
  AttributionDayAccumulator,
  type AttributionPartial,
  CONVERSION,
  creditKey,
  KEY_SEPARATOR,
  NULL_STATE,
  START,
} from './partial.ts';

export interface AttributionMapperProps {
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  readonly lookbackDays: number;
  readonly halfLifeDays: number;
}

interface Entry extends JourneyTouch {
  readonly eventId: string;
  readonly conversion: boolean;
  readonly key: string;
  readonly count: number;
  readonly valueMicros: number;
}

/**
 * The attribution part of the compute map step, fed one event at a time from a scan segment
 * (which holds whole users). For every conversion on a day in range it builds the journey, the
 * user's touches in the lookback window before it (oldest first), and emits mergeable statistics:
 * heuristic-model credits, Markov transitions of the collapsed channel path, and the journey's
 * channel set. Touches after a user's last conversion form a path to null for Markov, counted
 * on the day of its last touch.
 */
export class AttributionMapper {
  readonly #props: AttributionMapperProps;
  readonly #lookbackMs: number;
  readonly #dayOf: (ts: number) => string;
  /** Per user, the column index of the user's latest event; earlier ones chain through `prev`. */
  readonly #tails = new Map<string, number>();
  readonly #columns = new EventColumns();
  readonly #seenWithoutUser = new Set<string>();
  #lastUser: string | undefined;
  #lastTail = -1;
  readonly #days = new Map<string, AttributionDayAccumulator>();

  constructor(props: AttributionMapperProps) {
    this.#props = props;
    this.#lookbackMs = props.lookbackDays * DAY_MS;
    this.#dayOf = createLocalDateCache(props.timeZone);
  }

  add(event: NormalisedEvent): void {
    const isConversion = event.type === 'conversion';
    if (!event.touch && !isConversion) return;
    const key = creditKey(event.channel, event.campaign);
    if (event.touch) {
      const day = this.#dayIfInRange(event.ts);
      if (day) day.addTouch(key, event.count);
    }
    if (!event.userKey) {
      // A conversion nobody can be followed to has no journey: it is direct (once per event id).
      if (isConversion && !this.#seenWithoutUser.has(event.eventId)) {
        this.#seenWithoutUser.add(event.eventId);
        this.#touchless(event.ts, event.count, event.valueMicros ?? 0);
      }
      return;
    }
    // A scan keeps a user's items together, so the map is touched only when the user changes.
    if (event.userKey !== this.#lastUser) {
      if (this.#lastUser !== undefined) this.#tails.set(this.#lastUser, this.#lastTail);
      this.#lastUser = event.userKey;
      this.#lastTail = this.#tails.get(event.userKey) ?? -1;
    }
    this.#lastTail = this.#columns.push(event, key, isConversion, this.#lastTail);
  }

  finish(): AttributionPartial {
    if (this.#lastUser !== undefined) this.#tails.set(this.#lastUser, this.#lastTail);
    // Entries are materialised one user at a time and dropped: short-lived, cheap to collect.
    for (const tail of this.#tails.values()) this.#journeys(this.#columns.entriesOf(tail));
    this.#tails.clear();
    const dates = [...this.#days.keys()].sort();
    return {
      days: Object.fromEntries(
        dates.map((date) => [date, (this.#days.get(date) as AttributionDayAccumulator).toDay()]),
      ),
    };
  }

  #journeys(entries: Entry[]): void {
    if (!isOrdered(entries)) entries.sort(byTimeThenId);
    const touches: Entry[] = [];
    const conversions: Entry[] = [];
    let previous: string | undefined;
    for (const entry of entries) {
      if (entry.eventId === previous) continue;
      previous = entry.eventId;
      (entry.conversion ? conversions : touches).push(entry);
    }
    let start = 0;
    let end = 0;
    for (const conversion of conversions) {
      // Touches at the conversion's own instant belong to its journey.
      while (end < touches.length && (touches[end] as Entry).ts <= conversion.ts) end++;
      while (start < end && (touches[start] as Entry).ts < conversion.ts - this.#lookbackMs) start++;
      const day = this.#dayIfInRange(conversion.ts);
      if (!day) continue;
      if (start === end) this.#touchless(conversion.ts, conversion.count, conversion.valueMicros);
      else this.#credit(day, touches.slice(start, end), conversion);
    }
    const last = conversions[conversions.length - 1];
    const after = last ? touches.filter((touch) => touch.ts > last.ts) : touches;
    const final = after[after.length - 1];
    if (!final) return;
    const day = this.#dayIfInRange(final.ts);
    if (day)
      addPath(
        day,
        after.filter((touch) => touch.ts >= final.ts - this.#lookbackMs),
        NULL_STATE,
        1,
      );
  }

  #credit(day: AttributionDayAccumulator, journey: readonly Entry[], conversion: Entry): void {
    const whole = CREDIT_UNIT * conversion.count;
    day.addCredit('first_touch', (journey[0] as Entry).key, whole, conversion.valueMicros);
    day.addCredit('last_touch', (journey[journey.length - 1] as Entry).key, whole, conversion.valueMicros);
    for (const model of SHARED_MODELS) {
      const weights = touchWeights(model, journey, conversion.ts, this.#props.halfLifeDays);
      const credits = apportion(whole, weights);
      const values = apportion(conversion.valueMicros, weights);
      for (let i = 0; i < journey.length; i++) {
        const credit = credits[i] as number;
        const value = values[i] as number;
        if (credit !== 0 || value !== 0) day.addCredit(model, (journey[i] as Entry).key, credit, value);
      }
    }
    addPath(day, journey, CONVERSION, conversion.count);
    const set = [...new Set(journey.map((touch) => touch.channel))].sort().join(',');
    day.addChannelSet(set, conversion.count, conversion.valueMicros);
  }

  #touchless(ts: number, count: number, valueMicros: number): void {
    this.#dayIfInRange(ts)?.addTouchless(count, valueMicros);
  }

  #dayIfInRange(ts: number): AttributionDayAccumulator | undefined {
    const date = this.#dayOf(ts);
    if (date < this.#props.from || date > this.#props.to) return undefined;
    let day = this.#days.get(date);
    if (!day) {
      day = new AttributionDayAccumulator();
      this.#days.set(date, day);
    }
    return day;
  }
}

function byTimeThenId(a: Entry, b: Entry): number {
  return a.ts - b.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

function isOrdered(entries: readonly Entry[]): boolean {
  for (let i = 1; i < entries.length; i++)
    if (byTimeThenId(entries[i - 1] as Entry, entries[i] as Entry) > 0) return false;
  return true;
}

/** The events of a segment as columns, each user's chained newest to oldest through `prev`. */
class EventColumns {
  #size = 0;
  #ts = new Float64Array(1024);
  #count = new Float64Array(1024);
  #value = new Float64Array(1024);
  #prev = new Int32Array(1024);
  #conversion = new Uint8Array(1024);
  readonly #eventId: string[] = [];
  readonly #channel: string[] = [];
  readonly #key: string[] = [];

  push(event: NormalisedEvent, key: string, conversion: boolean, prev: number): number {
    if (this.#size === this.#ts.length) this.#grow();
    const i = this.#size++;
    this.#ts[i] = event.ts;
    this.#count[i] = event.count;
    this.#value[i] = event.valueMicros ?? 0;
    this.#prev[i] = prev;
    this.#conversion[i] = conversion ? 1 : 0;
    this.#eventId[i] = event.eventId;
    this.#channel[i] = event.channel;
    this.#key[i] = key;
    return i;
  }

  entriesOf(tail: number): Entry[] {
    const entries: Entry[] = [];
    for (let i = tail; i !== -1; i = this.#prev[i] as number) {
      entries.push({
        ts: this.#ts[i] as number,
        eventId: this.#eventId[i] as string,
        channel: this.#channel[i] as string,
        conversion: this.#conversion[i] === 1,
        key: this.#key[i] as string,
        count: this.#count[i] as number,
        valueMicros: this.#value[i] as number,
      });
    }
    return entries.reverse();
  }

  #grow(): void {
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(array: T): T => {
      const bigger = new (array.constructor as new (n: number) => T)(array.length * 2);
      bigger.set(array);
      return bigger;
    };
    this.#ts = grow(this.#ts);
    this.#count = grow(this.#count);
    this.#value = grow(this.#value);
    this.#prev = grow(this.#prev);
    this.#conversion = grow(this.#conversion);
  }
}

/** Models that can share a conversion between touches (first and last touch give it whole). */
const SHARED_MODELS = ['linear', 'time_decay', 'position_based'] as const;

/** Adds the transitions of a path (consecutive same-channel touches collapsed) ending in `end`. */
function addPath(
  day: AttributionDayAccumulator,
  touches: readonly JourneyTouch[],
  end: string,
  weight: number,
): void {
  let state = START;
  for (const touch of touches) {
    if (touch.channel === state) continue;
    day.addTransition(`${state}${KEY_SEPARATOR}${touch.channel}`, weight);
    state = touch.channel;
  }
  day.addTransition(`${state}${KEY_SEPARATOR}${end}`, weight);
}

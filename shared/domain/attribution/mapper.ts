import { createLocalDateCache, DAY_MS } from '../dates.ts';
import type { NormalisedEvent } from '../normalised-event.ts';
import { apportion, CREDIT_UNIT, HEURISTIC_MODELS, type JourneyTouch, touchWeights } from './models.ts';
import {
  type AttributionDay,
  type AttributionPartial,
  CONVERSION,
  creditKey,
  emptyAttributionDay,
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
  readonly #users = new Map<string, Entry[]>();
  readonly #days = new Map<string, AttributionDay>();

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
      if (day) day.touches[key] = (day.touches[key] ?? 0) + event.count;
    }
    if (!event.userKey) {
      // A conversion nobody can be followed to has no journey: it is direct.
      if (isConversion) this.#touchless(event.ts, event.count, event.valueMicros ?? 0);
      return;
    }
    let entries = this.#users.get(event.userKey);
    if (!entries) {
      entries = [];
      this.#users.set(event.userKey, entries);
    }
    entries.push({
      ts: event.ts,
      eventId: event.eventId,
      channel: event.channel,
      conversion: isConversion,
      key,
      count: event.count,
      valueMicros: event.valueMicros ?? 0,
    });
  }

  finish(): AttributionPartial {
    for (const entries of this.#users.values()) this.#journeys(entries);
    this.#users.clear();
    const dates = [...this.#days.keys()].sort();
    return {
      days: Object.fromEntries(
        dates.map((date) => [date, canonical(this.#days.get(date) as AttributionDay)]),
      ),
    };
  }

  #journeys(entries: Entry[]): void {
    entries.sort((a, b) => a.ts - b.ts || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
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

  #credit(day: AttributionDay, journey: readonly Entry[], conversion: Entry): void {
    for (const model of HEURISTIC_MODELS) {
      const weights = touchWeights(model, journey, conversion.ts, this.#props.halfLifeDays);
      const credits = apportion(CREDIT_UNIT * conversion.count, weights);
      const values = apportion(conversion.valueMicros, weights);
      const cells = day.credits[model];
      journey.forEach((touch, i) => {
        const credit = credits[i] ?? 0;
        const value = values[i] ?? 0;
        if (credit === 0 && value === 0) return;
        const cell = cells[touch.key];
        if (cell) {
          cell.credit += credit;
          cell.valueMicros += value;
        } else cells[touch.key] = { credit, valueMicros: value };
      });
    }
    addPath(day, journey, CONVERSION, conversion.count);
    const set = [...new Set(journey.map((touch) => touch.channel))].sort().join(',');
    const cell = day.channelSets[set];
    if (cell) {
      cell.conversions += conversion.count;
      cell.valueMicros += conversion.valueMicros;
    } else day.channelSets[set] = { conversions: conversion.count, valueMicros: conversion.valueMicros };
  }

  #touchless(ts: number, count: number, valueMicros: number): void {
    const day = this.#dayIfInRange(ts);
    if (!day) return;
    day.touchless.conversions += count;
    day.touchless.valueMicros += valueMicros;
  }

  #dayIfInRange(ts: number): AttributionDay | undefined {
    const date = this.#dayOf(ts);
    if (date < this.#props.from || date > this.#props.to) return undefined;
    let day = this.#days.get(date);
    if (!day) {
      day = emptyAttributionDay();
      this.#days.set(date, day);
    }
    return day;
  }
}

/** Adds the transitions of a path (consecutive same-channel touches collapsed) ending in `end`. */
function addPath(day: AttributionDay, touches: readonly JourneyTouch[], end: string, weight: number): void {
  let state = START;
  for (const touch of touches) {
    if (touch.channel === state) continue;
    const key = `${state}${KEY_SEPARATOR}${touch.channel}`;
    day.transitions[key] = (day.transitions[key] ?? 0) + weight;
    state = touch.channel;
  }
  const key = `${state}${KEY_SEPARATOR}${end}`;
  day.transitions[key] = (day.transitions[key] ?? 0) + weight;
}

/** The day with every record's keys sorted, as merged partials have them. */
function canonical(day: AttributionDay): AttributionDay {
  const sorted = <T>(record: Record<string, T>) =>
    Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, record[key] as T]),
    );
  return {
    credits: Object.fromEntries(
      Object.entries(day.credits).map(([model, cells]) => [model, sorted(cells)]),
    ) as AttributionDay['credits'],
    transitions: sorted(day.transitions),
    channelSets: sorted(day.channelSets),
    touchless: day.touchless,
    touches: sorted(day.touches),
    spendMicros: sorted(day.spendMicros),
  };
}

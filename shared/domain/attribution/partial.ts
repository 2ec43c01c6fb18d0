import { z } from 'zod';
import { checkedRecord, isCount } from '../checked-record.ts';
import { HEURISTIC_MODELS, type HeuristicModel } from './models.ts';

/** Separates channel and campaign in a credit key (a character no real name carries). */
export const KEY_SEPARATOR = '\u001f';
/** The campaign of touches that name none. */
export const NO_CAMPAIGN = '(none)';
/** Markov chain states besides the channels. */
export const START = '(start)';
export const CONVERSION = '(conversion)';
export const NULL_STATE = '(null)';

export function creditKey(channel: string, campaign: string | undefined): string {
  return `${channel}${KEY_SEPARATOR}${(campaign ?? NO_CAMPAIGN).replaceAll(KEY_SEPARATOR, ' ')}`;
}

export function splitKey(key: string): { channel: string; campaign: string } {
  const at = key.indexOf(KEY_SEPARATOR);
  return { channel: key.slice(0, at), campaign: key.slice(at + 1) };
}

/** The channel of a credit key: `splitKey(key).channel`, without making the campaign. */
function channelOf(key: string): string {
  return key.slice(0, key.indexOf(KEY_SEPARATOR));
}

/** Credit of one model to one channel and campaign, and the conversion value that goes with it. */
export interface CreditCell {
  /** In billionths of a conversion (`CREDIT_UNIT`). */
  credit: number;
  valueMicros: number;
}

/** Whole conversions and their value. */
export interface ConversionCell {
  conversions: number;
  valueMicros: number;
}

/** The attribution statistics of one calendar day; every number is an exact integer. */
export interface AttributionDay {
  /** Heuristic-model credit per `channel␟campaign`, for conversions on this day. */
  credits: Record<HeuristicModel, Record<string, CreditCell>>;
  /** First-order transitions (`from→to` keyed `from␟to`) of the day's converting paths and of null paths ending this day. */
  transitions: Record<string, number>;
  /** Converting journeys per set of distinct channels (sorted, joined by `,`). */
  channelSets: Record<string, ConversionCell>;
  /** Conversions with no touch in their lookback window: credited to `direct`. */
  touchless: ConversionCell;
  /** Touches per `channel␟campaign` (spend on a key with no touch that day is unattributed). */
  touches: Record<string, number>;
  /** Spend per `channel␟campaign`, micros. */
  spendMicros: Record<string, number>;
}

export interface AttributionPartial {
  days: Record<string, AttributionDay>;
}

export function emptyAttributionDay(): AttributionDay {
  return {
    credits: { first_touch: {}, last_touch: {}, linear: {}, time_decay: {}, position_based: {} },
    transitions: {},
    channelSets: {},
    touchless: { conversions: 0, valueMicros: 0 },
    touches: {},
    spendMicros: {},
  };
}

/** Sums are doubles: exact below 2⁵³, and never a failure above it. */
const integer = z.number().finite().min(0);
const conversionCellSchema = z.object({ conversions: integer, valueMicros: integer });
const isCreditCell = (value: unknown): value is CreditCell =>
  typeof value === 'object' &&
  value !== null &&
  isCount((value as CreditCell).credit) &&
  isCount((value as CreditCell).valueMicros);
const isConversionCell = (value: unknown): value is ConversionCell =>
  typeof value === 'object' &&
  value !== null &&
  isCount((value as ConversionCell).conversions) &&
  isCount((value as ConversionCell).valueMicros);
const credits = checkedRecord(isCreditCell, 'a credit cell');
const counts = checkedRecord(isCount, 'a count');

/** Validates an attribution day read back from storage. */
export const attributionDaySchema: z.ZodType<AttributionDay> = z.object({
  credits: z.object(
    Object.fromEntries(HEURISTIC_MODELS.map((model) => [model, credits])) as Record<
      HeuristicModel,
      typeof credits
    >,
  ),
  transitions: counts,
  channelSets: checkedRecord(isConversionCell, 'a conversion cell'),
  touchless: conversionCellSchema,
  touches: counts,
  spendMicros: counts,
});

/**
 * What a merge sums: the credits of some models, the paths (transitions and channel sets) and the
 * touches. Touchless conversions and spend are always summed. A query's answer reads a few of a
 * range's records (one model's credits, no touches once spend is settled), and skipping the
 * others skips most of its keys.
 */
export interface MergedFields {
  readonly credits: readonly HeuristicModel[];
  readonly paths: boolean;
  readonly touches: boolean;
}

/** Every field: what a stored block of days holds. */
export const ALL_FIELDS: MergedFields = { credits: HEURISTIC_MODELS, paths: true, touches: true };

/**
 * Sums attribution days into maps and hands back one canonical day (every record's keys sorted,
 * so equal sums serialise equally). Merging through it is commutative and associative, exactly.
 * Fields left out of `fields` stay empty.
 */
export class AttributionDayAccumulator {
  readonly #fields: MergedFields;
  readonly #credits = new Map<HeuristicModel, Map<string, CreditCell>>(
    HEURISTIC_MODELS.map((m) => [m, new Map()]),
  );
  readonly #transitions = new Map<string, number>();
  readonly #channelSets = new Map<string, ConversionCell>();
  readonly #touchless: ConversionCell = { conversions: 0, valueMicros: 0 };
  readonly #touches = new Map<string, number>();
  readonly #spend = new Map<string, number>();

  constructor(fields: MergedFields = ALL_FIELDS) {
    this.#fields = fields;
  }

  addCredit(model: HeuristicModel, key: string, credit: number, valueMicros: number): void {
    const cells = this.#credits.get(model) as Map<string, CreditCell>;
    const found = cells.get(key);
    if (found) {
      found.credit += credit;
      found.valueMicros += valueMicros;
    } else cells.set(key, { credit, valueMicros });
  }

  addTransition(key: string, weight: number): void {
    this.#transitions.set(key, (this.#transitions.get(key) ?? 0) + weight);
  }

  addChannelSet(set: string, conversions: number, valueMicros: number): void {
    const found = this.#channelSets.get(set);
    if (found) {
      found.conversions += conversions;
      found.valueMicros += valueMicros;
    } else this.#channelSets.set(set, { conversions, valueMicros });
  }

  addTouchless(conversions: number, valueMicros: number): void {
    this.#touchless.conversions += conversions;
    this.#touchless.valueMicros += valueMicros;
  }

  addTouch(key: string, count: number): void {
    this.#touches.set(key, (this.#touches.get(key) ?? 0) + count);
  }

  addSpend(key: string, micros: number): void {
    this.#spend.set(key, (this.#spend.get(key) ?? 0) + micros);
  }

  add(day: AttributionDay): this {
    const fields = this.#fields;
    for (const model of fields.credits) {
      const target = this.#credits.get(model) as Map<string, CreditCell>;
      for (const [key, cell] of Object.entries(day.credits[model])) {
        const found = target.get(key);
        if (found) {
          found.credit += cell.credit;
          found.valueMicros += cell.valueMicros;
        } else target.set(key, { credit: cell.credit, valueMicros: cell.valueMicros });
      }
    }
    if (fields.paths) {
      addCounts(this.#transitions, day.transitions);
      for (const [key, cell] of Object.entries(day.channelSets)) {
        const found = this.#channelSets.get(key);
        if (found) {
          found.conversions += cell.conversions;
          found.valueMicros += cell.valueMicros;
        } else this.#channelSets.set(key, { conversions: cell.conversions, valueMicros: cell.valueMicros });
      }
    }
    this.#touchless.conversions += day.touchless.conversions;
    this.#touchless.valueMicros += day.touchless.valueMicros;
    if (fields.touches) addCounts(this.#touches, day.touches);
    addCounts(this.#spend, day.spendMicros);
    return this;
  }

  toDay(): AttributionDay {
    return {
      credits: Object.fromEntries(
        HEURISTIC_MODELS.map((model) => [
          model,
          sortedRecord(this.#credits.get(model) as Map<string, CreditCell>),
        ]),
      ) as AttributionDay['credits'],
      transitions: sortedRecord(this.#transitions),
      channelSets: sortedRecord(this.#channelSets),
      touchless: { ...this.#touchless },
      touches: sortedRecord(this.#touches),
      spendMicros: sortedRecord(this.#spend),
    };
  }
}

function addCounts(target: Map<string, number>, counts: Record<string, number>): void {
  for (const [key, count] of Object.entries(counts)) target.set(key, (target.get(key) ?? 0) + count);
}

/** A record of a map's entries with keys in code-unit order. */
export function sortedRecord<T>(map: ReadonlyMap<string, T>): Record<string, T> {
  return Object.fromEntries([...map.keys()].sort().map((key) => [key, map.get(key) as T]));
}

/** A settled spend key: spend whose campaign had no touch on its day, but whose channel did. */
export function channelOnlySpendKey(channel: string): string {
  return `${channel}${KEY_SEPARATOR}${KEY_SEPARATOR}`;
}
/** A settled spend key: spend whose channel had no touch on its day. */
export const UNMATCHED_SPEND_KEY = KEY_SEPARATOR;

/**
 * Spend is attributed only where a touch of its own day matches it (the same campaign, or when
 * grouping by channel the same channel). Settling decides that once per day and renames the keys
 * that do not match (no real key holds two separators), so days can be merged — over a query's
 * range, or into a stored block of days — without a later touch matching earlier spend.
 * Settling a settled day changes nothing.
 */
export function settleSpend(day: AttributionDay): AttributionDay {
  // Most spend keys have a touch; the channels of the day's touches are worked out only for one that has none.
  let channels: Set<string> | undefined;
  const spend = new Map<string, number>();
  for (const [key, micros] of Object.entries(day.spendMicros)) {
    let settled = key;
    if (!Object.hasOwn(day.touches, key)) {
      channels ??= new Set(Object.keys(day.touches).map(channelOf));
      const channel = channelOf(key);
      settled = channels.has(channel) ? channelOnlySpendKey(channel) : UNMATCHED_SPEND_KEY;
    }
    spend.set(settled, (spend.get(settled) ?? 0) + micros);
  }
  return { ...day, spendMicros: sortedRecord(spend) };
}

export function mergeAttributionDays(days: readonly AttributionDay[], fields = ALL_FIELDS): AttributionDay {
  const accumulator = new AttributionDayAccumulator(fields);
  for (const day of days) accumulator.add(day);
  return accumulator.toDay();
}

/** Merges partials day by day; commutative and associative, exactly. */
export function mergeAttribution(partials: Iterable<AttributionPartial>): AttributionPartial {
  const days = new Map<string, AttributionDayAccumulator>();
  for (const partial of partials) {
    for (const [date, day] of Object.entries(partial.days)) {
      let accumulator = days.get(date);
      if (!accumulator) {
        accumulator = new AttributionDayAccumulator();
        days.set(date, accumulator);
      }
      accumulator.add(day);
    }
  }
  return {
    days: Object.fromEntries(
      [...days.keys()].sort().map((date) => [date, (days.get(date) as AttributionDayAccumulator).toDay()]),
    ),
  };
}

import { z } from 'zod';
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

const integer = z.int().min(0);
const cellSchema = z.object({ credit: integer, valueMicros: integer });
const conversionCellSchema = z.object({ conversions: integer, valueMicros: integer });
const counts = z.record(z.string(), integer);

/** Validates an attribution day read back from storage. */
export const attributionDaySchema: z.ZodType<AttributionDay> = z.object({
  credits: z.object(
    Object.fromEntries(HEURISTIC_MODELS.map((model) => [model, z.record(z.string(), cellSchema)])) as Record<
      HeuristicModel,
      z.ZodRecord<z.ZodString, typeof cellSchema>
    >,
  ),
  transitions: counts,
  channelSets: z.record(z.string(), conversionCellSchema),
  touchless: conversionCellSchema,
  touches: counts,
  spendMicros: counts,
});

/** Adds `b` into a copy of `a`, keys in sorted order so equal partials serialise equally. */
function mergeRecords<T>(
  a: Record<string, T>,
  b: Record<string, T>,
  add: (x: T, y: T) => T,
): Record<string, T> {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return Object.fromEntries(
    keys.map((key) => {
      const x = a[key];
      const y = b[key];
      return [key, x === undefined ? (y as T) : y === undefined ? x : add(x, y)];
    }),
  );
}

const addNumbers = (x: number, y: number) => x + y;
const addCells = (x: CreditCell, y: CreditCell): CreditCell => ({
  credit: x.credit + y.credit,
  valueMicros: x.valueMicros + y.valueMicros,
});
const addConversions = (x: ConversionCell, y: ConversionCell): ConversionCell => ({
  conversions: x.conversions + y.conversions,
  valueMicros: x.valueMicros + y.valueMicros,
});

export function mergeAttributionDays(a: AttributionDay, b: AttributionDay): AttributionDay {
  return {
    credits: Object.fromEntries(
      HEURISTIC_MODELS.map((model) => [model, mergeRecords(a.credits[model], b.credits[model], addCells)]),
    ) as AttributionDay['credits'],
    transitions: mergeRecords(a.transitions, b.transitions, addNumbers),
    channelSets: mergeRecords(a.channelSets, b.channelSets, addConversions),
    touchless: addConversions(a.touchless, b.touchless),
    touches: mergeRecords(a.touches, b.touches, addNumbers),
    spendMicros: mergeRecords(a.spendMicros, b.spendMicros, addNumbers),
  };
}

/** Merges partials day by day; commutative and associative, exactly. */
export function mergeAttribution(partials: Iterable<AttributionPartial>): AttributionPartial {
  const days: Record<string, AttributionDay> = {};
  for (const partial of partials) {
    for (const [date, day] of Object.entries(partial.days)) {
      const current = days[date];
      days[date] = current
        ? mergeAttributionDays(current, day)
        : mergeAttributionDays(emptyAttributionDay(), day);
    }
  }
  return {
    days: Object.fromEntries(
      Object.keys(days)
        .sort()
        .map((date) => [date, days[date] as AttributionDay]),
    ),
  };
}

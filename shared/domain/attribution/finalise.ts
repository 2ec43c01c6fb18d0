import { solveMarkov } from './markov.ts';
import {
  apportion,
  CREDIT_UNIT,
  HEURISTIC_MODELS,
  type HeuristicModel,
  MODELS,
  type Model,
} from './models.ts';
import {
  type AttributionDay,
  type AttributionPartial,
  type CreditCell,
  channelOnlySpendKey,
  creditKey,
  mergeAttributionDays,
  NO_CAMPAIGN,
  settleSpend,
  splitKey,
  UNMATCHED_SPEND_KEY,
} from './partial.ts';

export type GroupBy = 'channel' | 'campaign';

/** The row that takes spend no touch of the range matches, so totals reconcile. */
export const UNATTRIBUTED = 'unattributed';

export interface AttributionRow {
  key: string;
  /** Fractional conversions credited. */
  conversions: number;
  /** Conversion value credited, currency units. */
  value: number;
  spend: number;
  /** spend / conversions; null without conversions. */
  cpa: number | null;
  /** value / spend; null without spend. */
  roas: number | null;
}

export interface AttributionResult {
  from: string;
  to: string;
  model: Model;
  groupBy: GroupBy;
  conversions: number;
  value: number;
  spend: number;
  rows: AttributionRow[];
}

export interface AttributeProps {
  readonly from: string;
  readonly to: string;
  readonly model: Model;
  readonly groupBy: GroupBy;
}

/** Credit per `channel␟campaign` key, in credit units and value micros. */
type Credits = Map<string, CreditCell>;

/**
 * Attribution of the conversions of a date range under one model, grouped by channel or
 * campaign, joined with spend (README, Reading metrics: `/v1/attribution`).
 */
export function attribute(partial: AttributionPartial, props: AttributeProps): AttributionResult {
  const merged = mergeDays(daysIn(partial, props.from, props.to), [props.model]);
  return toResult(merged, creditsOf(merged, props.model), props);
}

export interface ModelComparisonRow {
  channel: string;
  spend: number;
  /** Conversions credited to the channel under each model. */
  conversions: Record<Model, number>;
  /** Conversion value credited to the channel under each model. */
  value: Record<Model, number>;
  /** Spend / conversions under each model; `null` without conversions. */
  cpa: Record<Model, number | null>;
  /** Value / spend under each model; `null` without spend. */
  roas: Record<Model, number | null>;
}

export interface ModelComparison {
  from: string;
  to: string;
  models: readonly Model[];
  conversions: number;
  value: number;
  spend: number;
  rows: ModelComparisonRow[];
}

/** Every model side by side, one row per channel (README, Reading metrics: `/v1/attribution/compare`). */
export function compareModels(
  partial: AttributionPartial,
  props: { readonly from: string; readonly to: string },
): ModelComparison {
  const merged = mergeDays(daysIn(partial, props.from, props.to), MODELS);
  const results = MODELS.map((model) =>
    toResult(merged, creditsOf(merged, model), { ...props, model, groupBy: 'channel' }),
  );
  const keys = [...new Set(results.flatMap((result) => result.rows.map((row) => row.key)))];
  const first = results[0] as AttributionResult;
  const perModel = <K extends 'conversions' | 'value' | 'cpa' | 'roas'>(
    channel: string,
    field: K,
    none: AttributionRow[K],
  ) =>
    Object.fromEntries(
      MODELS.map((model, i) => [model, results[i]?.rows.find((row) => row.key === channel)?.[field] ?? none]),
    ) as Record<Model, AttributionRow[K]>;
  const rows = keys.map((channel) => ({
    channel,
    spend: first.rows.find((row) => row.key === channel)?.spend ?? 0,
    conversions: perModel(channel, 'conversions', 0),
    value: perModel(channel, 'value', 0),
    cpa: perModel(channel, 'cpa', null),
    roas: perModel(channel, 'roas', null),
  }));
  rows.sort(
    (a, b) =>
      b.conversions.linear - a.conversions.linear ||
      b.spend - a.spend ||
      (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0),
  );
  return {
    from: props.from,
    to: props.to,
    models: MODELS,
    conversions: first.conversions,
    value: first.value,
    spend: first.spend,
    rows,
  };
}

function daysIn(partial: AttributionPartial, from: string, to: string): AttributionDay[] {
  return Object.entries(partial.days)
    .filter(([date]) => date >= from && date <= to)
    .map(([, day]) => day);
}

/**
 * The days settled and summed, with only what `models` read: their credits (Markov and Shapley
 * split over campaigns by linear credit; Markov reads the transitions, both the channel sets).
 */
function mergeDays(days: readonly AttributionDay[], models: readonly Model[]): AttributionDay {
  const credits = new Set<HeuristicModel>(models.map((model) => (isHeuristic(model) ? model : 'linear')));
  return mergeAttributionDays(days.map(settleSpend), {
    credits: HEURISTIC_MODELS.filter((model) => credits.has(model)),
    paths: models.some((model) => !isHeuristic(model)),
    touches: false,
  });
}

function isHeuristic(model: Model): model is HeuristicModel {
  return (HEURISTIC_MODELS as readonly string[]).includes(model);
}

function creditsOf(day: AttributionDay, model: Model): Credits {
  const credits: Credits = new Map();
  if (isHeuristic(model)) {
    for (const [key, cell] of Object.entries(day.credits[model])) credits.set(key, { ...cell });
  } else {
    const byChannel = model === 'markov' ? markovCredits(day) : shapleyCredits(day);
    splitOverCampaigns(byChannel, day.credits.linear, credits);
  }
  if (day.touchless.conversions > 0 || day.touchless.valueMicros > 0) {
    add(
      credits,
      creditKey('direct', NO_CAMPAIGN),
      day.touchless.conversions * CREDIT_UNIT,
      day.touchless.valueMicros,
    );
  }
  return credits;
}

/** Markov: the converting paths' conversions and value, shared in proportion to removal effects. */
function markovCredits(day: AttributionDay): Credits {
  let conversions = 0;
  let valueMicros = 0;
  for (const cell of Object.values(day.channelSets)) {
    conversions += cell.conversions;
    valueMicros += cell.valueMicros;
  }
  const { removalEffects } = solveMarkov(day.transitions);
  const channels = [...removalEffects.keys()];
  const effects = channels.map((channel) => removalEffects.get(channel) ?? 0);
  // Every converting path has a channel whose removal breaks it, so the effects cannot all be 0
  // while there are conversions; equal shares keep the totals whole if rounding ever says otherwise.
  const weights = effects.some((e) => e > 0) ? effects : effects.map(() => 1);
  const credit = apportion(conversions * CREDIT_UNIT, weights);
  const value = apportion(valueMicros, weights);
  const result: Credits = new Map();
  channels.forEach((channel, i) => {
    add(result, channel, credit[i] ?? 0, value[i] ?? 0);
  });
  return result;
}

/**
 * Shapley for the set-based value function v(T) = conversions of journeys whose channel set lies
 * within T: in closed form, each journey's conversions are shared equally by its channels.
 */
function shapleyCredits(day: AttributionDay): Credits {
  const result: Credits = new Map();
  for (const [set, cell] of Object.entries(day.channelSets)) {
    const channels = set.split(',');
    const credit = apportion(
      cell.conversions * CREDIT_UNIT,
      channels.map(() => 1),
    );
    const value = apportion(
      cell.valueMicros,
      channels.map(() => 1),
    );
    channels.forEach((channel, i) => {
      add(result, channel, credit[i] ?? 0, value[i] ?? 0);
    });
  }
  return result;
}

/** A channel's credit split over its campaigns in proportion to their linear-model credit. */
function splitOverCampaigns(byChannel: Credits, linear: Record<string, CreditCell>, into: Credits): void {
  const campaigns = new Map<string, Array<[string, number]>>();
  for (const [key, cell] of Object.entries(linear)) {
    const { channel } = splitKey(key);
    const list = campaigns.get(channel) ?? [];
    list.push([key, cell.credit]);
    campaigns.set(channel, list);
  }
  for (const [channel, cell] of byChannel) {
    const keys = campaigns.get(channel) ?? [[creditKey(channel, NO_CAMPAIGN), 1]];
    const weights = keys.map(([, w]) => w);
    const credit = apportion(cell.credit, weights);
    const value = apportion(cell.valueMicros, weights);
    keys.forEach(([key], i) => {
      add(into, key, credit[i] ?? 0, value[i] ?? 0);
    });
  }
}

function add(credits: Credits, key: string, credit: number, valueMicros: number): void {
  const cell = credits.get(key);
  if (cell) {
    cell.credit += credit;
    cell.valueMicros += valueMicros;
  } else credits.set(key, { credit, valueMicros });
}

function toResult(merged: AttributionDay, credits: Credits, props: AttributeProps): AttributionResult {
  const group = (key: string) => {
    const { channel, campaign } = splitKey(key);
    return props.groupBy === 'channel' ? channel : campaign;
  };
  const rows = new Map<string, { credit: number; valueMicros: number; spendMicros: number }>();
  const row = (key: string) => {
    let found = rows.get(key);
    if (!found) {
      found = { credit: 0, valueMicros: 0, spendMicros: 0 };
      rows.set(key, found);
    }
    return found;
  };
  let totalCredit = 0;
  let totalValue = 0;
  for (const [key, cell] of credits) {
    if (cell.credit === 0 && cell.valueMicros === 0) continue;
    const target = row(group(key));
    target.credit += cell.credit;
    target.valueMicros += cell.valueMicros;
    totalCredit += cell.credit;
    totalValue += cell.valueMicros;
  }
  let totalSpend = 0;
  // Settled spend (see settleSpend): its key when a touch of its day had the same campaign.
  for (const [key, micros] of Object.entries(merged.spendMicros)) {
    if (micros === 0) continue;
    totalSpend += micros;
    const channelOnly = key.endsWith(channelOnlySpendKey(''));
    const matched = key !== UNMATCHED_SPEND_KEY && (!channelOnly || props.groupBy === 'channel');
    row(matched ? group(key) : UNATTRIBUTED).spendMicros += micros;
  }
  const result = [...rows].map(([key, r]): AttributionRow => {
    const conversions = round(r.credit / CREDIT_UNIT, 9);
    const spend = round(r.spendMicros / 1e6, 6);
    const value = round(r.valueMicros / 1e6, 6);
    return {
      key,
      conversions,
      value,
      spend,
      cpa: r.credit > 0 ? round(r.spendMicros / 1e6 / (r.credit / CREDIT_UNIT), 6) : null,
      roas: r.spendMicros > 0 ? round(r.valueMicros / r.spendMicros, 6) : null,
    };
  });
  result.sort(
    (a, b) =>
      b.conversions - a.conversions || b.spend - a.spend || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  return {
    from: props.from,
    to: props.to,
    model: props.model,
    groupBy: props.groupBy,
    conversions: round(totalCredit / CREDIT_UNIT, 9),
    value: round(totalValue / 1e6, 6),
    spend: round(totalSpend / 1e6, 6),
    rows: result,
  };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

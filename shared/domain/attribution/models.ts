/** The attribution models (docs/attribution.md), in the order reports list them. */
export const MODELS = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
  'markov',
  'shapley',
] as const;
export type Model = (typeof MODELS)[number];

/** Models whose credit is decided conversion by conversion, in the map step. */
export const HEURISTIC_MODELS = [
  'first_touch',
  'last_touch',
  'linear',
  'time_decay',
  'position_based',
] as const;
export type HeuristicModel = (typeof HEURISTIC_MODELS)[number];

/**
 * Credit is kept as integer billionths of a conversion, so merging partials in any order gives
 * exactly the same sums (floating-point addition is not associative).
 */
export const CREDIT_UNIT = 1_000_000_000;

const DAY_MS = 86_400_000;

/** One touch of a journey as the models see it. */
export interface JourneyTouch {
  readonly ts: number;
  readonly channel: string;
}

/**
 * The weight of each touch of a journey (oldest first) under a heuristic model; weights are
 * relative (the apportioning normalises them).
 * - first / last touch: all to the first / last touch;
 * - linear: equal;
 * - time decay: 2^(−Δt / half-life), Δt from the touch to the conversion;
 * - position based, over the path with consecutive same-channel touches collapsed: one step
 *   100%, two 50/50, more 40% first, 40% last, 20% shared by the middle; a collapsed step's
 *   share is split equally over its touches.
 */
export function touchWeights(
  model: HeuristicModel,
  touches: readonly JourneyTouch[],
  conversionTs: number,
  halfLifeDays: number,
): number[] {
  const n = touches.length;
  switch (model) {
    case 'first_touch':
      return touches.map((_, i) => (i === 0 ? 1 : 0));
    case 'last_touch':
      return touches.map((_, i) => (i === n - 1 ? 1 : 0));
    case 'linear':
      return touches.map(() => 1);
    case 'time_decay': {
      // Measured from the newest touch, not the conversion: the ratios are the same once
      // normalised, and the newest touch weighs 1, so weights never all underflow to 0.
      let newest = Number.NEGATIVE_INFINITY;
      for (const touch of touches) if (touch.ts > newest) newest = touch.ts;
      newest = Math.min(conversionTs, newest);
      return touches.map((t) => 2 ** (-(newest - t.ts) / (halfLifeDays * DAY_MS)));
    }
    case 'position_based':
      return positionWeights(touches);
  }
}

function positionWeights(touches: readonly JourneyTouch[]): number[] {
  // Steps of the collapsed path: [first touch index, touch count].
  const steps: Array<[number, number]> = [];
  touches.forEach((touch, i) => {
    const last = steps[steps.length - 1];
    if (last && touches[i - 1]?.channel === touch.channel) last[1] += 1;
    else steps.push([i, 1]);
  });
  const k = steps.length;
  const stepShare = (s: number): number => {
    if (k === 1) return 1;
    if (k === 2) return 0.5;
    return s === 0 || s === k - 1 ? 0.4 : 0.2 / (k - 2);
  };
  const weights = new Array<number>(touches.length).fill(0);
  steps.forEach(([start, count], s) => {
    for (let i = start; i < start + count; i++) weights[i] = stepShare(s) / count;
  });
  return weights;
}

/**
 * Splits the integer `total` over `weights` in proportion, exactly: floors, then the remainder
 * one by one to the largest fractional parts (earlier index first on ties). The parts sum to
 * `total` and are never negative.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i] as number;
  const parts = new Array<number>(n).fill(0);
  if (n === 0) return parts;
  if (total === 0 || sum <= 0) {
    parts[0] = total;
    return parts;
  }
  const fractions = new Float64Array(n);
  let rest = total;
  for (let i = 0; i < n; i++) {
    const exact = (total * (weights[i] as number)) / sum;
    const floor = Math.floor(exact);
    parts[i] = floor;
    fractions[i] = exact - floor;
    rest -= floor;
  }
  if (rest > 0) {
    // `rest` is below n: one each to the largest remainders, earlier index first on ties.
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (fractions[b] as number) - (fractions[a] as number) || a - b,
    );
    for (let j = 0; rest > 0; j = (j + 1) % n, rest--) {
      const index = order[j] as number;
      parts[index] = (parts[index] as number) + 1;
    }
  }
  return parts;
}

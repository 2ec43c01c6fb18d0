import { CONVERSION, KEY_SEPARATOR, NULL_STATE, START } from './partial.ts';

export interface MarkovResult {
  /** Probability that a journey from the start state ends in a conversion. */
  readonly conversionProbability: number;
  /** Removal effect per channel: the relative drop in conversion probability without it. */
  readonly removalEffects: ReadonlyMap<string, number>;
}

/**
 * Solves the first-order absorbing Markov chain given by transition counts exactly (no
 * simulation): with Q the transitions among transient states (start and channels) and r the
 * one-step probabilities of converting, the absorption probabilities x solve (I − Q) x = r
 * (x = (I−Q)⁻¹R restricted to the conversion column). A channel's removal effect is
 * 1 − P(convert | channel removed) / P(convert), where removing a channel sends every transition
 * into it to null.
 */
export function solveMarkov(transitions: Readonly<Record<string, number>>): MarkovResult {
  const channels = new Set<string>();
  const edges: Array<[string, string, number]> = [];
  for (const [key, count] of Object.entries(transitions)) {
    const at = key.indexOf(KEY_SEPARATOR);
    const from = key.slice(0, at);
    const to = key.slice(at + 1);
    if (count <= 0) continue;
    edges.push([from, to, count]);
    for (const state of [from, to])
      if (state !== START && state !== CONVERSION && state !== NULL_STATE) channels.add(state);
  }
  const ordered = [...channels].sort();
  const base = conversionProbability(ordered, edges, undefined);
  const removalEffects = new Map<string, number>();
  for (const channel of ordered) {
    const without = conversionProbability(ordered, edges, channel);
    removalEffects.set(channel, base > 0 ? Math.max(0, 1 - without / base) : 0);
  }
  return { conversionProbability: base, removalEffects };
}

function conversionProbability(
  channels: readonly string[],
  edges: readonly [string, string, number][],
  removed?: string,
): number {
  const states = [START, ...channels];
  const index = new Map(states.map((state, i) => [state, i]));
  const n = states.length;
  const outgoing = new Float64Array(n);
  for (const [from, , count] of edges) {
    const i = index.get(from);
    if (i !== undefined) outgoing[i] = (outgoing[i] ?? 0) + count;
  }
  // Rows of (I − Q | r).
  const a = Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n + 1);
    row[i] = 1;
    return row;
  });
  for (const [from, to, count] of edges) {
    const i = index.get(from);
    if (i === undefined || from === removed) continue;
    const p = count / (outgoing[i] ?? 1);
    const row = a[i] as Float64Array;
    if (to === CONVERSION) row[n] = (row[n] ?? 0) + p;
    else if (to !== NULL_STATE && to !== removed) {
      const j = index.get(to) as number;
      row[j] = (row[j] ?? 0) - p;
    }
    // Into null, or into the removed channel: absorbed without converting.
  }
  return solveFirst(a, n);
}

/** Gaussian elimination with partial pivoting; returns x[0] of the augmented system. */
function solveFirst(a: Float64Array[], n: number): number {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r]?.[col] ?? 0) > Math.abs(a[pivot]?.[col] ?? 0)) pivot = r;
    [a[col], a[pivot]] = [a[pivot] as Float64Array, a[col] as Float64Array];
    const top = a[col] as Float64Array;
    const p = top[col] ?? 0;
    if (Math.abs(p) < 1e-300) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = a[r] as Float64Array;
      const f = (row[col] ?? 0) / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) row[c] = (row[c] ?? 0) - f * (top[c] ?? 0);
    }
  }
  const first = a[0] as Float64Array;
  return (first[n] ?? 0) / (first[0] ?? 1);
}

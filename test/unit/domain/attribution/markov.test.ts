import { describe, expect, it } from 'vitest';
import { solveMarkov } from '#domain/attribution/index.ts';

/** The chain's special states, spelled as mapper.ts keys them. */
const START = '(start)';
const CONV = '(conversion)';
const NULL = '(null)';

/** Transition counts keyed `from + '\u001f' + to`, as the mapper emits them. */
type Chain = Record<string, Record<string, number>>;
function transitions(chain: Chain): Record<string, number> {
  const record: Record<string, number> = {};
  for (const [from, tos] of Object.entries(chain))
    for (const [to, count] of Object.entries(tos)) record[`${from}\u001f${to}`] = count;
  return record;
}

/** Transition counts of whole paths (already collapsed), each ending in conversion or null. */
function pathTransitions(
  paths: Array<[string[], typeof CONV | typeof NULL, number]>,
): Record<string, number> {
  const chain: Chain = {};
  for (const [channels, end, weight] of paths) {
    const states = [START, ...channels, end];
    for (let i = 0; i + 1 < states.length; i++) {
      const from = states[i] as string;
      const to = states[i + 1] as string;
      chain[from] ??= {};
      (chain[from] as Record<string, number>)[to] =
        ((chain[from] as Record<string, number>)[to] ?? 0) + weight;
    }
  }
  return transitions(chain);
}

/** Removal effects normalised to shares of 1 (how finalise credits Markov). */
function shares(effects: ReadonlyMap<string, number>): Record<string, number> {
  const sum = [...effects.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries([...effects].map(([channel, e]) => [channel, e / sum]));
}

describe('solveMarkov: the known check of docs/attribution.md', () => {
  // Paths A>B>C (1 conversion), A (1 null), B>C (1 null). Transition counts:
  //   start→A 2, start→B 1; A→B 1, A→null 1; B→C 2; C→conv 1, C→null 1.
  // Probabilities: start→A 2/3, start→B 1/3; A→B 1/2, A→null 1/2; B→C 1; C→conv 1/2, C→null 1/2.
  const record = transitions({
    [START]: { A: 2, B: 1 },
    A: { B: 1, [NULL]: 1 },
    B: { C: 2 },
    C: { [CONV]: 1, [NULL]: 1 },
  });

  it('has conversion probability 1/3', () => {
    // P(C) = 1/2; P(B) = P(C) = 1/2; P(A) = 1/2 · P(B) = 1/4;
    // P(start) = 2/3 · 1/4 + 1/3 · 1/2 = 1/6 + 1/6 = 1/3.
    expect(solveMarkov(record).conversionProbability).toBeCloseTo(1 / 3, 12);
  });

  it('has removal effects A 0.5, B 1, C 1', () => {
    // Without A: start→A goes to null: P = 1/3 · 1/2 = 1/6 → effect 1 − (1/6)/(1/3) = 0.5.
    // Without B or C every path to conversion is cut: P = 0 → effect 1.
    const { removalEffects } = solveMarkov(record);
    expect([...removalEffects.keys()].sort()).toEqual(['A', 'B', 'C']);
    expect(removalEffects.get('A')).toBeCloseTo(0.5, 12);
    expect(removalEffects.get('B')).toBeCloseTo(1, 12);
    expect(removalEffects.get('C')).toBeCloseTo(1, 12);
  });

  it('gives removal-effect shares A 0.2, B 0.4, C 0.4', () => {
    // 0.5 : 1 : 1 over 2.5 → 0.2, 0.4, 0.4.
    const s = shares(solveMarkov(record).removalEffects);
    expect(s.A).toBeCloseTo(0.2, 12);
    expect(s.B).toBeCloseTo(0.4, 12);
    expect(s.C).toBeCloseTo(0.4, 12);
  });

  it('builds the same chain from the three paths', () => {
    const fromPaths = pathTransitions([
      [['A', 'B', 'C'], CONV, 1],
      [['A'], NULL, 1],
      [['B', 'C'], NULL, 1],
    ]);
    expect(fromPaths).toEqual(record);
  });
});

describe('solveMarkov: chains with loops', () => {
  it('solves A>B>A>conversion: probability 1, shares A 2/3, B 1/3', () => {
    // Collapsed path start→A→B→A→conv: start→A 1, A→B 1, B→A 1, A→conv 1.
    // A: →B 1/2, →conv 1/2; B: →A 1. x_A = 1/2 + 1/2 x_B, x_B = x_A → x_A = 1 = P.
    // Without A: 0 → effect 1. Without B: A→B goes to null, x_A = 1/2 → effect 1/2.
    // Shares 1 : 1/2 → 2/3, 1/3.
    const { conversionProbability, removalEffects } = solveMarkov(
      pathTransitions([[['A', 'B', 'A'], CONV, 1]]),
    );
    expect(conversionProbability).toBeCloseTo(1, 12);
    expect(removalEffects.get('A')).toBeCloseTo(1, 12);
    expect(removalEffects.get('B')).toBeCloseTo(0.5, 12);
    const s = shares(removalEffects);
    expect(s.A).toBeCloseTo(2 / 3, 12);
    expect(s.B).toBeCloseTo(1 / 3, 12);
  });

  it('solves A>B>A>conversion plus A>null: probability 1/2, shares A 3/4, B 1/4', () => {
    // start→A 2; A→B 1, A→conv 1, A→null 1; B→A 1.
    // x_A = 1/3 x_B + 1/3, x_B = x_A → x_A = 1/2 = P.
    // Without A: 0 → effect 1. Without B: x_A = 1/3 → effect 1 − (1/3)/(1/2) = 1/3.
    // Shares 1 : 1/3 → 3/4, 1/4.
    const { conversionProbability, removalEffects } = solveMarkov(
      pathTransitions([
        [['A', 'B', 'A'], CONV, 1],
        [['A'], NULL, 1],
      ]),
    );
    expect(conversionProbability).toBeCloseTo(0.5, 12);
    expect(removalEffects.get('A')).toBeCloseTo(1, 12);
    expect(removalEffects.get('B')).toBeCloseTo(1 / 3, 12);
    const s = shares(removalEffects);
    expect(s.A).toBeCloseTo(0.75, 12);
    expect(s.B).toBeCloseTo(0.25, 12);
  });

  it('weights a path by its count: A>conv ×3 and B>null ×1 → probability 3/4, only A has an effect', () => {
    // start→A 3, start→B 1; A→conv 3; B→null 1. P = 3/4 · 1 = 3/4.
    // Without A: 0 → effect 1. Without B: start→B went to null anyway → P unchanged → effect 0.
    const { conversionProbability, removalEffects } = solveMarkov(
      pathTransitions([
        [['A'], CONV, 3],
        [['B'], NULL, 1],
      ]),
    );
    expect(conversionProbability).toBeCloseTo(0.75, 12);
    expect(removalEffects.get('A')).toBeCloseTo(1, 12);
    expect(removalEffects.get('B')).toBeCloseTo(0, 12);
  });

  it('has probability 0 and no channels without transitions', () => {
    const { conversionProbability, removalEffects } = solveMarkov({});
    expect(conversionProbability).toBe(0);
    expect(removalEffects.size).toBe(0);
  });
});

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('solveMarkov against a seeded Monte Carlo random walk', () => {
  // Five channels with loops (A⇄B, B→C→B, C→D→A, D→E→C, E→A), every one leaking to null and
  // converting. Chosen so every removal effect is ≥ 0.29 (solveMarkov gives ≈ A 0.37, B 0.37,
  // C 0.61, D 0.30, E 0.31, P ≈ 0.414), which keeps the simulation's relative error well below 1%.
  const chain: Chain = {
    [START]: { A: 3, B: 2, C: 2, E: 3 },
    A: { B: 3, C: 2, [NULL]: 3, [CONV]: 1 },
    B: { A: 2, C: 3, D: 2, [NULL]: 2, [CONV]: 1 },
    C: { D: 3, B: 1, [CONV]: 3, [NULL]: 3 },
    D: { [CONV]: 4, A: 1, [NULL]: 3, E: 1 },
    E: { [CONV]: 1, [NULL]: 2, C: 2, A: 1 },
  };
  const channels = ['A', 'B', 'C', 'D', 'E'];

  /**
   * Walks the chain from start `walks` times, choosing each next state in proportion to its
   * transition count. Removing a channel turns every transition into it into null, so a walk
   * converts without channel X exactly when it converts in the full chain and never visits X:
   * P(without X) = #(converting walks that avoid X) / walks, and the removal effect
   * 1 − P(without X)/P = #(converting walks visiting X) / #(converting walks).
   */
  function simulate(chain: Chain, channels: readonly string[], walks: number, seed: number) {
    const random = mulberry32(seed);
    const table = new Map(
      Object.entries(chain).map(([from, tos]) => {
        const entries = Object.entries(tos);
        const total = entries.reduce((a, [, c]) => a + c, 0);
        return [from, { entries, total }] as const;
      }),
    );
    let converted = 0;
    const visitedWhenConverted = new Map(channels.map((c) => [c, 0]));
    for (let w = 0; w < walks; w++) {
      let state = START;
      const visited = new Set<string>();
      for (;;) {
        const row = table.get(state);
        if (!row) throw new Error(`no transitions out of ${state}`);
        let r = random() * row.total;
        let next = (row.entries[row.entries.length - 1] as [string, number])[0];
        for (const [to, count] of row.entries) {
          if (r < count) {
            next = to;
            break;
          }
          r -= count;
        }
        if (next === CONV) {
          converted += 1;
          for (const c of visited) visitedWhenConverted.set(c, (visitedWhenConverted.get(c) ?? 0) + 1);
          break;
        }
        if (next === NULL) break;
        visited.add(next);
        state = next;
      }
    }
    return {
      conversionProbability: converted / walks,
      removalEffects: new Map(channels.map((c) => [c, (visitedWhenConverted.get(c) ?? 0) / converted])),
    };
  }

  it('agrees on the conversion probability and every removal effect within 1% relative', () => {
    const exact = solveMarkov(transitions(chain));
    // 1M walks, ≈ 414k converting: the standard error of an effect e is √(e(1−e)/414k),
    // ≤ 0.0008 here, i.e. ≤ 0.25% relative for e ≥ 0.29; of P ≈ 0.414, ≈ 0.0005 = 0.12% relative.
    // So 1% is ≥ 4 standard errors for each of the six numbers.
    const estimate = simulate(chain, channels, 1_000_000, 20_260_325);
    const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    expect(relative(estimate.conversionProbability, exact.conversionProbability)).toBeLessThan(0.01);
    expect([...exact.removalEffects.keys()]).toEqual(channels);
    for (const channel of channels) {
      const e = exact.removalEffects.get(channel) as number;
      expect(e).toBeGreaterThan(0.25);
      expect(relative(estimate.removalEffects.get(channel) as number, e), channel).toBeLessThan(0.01);
    }
  });

  it('agrees on the known-check chain too', () => {
    // The same simulation on the known-check chain: P ≈ 1/3, effects ≈ 0.5, 1, 1 (every converting
    // walk passes B and C, so those two are exactly 1). 400k walks: P's standard error
    // √(1/3 · 2/3 / 400k) ≈ 0.00075 = 0.22% relative; A's √(1/4 / 133k) ≈ 0.0014 = 0.27% relative.
    const small: Chain = {
      [START]: { A: 2, B: 1 },
      A: { B: 1, [NULL]: 1 },
      B: { C: 2 },
      C: { [CONV]: 1, [NULL]: 1 },
    };
    const exact = solveMarkov(transitions(small));
    const estimate = simulate(small, ['A', 'B', 'C'], 400_000, 7);
    expect(Math.abs(estimate.conversionProbability - 1 / 3) / (1 / 3)).toBeLessThan(0.01);
    for (const channel of ['A', 'B', 'C']) {
      const e = exact.removalEffects.get(channel) as number;
      expect(Math.abs((estimate.removalEffects.get(channel) as number) - e) / e, channel).toBeLessThan(0.01);
    }
  });
});

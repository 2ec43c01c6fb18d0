import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeRegister,
  denseSketchOfRegisters,
  EMPTY_SKETCH,
  EXACT_LIMIT,
  estimateUnion,
  estimateUsers,
  hashUserKey,
  mergeSketches,
  SKETCH_PRECISION,
  sketchOfHashes,
  userSketchSchema,
} from '#domain/metrics/user-sketch.ts';

const MAX = (1n << 64n) - 1n;
const hashesOf = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => hashUserKey(`${prefix}${i}`));
const hex = (h: bigint) => h.toString(16).padStart(16, '0');

describe('hashUserKey', () => {
  it('is the first 8 bytes of MD5 of the UTF-8 key, big-endian', () => {
    // md5('abc') = 900150983cd24fb0d6963f7d28e17f72
    expect(hashUserKey('abc')).toBe(0x900150983cd24fb0n);
    for (const key of ['', 'user-1', 'é', '東京', '🙂 emoji', 'a\u0000b']) {
      expect(hex(hashUserKey(key))).toBe(createHash('md5').update(key, 'utf8').digest('hex').slice(0, 16));
    }
  });
});

describe('computeRegister', () => {
  it('takes the top 12 bits as index and 1 + leading zeros of the low 52 bits as rank, exactly', () => {
    const low52 = (1n << 52n) - 1n;
    const cases: Array<[bigint, number, number]> = [
      [0n, 0, 53],
      [1n, 0, 52],
      [2n, 0, 51],
      [3n, 0, 51],
      [(1n << 32n) - 1n, 0, 21],
      [1n << 32n, 0, 20],
      [(1n << 51n) - 1n, 0, 2],
      [1n << 51n, 0, 1],
      [low52, 0, 1],
      [1n << 52n, 1, 53],
      [MAX, 4095, 1],
      [MAX ^ low52, 4095, 53],
      [0xabc0_0000_0000_0001n, 0xabc, 52],
    ];
    for (const [hash, index, rank] of cases)
      expect(computeRegister(hash), hex(hash)).toEqual({ index, rank });
  });

  it('agrees with a BigInt bit-length reference', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX }), (hash) => {
        const word = hash & ((1n << 52n) - 1n);
        const bitLength = word === 0n ? 0 : word.toString(2).length;
        expect(computeRegister(hash)).toEqual({ index: Number(hash >> 52n), rank: 53 - bitLength });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects values that are not unsigned 64-bit', () => {
    expect(() => computeRegister(-1n)).toThrow(RangeError);
    expect(() => computeRegister(MAX + 1n)).toThrow(RangeError);
  });
});

describe('sketchOfHashes', () => {
  it('keeps up to 256 distinct hashes sorted and unique, and turns dense beyond', () => {
    expect(SKETCH_PRECISION).toBe(12);
    expect(sketchOfHashes([])).toBe(EMPTY_SKETCH);
    expect(sketchOfHashes([MAX, 1n, 0x10n, 1n])).toBe(`E${hex(1n)}${hex(0x10n)}${hex(MAX)}`);
    const full = hashesOf('u', EXACT_LIMIT);
    const exact = sketchOfHashes([...full, ...full]);
    expect(exact).toMatch(/^E/);
    expect(exact).toHaveLength(1 + 16 * EXACT_LIMIT);
    const dense = sketchOfHashes(hashesOf('u', EXACT_LIMIT + 1));
    expect(dense).toMatch(/^D/);
    expect(dense).toHaveLength(1 + 4096);
  });

  it('puts each hash in its register and keeps the highest rank', () => {
    const hashes = [...hashesOf('v', EXACT_LIMIT + 1), 5n << 52n, (5n << 52n) | 1n];
    const dense = sketchOfHashes(hashes);
    const expected = new Array<number>(4096).fill(0);
    for (const hash of hashes) {
      const { index, rank } = computeRegister(hash);
      expected[index] = Math.max(expected[index] as number, rank);
    }
    expect(dense).toBe(`D${expected.map((rank) => String.fromCharCode(48 + rank)).join('')}`);
    expect(dense[1 + 5]).toBe(String.fromCharCode(48 + 53));
  });

  it('rejects values that are not unsigned 64-bit', () => {
    expect(() => sketchOfHashes([1n, -1n])).toThrow(RangeError);
  });
});

describe('denseSketchOfRegisters', () => {
  it('wraps 4096 register characters and rejects anything else', () => {
    const registers = `${'0'.repeat(4095)}e`;
    expect(denseSketchOfRegisters(registers)).toBe(`D${registers}`);
    expect(() => denseSketchOfRegisters('0'.repeat(4095))).toThrow(RangeError);
    expect(() => denseSketchOfRegisters('0'.repeat(4097))).toThrow(RangeError);
    expect(() => denseSketchOfRegisters(`${'0'.repeat(4095)}f`)).toThrow(RangeError);
  });
});

describe('userSketchSchema', () => {
  it('accepts both canonical forms', () => {
    for (const sketch of [
      EMPTY_SKETCH,
      sketchOfHashes([0n, MAX]),
      sketchOfHashes(hashesOf('s', EXACT_LIMIT)),
      sketchOfHashes(hashesOf('s', 1000)),
      `D${'0'.repeat(4096)}`,
      `D${'e'.repeat(4096)}`,
    ]) {
      expect(userSketchSchema.safeParse(sketch).success, sketch.slice(0, 40)).toBe(true);
    }
  });

  it('rejects everything else', () => {
    const [a, b] = [hex(1n), hex(2n)];
    const tooMany = `E${hashesOf('t', EXACT_LIMIT + 1)
      .map(hex)
      .sort()
      .join('')}`;
    for (const sketch of [
      '',
      'X',
      `e${a}`,
      `E${b}${a}`,
      `E${a}${a}`,
      `E${a.toUpperCase().replace('1', 'A')}`,
      `E${a}0`,
      `E${a.slice(1)}`,
      tooMany,
      `D${'0'.repeat(4095)}`,
      `D${'0'.repeat(4097)}`,
      `D${'0'.repeat(4095)}f`,
      `D${'0'.repeat(4095)}/`,
      42,
      null,
    ]) {
      expect(userSketchSchema.safeParse(sketch).success, String(sketch).slice(0, 40)).toBe(false);
    }
    // What it accepts is a sketch the estimators read without checking again: hashes 1 and 2.
    expect(estimateUsers(userSketchSchema.parse(`E${a}${b}`))).toBe(2);
  });
});

/** Sketches of both forms, often overlapping (hashes from small pools), canonical by construction. */
const pool = hashesOf('pool', 600);
const arbitrarySketch = fc
  .oneof(
    fc.array(fc.constantFrom(...pool.slice(0, 300)), { maxLength: 200 }),
    fc.array(fc.constantFrom(...pool), { minLength: 250, maxLength: 500 }),
    fc.array(fc.bigInt({ min: 0n, max: MAX }), { maxLength: 300 }),
  )
  .map((hashes) => ({ hashes, sketch: sketchOfHashes(hashes) }));

describe('mergeSketches', () => {
  it('is commutative, associative and idempotent, exactly', () => {
    fc.assert(
      fc.property(
        arbitrarySketch,
        arbitrarySketch,
        arbitrarySketch,
        ({ sketch: a }, { sketch: b }, { sketch: c }) => {
          expect(mergeSketches([a, b])).toBe(mergeSketches([b, a]));
          const left = mergeSketches([mergeSketches([a, b]), c]);
          expect(mergeSketches([a, mergeSketches([b, c])])).toBe(left);
          expect(mergeSketches([a, b, c])).toBe(left);
          expect(mergeSketches([a, a])).toBe(a);
          expect(mergeSketches([a])).toBe(a);
          expect(mergeSketches([a, EMPTY_SKETCH])).toBe(a);
          expect(userSketchSchema.safeParse(left).success).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is the sketch of the union of the hashes', () => {
    fc.assert(
      fc.property(fc.array(arbitrarySketch, { maxLength: 4 }), (parts) => {
        expect(mergeSketches(parts.map((p) => p.sketch))).toBe(
          sketchOfHashes(parts.flatMap((p) => p.hashes)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('estimates a union as the estimate of the merged sketch (estimateUnion), exactly', () => {
    fc.assert(
      fc.property(fc.array(arbitrarySketch, { maxLength: 4 }), (parts) => {
        const sketches = parts.map((p) => p.sketch);
        expect(estimateUnion(sketches)).toBe(estimateUsers(mergeSketches(sketches)));
      }),
      { numRuns: 200 },
    );
  });

  it('stays exact while the union fits, and turns everything dense otherwise', () => {
    expect(mergeSketches([])).toBe(EMPTY_SKETCH);
    const a = sketchOfHashes(pool.slice(0, 200));
    const b = sketchOfHashes(pool.slice(100, 256));
    expect(mergeSketches([a, b])).toBe(sketchOfHashes(pool.slice(0, 256)));
    expect(mergeSketches([a, b])).toMatch(/^E/);
    const c = sketchOfHashes(pool.slice(256, 257));
    expect(mergeSketches([a, b, c])).toMatch(/^D/);
    // A dense input makes the union dense even when it holds few users.
    const fewDense = denseSketchOfRegisters('0'.repeat(4096));
    const { index, rank } = computeRegister(7n);
    const expected = `D${'0'.repeat(index)}${String.fromCharCode(48 + rank)}${'0'.repeat(4095 - index)}`;
    expect(mergeSketches([sketchOfHashes([7n]), fewDense])).toBe(expected);
    expect(estimateUsers(mergeSketches([fewDense, sketchOfHashes([7n])]))).toBe(1);
  });

  it('counts distinct hashes, not set registers, before a union of exact sketches goes dense', () => {
    // 300 distinct hashes in only 10 registers (index r, low bits k + 1): fewer than 257 registers
    // are set, yet the union holds 300 users, so it must go dense.
    const crowded = Array.from(
      { length: 300 },
      (_, n) => (BigInt(n % 10) << 52n) | BigInt(Math.floor(n / 10) + 1),
    );
    const [first, second] = [sketchOfHashes(crowded.slice(0, 150)), sketchOfHashes(crowded.slice(150))];
    expect(mergeSketches([first, second])).toBe(sketchOfHashes(crowded));
    expect(mergeSketches([first, second])).toMatch(/^D/);
    expect(estimateUnion([first, second])).toBe(estimateUsers(sketchOfHashes(crowded)));
    // 600 hashes given, 200 distinct: the union stays exact.
    const same = sketchOfHashes(pool.slice(0, 200));
    expect(mergeSketches([same, same, same])).toBe(same);
    expect(estimateUnion([same, same, sketchOfHashes(pool.slice(150, 200))])).toBe(200);
  });
});

describe('estimateUsers', () => {
  it('counts exactly up to 256 users', () => {
    for (const n of [0, 1, 2, 17, 255, 256]) expect(estimateUsers(sketchOfHashes(hashesOf('x', n)))).toBe(n);
  });

  it('estimates within 5% beyond (standard error ≈ 1.6%)', () => {
    for (const n of [257, 1000, 10_000, 100_000]) {
      const estimate = estimateUsers(sketchOfHashes(hashesOf(`n${n}-`, n)));
      expect(Math.abs(estimate - n) / n, `n = ${n}, estimate ${estimate}`).toBeLessThan(0.05);
    }
  });

  it('estimates the union of two dense halves within 5%', () => {
    const n = 100_000;
    const all = hashesOf('half-', n);
    const left = sketchOfHashes(all.slice(0, n / 2));
    const right = sketchOfHashes(all.slice(n / 2));
    const union = mergeSketches([left, right]);
    expect(union).toBe(sketchOfHashes(all));
    expect(Math.abs(estimateUsers(union) - n) / n).toBeLessThan(0.05);
  });

  it('gives 0 for empty registers and grows with the ranks', () => {
    expect(estimateUsers(denseSketchOfRegisters('0'.repeat(4096)))).toBe(0);
    // Linear counting: one register set of 4096 → 4096·ln(4096/4095) ≈ 1.
    expect(estimateUsers(denseSketchOfRegisters(`1${'0'.repeat(4095)}`))).toBe(1);
    // Raw estimate with every register at rank 53: α·m·2⁵³, finite and far beyond any real count.
    expect(estimateUsers(denseSketchOfRegisters('e'.repeat(4096)))).toBeGreaterThan(1e18);
  });
});

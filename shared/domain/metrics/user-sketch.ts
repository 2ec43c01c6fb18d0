import { hash } from 'node:crypto';
import { z } from 'zod';

/**
 * Mergeable distinct-user counts for one (day, stage, channel) cell.
 *
 * Exact sorted user-hash arrays grow with traffic, and a query over a long date range has to union
 * all of them. A sketch stays bounded instead: a cell with at most {@link EXACT_LIMIT} users keeps
 * its hashes and counts them exactly; a bigger one becomes a HyperLogLog with 2¹² registers
 * (≈ 1.04/√4096 ≈ 1.6% standard error, about 4 KB). Merging is a set union on the exact form and a
 * register-wise maximum on the dense one, so it is commutative, associative and idempotent, and a
 * date range costs one bounded merge per cell and day whatever the traffic.
 *
 * Both forms are plain strings (JSON-storable, gzip-friendly):
 * - exact: `'E'` then the sorted, unique 64-bit hashes as 16 lower-case hex characters each;
 * - dense: `'D'` then 4096 characters, register i as `String.fromCharCode(48 + rank)`.
 *
 * The SQL side (DuckDB) computes the same hashes and registers in the database, so the functions
 * at the end of this module give the SQL fragments that agree with {@link hashUserKey} and
 * {@link computeRegister} bit for bit.
 */

/** Most hashes the exact form holds; one more and the sketch turns dense (both then take ≈ 4 KB). */
export const EXACT_LIMIT = 256;
/** Register-index bits: m = 2¹² registers. */
export const SKETCH_PRECISION = 12;
/** The sketch of no users. */
export const EMPTY_SKETCH = 'E' as UserSketch;

const REGISTERS = 1 << SKETCH_PRECISION;
/** Bits of a hash below the register index; a rank is 1 + their leading zeros, so 1..53. */
const WORD_BITS = 64 - SKETCH_PRECISION;
const MAX_RANK = WORD_BITS + 1;
const HASH_HEX = 16;
const MAX_HASH = (1n << 64n) - 1n;
const RANK_ZERO = 48; // '0'
const EXACT_PATTERN = /^E[0-9a-f]*$/;
const DENSE_PATTERN = new RegExp(`^D[0-${String.fromCharCode(RANK_ZERO + MAX_RANK)}]{${REGISTERS}}$`);
/** 2^−rank for every rank, exact in doubles; the estimate sums these in register order. */
const INVERSE_POWERS = Array.from({ length: MAX_RANK + 1 }, (_, rank) => 2 ** -rank);

/** One register update: the register a hash falls into and the rank it offers. */
export interface Register {
  /** Top {@link SKETCH_PRECISION} bits of the hash, 0..4095. */
  readonly index: number;
  /** Leading zeros of the low 52 bits, plus one: 1..53 (53 when all 52 bits are zero). */
  readonly rank: number;
}

/** Why a string is not a sketch, or `undefined` when it is one. */
function sketchProblem(sketch: string): string | undefined {
  if (sketch.startsWith('D')) {
    return DENSE_PATTERN.test(sketch)
      ? undefined
      : `a dense sketch is 'D' and ${REGISTERS} register characters '0'..'e'`;
  }
  if ((sketch.length - 1) % HASH_HEX !== 0 || !EXACT_PATTERN.test(sketch)) {
    return "a sketch is 'E' and 16-character lower-case hex hashes, or 'D' and registers";
  }
  const count = (sketch.length - 1) / HASH_HEX;
  if (count > EXACT_LIMIT) return `an exact sketch holds at most ${EXACT_LIMIT} hashes`;
  for (let i = 1; i < count; i++) {
    if (!hexBefore(sketch, i - 1, i)) return 'the hashes of an exact sketch must be sorted and unique';
  }
  return undefined;
}

/**
 * The hashes of an exact sketch (lower-case hex, already checked) as 32-bit words, high then low
 * word of each hash. Node decodes hex natively, several times faster than parsing it character by
 * character, and a query reads hundreds of thousands of hashes.
 */
function hashWords(sketch: string): Uint32Array {
  const bytes = Buffer.from(sketch.slice(1), 'hex');
  const words = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < words.length; i++) words[i] = bytes.readUInt32BE(4 * i);
  return words;
}

/** Whether hash `a` of an exact sketch is below hash `b` (same-width hex compares as its number). */
function hexBefore(sketch: string, a: number, b: number): boolean {
  for (let k = 1; k <= HASH_HEX; k++) {
    const x = sketch.charCodeAt(a * HASH_HEX + k);
    const y = sketch.charCodeAt(b * HASH_HEX + k);
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * Validates a sketch read back from storage: either form, strictly canonical. What it passes is a
 * {@link UserSketch}, so the functions that read sketches do not check them again (a query reads
 * hundreds of thousands of hashes, and the check is a pass over each).
 */
export const userSketchSchema = z
  .string()
  .superRefine((sketch, context) => {
    const problem = sketchProblem(sketch);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  })
  .brand<'UserSketch'>();
/** A string known to be a sketch: checked by {@link userSketchSchema}, or made here. */
export type UserSketch = z.infer<typeof userSketchSchema>;

/**
 * The 64-bit hash under which a user is counted: the first 8 bytes of MD5 of the UTF-8 key, read
 * big-endian (so its 16-hex form is the first 16 characters of the MD5 hex digest). MD5 because
 * DuckDB has it built in ({@link sqlUserHash}); it only has to spread keys evenly, not resist attack.
 */
export function hashUserKey(userKey: string): bigint {
  return hash('md5', userKey, 'buffer').readBigUInt64BE(0);
}

/**
 * The register a hash updates. The rank is computed on integers (two `Math.clz32`), since a
 * floating `log2` rounds values just below a power of two up to it.
 *
 * @throws RangeError when `hash` is not an unsigned 64-bit integer.
 */
export function computeRegister(hash: bigint): Register {
  checkHash(hash);
  const high = Number((hash >> 32n) & 0xf_ffffn); // bits 32..51, the top of the 52-bit word
  const low = Number(hash & 0xffff_ffffn);
  const bitLength = high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(low);
  return { index: Number(hash >> BigInt(WORD_BITS)), rank: MAX_RANK - bitLength };
}

/**
 * The sketch of a set of hashes (duplicates allowed): exact up to {@link EXACT_LIMIT} distinct
 * hashes, dense beyond. Memory stays bounded however many hashes come.
 *
 * @throws RangeError when a hash is not an unsigned 64-bit integer.
 */
export function sketchOfHashes(hashes: Iterable<bigint>): UserSketch {
  const union = new SketchUnion();
  for (const h of hashes) {
    checkHash(h);
    union.addHex(h.toString(16).padStart(HASH_HEX, '0'));
  }
  return union.toSketch();
}

/**
 * Wraps registers computed elsewhere (in SQL: one character `chr(48 + rank)` per register, in
 * index order) as a dense sketch.
 *
 * @throws RangeError when `registers` is not 4096 characters '0'..'e'.
 */
export function denseSketchOfRegisters(registers: string): UserSketch {
  const sketch = `D${registers}` as UserSketch;
  if (!DENSE_PATTERN.test(sketch)) {
    throw new RangeError(`registers must be ${REGISTERS} characters '0'..'e' (got ${registers.length})`);
  }
  return sketch;
}

/**
 * The sketch of the union of the users behind the given sketches. Exact sketches stay exact while
 * the union holds at most {@link EXACT_LIMIT} hashes; otherwise every input goes dense and
 * registers take their maximum. The result depends only on the set of inputs, not their order or
 * grouping (and `mergeSketches([s]) === s`).
 */
export function mergeSketches(sketches: Iterable<UserSketch>): UserSketch {
  const list = [...sketches];
  if (list.length === 1) return list[0] as UserSketch;
  return unionOf(list).toSketch();
}

/**
 * Distinct users behind the union of the sketches: `estimateUsers(mergeSketches(sketches))`,
 * without spelling the union out as a sketch and reading it back.
 */
export function estimateUnion(sketches: Iterable<UserSketch>): number {
  const list = [...sketches];
  if (list.length === 1) return estimateUsers(list[0] as UserSketch);
  return unionOf(list).estimate();
}

function unionOf(sketches: readonly UserSketch[]): SketchUnion {
  const union = new SketchUnion();
  for (const sketch of sketches) {
    if (sketch.startsWith('D')) union.addRegisters(sketch);
    else union.addExact(sketch);
  }
  return union;
}

/**
 * Distinct users behind a sketch: exact for the exact form; for the dense form the HyperLogLog
 * estimate α·m²/Σ2^−rank, by linear counting m·ln(m/V) while it is at most 2.5·m and some of the V
 * registers are still zero. 64-bit hashes need no large-range correction. Rounded to an integer.
 * Just above that switch (≈ 10–12 thousand users) the raw estimate runs ≈ 2% high, the known bias of
 * plain HyperLogLog there; elsewhere the error is ≈ 1.6% standard.
 */
export function estimateUsers(sketch: UserSketch): number {
  if (!sketch.startsWith('D')) return (sketch.length - 1) / HASH_HEX;
  let sum = 0;
  let zeros = 0;
  for (let i = 1; i <= REGISTERS; i++) {
    const rank = sketch.charCodeAt(i) - RANK_ZERO;
    sum += INVERSE_POWERS[rank] as number;
    if (rank === 0) zeros++;
  }
  return estimateFrom(sum, zeros);
}

/** The estimate from the registers' Σ2^−rank (in register order) and how many are zero. */
function estimateFrom(sum: number, zeros: number): number {
  const alpha = 0.7213 / (1 + 1.079 / REGISTERS);
  const raw = (alpha * REGISTERS * REGISTERS) / sum;
  const estimate = raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw;
  return Math.round(estimate);
}

/**
 * Users behind both sketches, by inclusion–exclusion (|A| + |B| − |A ∪ B|): exact while the union
 * stays exact; from HyperLogLog estimates otherwise, so its error is that of the union's estimate
 * (≈1.6% of |A ∪ B|, large next to a small overlap). Clamped to 0…min(|A|, |B|).
 */
export function estimateOverlap(a: UserSketch, b: UserSketch): number {
  const left = estimateUsers(a);
  const right = estimateUsers(b);
  const both = left + right - estimateUnion([a, b]);
  return Math.max(0, Math.min(both, left, right));
}

/**
 * DuckDB expression for {@link hashUserKey} of a VARCHAR expression, as UBIGINT. DuckDB's
 * `md5_number` family reads the digest little-endian (`md5_number_upper` is bytes 0..7
 * little-endian), so the hex digest is parsed instead (in DuckDB 1.5 that also runs faster than
 * `md5_number_upper`). Pass the result to {@link sqlRegisterIndex} and {@link sqlRegisterRank}.
 */
export function sqlUserHash(column: string): string {
  return `('0x' || ${sqlUserHashHex(column)})::UBIGINT`;
}

/**
 * DuckDB expression for the 16-hex form of {@link hashUserKey}: the exact form's element, so SQL can
 * build an exact sketch as `'E' || string_agg(DISTINCT hex, '' ORDER BY hex)`.
 */
export function sqlUserHashHex(column: string): string {
  return `left(md5(${column}), ${HASH_HEX})`;
}

/** DuckDB expression for {@link Register.index} of a UBIGINT hash expression, as INTEGER 0..4095. */
export function sqlRegisterIndex(hashExpr: string): string {
  return `(${hashExpr} >> ${WORD_BITS})::INTEGER`;
}

/**
 * DuckDB expression for {@link Register.rank} of a UBIGINT hash expression, as INTEGER 1..53, exact:
 * the low 52 bits move to the top of a 64-bit word with a stop bit just below them, and the rank is
 * the position of the first 1 in its bit string (53, the stop bit, when the 52 bits are zero).
 * `floor(log2(...))` would be wrong for values just below a power of two (it gives 52 for 2⁵²−1).
 */
export function sqlRegisterRank(hashExpr: string): string {
  const word = `(${hashExpr} & ${(1n << BigInt(WORD_BITS)) - 1n}::UBIGINT)`;
  const stop = 1 << (SKETCH_PRECISION - 1);
  return `bit_position('1'::BIT, ((${word} << ${SKETCH_PRECISION}) | ${stop}::UBIGINT)::BIT)`;
}

/**
 * A union being built: the distinct hex hashes while they fit the exact form, then registers.
 * Turning dense as soon as the union outgrows the limit keeps memory bounded. Exact sketches given
 * whole are held as they are and settled at the end: a union whose registers already show more
 * than {@link EXACT_LIMIT} non-zero registers has more distinct hashes than that (a hash sets one
 * register), so it goes dense without building the set of its hashes; a query unions tens of
 * thousands of exact sketches, most of which end dense.
 */
class SketchUnion {
  #hashes: Set<string> | undefined = new Set();
  #registers: Uint8Array | undefined;
  /** Registers above 0. */
  #raised = 0;
  /** Exact sketches added whole and not yet settled, with their hash count. */
  #pending: string[] = [];
  #pendingHashes = 0;

  addHex(hex: string): void {
    if (this.#hashes) {
      this.#hashes.add(hex);
      if (this.#hashes.size > EXACT_LIMIT) this.#goDense();
    } else {
      this.#raiseHex(hex);
    }
  }

  /** Adds the hashes of an exact sketch (already validated). */
  addExact(sketch: string): void {
    this.#pending.push(sketch);
    this.#pendingHashes += (sketch.length - 1) / HASH_HEX;
  }

  /** Max-merges the registers of a dense sketch (already validated). */
  addRegisters(sketch: string): void {
    const registers = this.#goDense();
    for (let i = 0; i < REGISTERS; i++) {
      const rank = sketch.charCodeAt(i + 1) - RANK_ZERO;
      if (rank > (registers[i] as number)) {
        if (registers[i] === 0) this.#raised++;
        registers[i] = rank;
      }
    }
  }

  /** Distinct users of the union, as {@link estimateUsers} of {@link toSketch}. */
  estimate(): number {
    this.#settle();
    if (!this.#registers) return this.#hashes?.size ?? 0;
    let sum = 0;
    let zeros = 0;
    for (const rank of this.#registers) {
      sum += INVERSE_POWERS[rank] as number;
      if (rank === 0) zeros++;
    }
    return estimateFrom(sum, zeros);
  }

  toSketch(): UserSketch {
    this.#settle();
    if (this.#registers)
      return `D${String.fromCharCode(...this.#registers.map((rank) => rank + RANK_ZERO))}` as UserSketch;
    return `E${[...(this.#hashes ?? [])].sort().join('')}` as UserSketch;
  }

  /** Adds the pending exact sketches: to the set while the union may stay exact, else as registers. */
  #settle(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    const hashes = this.#hashes;
    if (hashes && hashes.size + this.#pendingHashes <= EXACT_LIMIT) {
      this.#pendingHashes = 0;
      for (const sketch of pending) addHashesOf(sketch, hashes);
      return;
    }
    this.#pendingHashes = 0;
    const dense = this.#registers !== undefined;
    this.#registers ??= new Uint8Array(REGISTERS);
    for (const hex of hashes ?? []) this.#raiseHex(hex);
    for (const sketch of pending) this.#raiseWords(hashWords(sketch));
    if (!dense && hashes && this.#raised <= EXACT_LIMIT) {
      // Few registers set: the distinct hashes may still fit the exact form; count them.
      for (const sketch of pending) addHashesOf(sketch, hashes);
      if (hashes.size <= EXACT_LIMIT) {
        this.#registers = undefined;
        this.#raised = 0;
        return;
      }
    }
    this.#hashes = undefined;
  }

  #goDense(): Uint8Array {
    if (!this.#registers) {
      this.#registers = new Uint8Array(REGISTERS);
      for (const hex of this.#hashes ?? []) this.#raiseHex(hex);
      this.#hashes = undefined;
    }
    return this.#registers;
  }

  #raiseHex(hex: string): void {
    this.#raiseWords(hashWords(`E${hex}`));
  }

  /**
   * Raises the register of each hash given as its high and low 32-bit words, as
   * {@link computeRegister} does without a BigInt: the top 12 bits of the high word are the index,
   * its other 20 bits the top of the 52-bit word whose leading zeros make the rank.
   */
  #raiseWords(words: Uint32Array): void {
    const registers = this.#registers as Uint8Array;
    for (let i = 0; i < words.length; i += 2) {
      const hi = words[i] as number;
      const high = hi & 0xf_ffff;
      const bitLength = high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(words[i + 1] as number);
      const rank = MAX_RANK - bitLength;
      const index = hi >>> (WORD_BITS - 32);
      const current = registers[index] as number;
      if (rank > current) {
        if (current === 0) this.#raised++;
        registers[index] = rank;
      }
    }
  }
}

/** Adds the hashes of an exact sketch to a set. */
function addHashesOf(sketch: string, hashes: Set<string>): void {
  for (let i = 0; i < (sketch.length - 1) / HASH_HEX; i++) hashes.add(hexAt(sketch, i));
}

function hexAt(sketch: string, i: number): string {
  return sketch.slice(1 + i * HASH_HEX, 1 + (i + 1) * HASH_HEX);
}

function checkHash(hash: bigint): void {
  if (typeof hash !== 'bigint' || hash < 0n || hash > MAX_HASH) {
    throw new RangeError(`a user hash is an unsigned 64-bit integer (got ${String(hash)})`);
  }
}

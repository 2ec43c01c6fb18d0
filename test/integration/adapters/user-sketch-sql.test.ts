import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeRegister,
  denseSketchOfRegisters,
  hashUserKey,
  sketchOfHashes,
  sqlRegisterIndex,
  sqlRegisterRank,
  sqlUserHash,
  sqlUserHashHex,
} from '#domain/metrics/user-sketch.ts';

/**
 * The SQL side computes user hashes and registers in DuckDB; a sketch built there must equal the
 * one built in JavaScript from the same keys, or merged counts would drift between the two paths.
 */

const KEYS = 20_000;
/** Fixed keys: plain ids, e-mails and non-ASCII text (DuckDB hashes a VARCHAR's UTF-8 bytes). */
const keys = Array.from({ length: KEYS }, (_, i) => {
  switch (i % 4) {
    case 0:
      return `user-${i}`;
    case 1:
      return `person${i}@example.com`;
    case 2:
      return `é東京🙂-${i}`;
    default:
      return `anon:${(i * 2_654_435_761) % 4_294_967_296}`;
  }
});

let instance: DuckDBInstance;
let connection: DuckDBConnection;

async function rows(sql: string): Promise<string[][]> {
  const result = await connection.runAndReadAll(sql);
  return result.getRows().map((row) => row.map(String));
}

describe('user sketches in DuckDB SQL', () => {
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run('CREATE TABLE keys (i INTEGER, key VARCHAR)');
    const appender = await connection.createAppender('keys');
    keys.forEach((key, i) => {
      appender.appendInteger(i);
      appender.appendVarchar(key);
      appender.endRow();
    });
    appender.closeSync();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('computes the same hash, register index and rank as JavaScript for every key', async () => {
    const result = await rows(`
      WITH hashed AS (SELECT i, ${sqlUserHash('key')} AS h, ${sqlUserHashHex('key')} AS hex FROM keys)
      SELECT i, h::VARCHAR, hex, ${sqlRegisterIndex('h')}, ${sqlRegisterRank('h')} FROM hashed ORDER BY i`);
    expect(result).toHaveLength(KEYS);
    const mismatches = result.filter(([i, h, hex, index, rank]) => {
      const expected = hashUserKey(keys[Number(i)] as string);
      const register = computeRegister(expected);
      return (
        h !== expected.toString() ||
        hex !== expected.toString(16).padStart(16, '0') ||
        index !== String(register.index) ||
        rank !== String(register.rank)
      );
    });
    expect(mismatches).toEqual([]);
  });

  it('computes exact ranks at the edges, where a floating log2 would round', async () => {
    const low52 = (1n << 52n) - 1n;
    const hashes = [0n, 1n, 2n, 3n, (1n << 51n) - 1n, 1n << 51n, low52, 1n << 52n, (1n << 64n) - 1n];
    for (let k = 1n; k < 52n; k++) hashes.push((1n << k) - 1n, 1n << k, (0xabcn << 52n) | ((1n << k) + 1n));
    const values = hashes.map((h, i) => `(${i}, ${h}::UBIGINT)`).join(', ');
    const result = await rows(`
      SELECT i, ${sqlRegisterIndex('h')}, ${sqlRegisterRank('h')} FROM (VALUES ${values}) t(i, h) ORDER BY i`);
    expect(result).toEqual(
      hashes.map((h, i) => {
        const { index, rank } = computeRegister(h);
        return [String(i), String(index), String(rank)];
      }),
    );
  });

  it('builds the same dense sketch as sketchOfHashes', async () => {
    const [[registers]] = (await rows(`
      WITH hashed AS (SELECT ${sqlUserHash('key')} AS h FROM keys),
      ranks AS (
        SELECT ${sqlRegisterIndex('h')} AS idx, max(${sqlRegisterRank('h')}) AS max_rank FROM hashed GROUP BY idx
      )
      SELECT string_agg(chr(48 + coalesce(max_rank, 0)), '' ORDER BY r.idx)
      FROM (SELECT i::INTEGER AS idx FROM range(4096) t(i)) r LEFT JOIN ranks USING (idx)`)) as [[string]];
    expect(registers).toHaveLength(4096);
    expect(denseSketchOfRegisters(registers)).toBe(sketchOfHashes(keys.map(hashUserKey)));
  });

  it('builds the same exact sketch as sketchOfHashes from the hex hashes', async () => {
    // 200 distinct keys, 50 of them twice.
    const [[sketch]] = (await rows(`
      WITH picked AS (SELECT key FROM keys WHERE i < 200 UNION ALL SELECT key FROM keys WHERE i < 50)
      SELECT 'E' || coalesce(string_agg(DISTINCT ${sqlUserHashHex('key')}, '' ORDER BY ${sqlUserHashHex('key')}), '')
      FROM picked`)) as [[string]];
    expect(sketch).toBe(sketchOfHashes(keys.slice(0, 200).map(hashUserKey)));
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LakeStore } from '#adapters/lake-store.ts';
import { LOCAL_NAMES, localS3Client } from '#local/servers.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';

let stack: TestStack;

/** A lake store over the stack's S3 whose client counts the GETs it sends. */
function countingStore(cacheDirectory: string) {
  const client = localS3Client(stack.servers.s3Endpoint);
  const counts = { gets: 0, lists: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetObjectCommand') counts.gets++;
      if (context.commandName === 'ListObjectsV2Command') counts.lists++;
      return next(args);
    },
    { step: 'initialize', name: 'count-gets' },
  );
  return { store: new S3LakeStore({ client, bucket: LOCAL_NAMES.RAW_BUCKET, cacheDirectory }), counts };
}

describe('the lake store', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('does not ask again for a partition whose listed ETag it holds, and fetches one that changed', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'lake-store-'));
    const file = join(scratch, 'a.parquet');
    const { store, counts } = countingStore(join(scratch, 'cache'));
    writeFileSync(file, 'first');
    await store.putPartition('visitors', '2026-06-01', file);
    await store.putPartition('visitors', '2026-06-02', file);
    const [first] = await store.fetchPartitions('visitors', ['2026-06-01']);
    expect(counts.gets).toBe(1);
    // Both days listed: the first one is held as listed, only the second is fetched.
    const both = await store.fetchPartitions('visitors');
    expect(both).toHaveLength(2);
    expect(counts.gets).toBe(2);
    await store.fetchPartitions('visitors');
    expect(counts.gets).toBe(2);
    // The first day rebuilt with other bytes: listed with another ETag, so fetched again.
    writeFileSync(file, 'second');
    await store.putPartition('visitors', '2026-06-01', file);
    const [again] = await store.fetchPartitions('visitors', ['2026-06-01']);
    expect(counts.gets).toBe(3);
    expect(again).toBe(first);
    expect(readFileSync(again as string, 'utf8')).toBe('second');
  });

  it('sums the bytes of a table’s parts over a range of days with one listing, leaving out the days around it', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'lake-store-'));
    const { store, counts } = countingStore(join(scratch, 'cache'));
    const write = async (date: string, bytes: number, part?: string) => {
      const file = join(scratch, `${date}-${part ?? '0'}.parquet`);
      writeFileSync(file, 'x'.repeat(bytes));
      await store.putPartition('refunds', date, file, part);
    };
    await write('2026-05-31', 1000);
    await write('2026-06-01', 10);
    await write('2026-06-01', 20, '20260601T100000000Z-aaaaaaaa');
    await write('2026-06-03', 300);
    await write('2026-06-04', 5000);
    // 10 + 20 (two parts of the first day) + 300; the day before and the day after are not counted.
    expect(await store.sizeOfDays('refunds', '2026-06-01', '2026-06-03')).toBe(330);
    expect(counts.lists).toBe(1);
    expect(await store.sizeOfDays('refunds', '2026-06-05', '2026-06-30')).toBe(0);
  });
});

import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { DynamoResultsStore } from '#adapters/results-store.ts';
import { addDays } from '#domain/dates.ts';
import { LOCAL_NAMES, localDocumentClient } from '#local/servers.ts';
import { injectFault } from '../../support/faults.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';

let stack: TestStack;
// One section, `blob`: the sections are stored alike (another test reads them apart).
const blobSections = { blob: { schema: z.string() } };

describe('the results table', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  const store = (client = stack.servers.dynamo) =>
    new DynamoResultsStore({ client, table: LOCAL_NAMES.RESULTS_TABLE, sections: blobSections });

  it('splits a day partial larger than an item into chunks and reads it back whole', async () => {
    // Base64 of random bytes carries 6 bits per character, so gzip gets it to about 3/4 of its size:
    // 1.2 MB of text → about 0.9 MB compressed → three chunks of at most 350 KB.
    const blob = randomBytes(900_000).toString('base64');
    await store().writeDays(new Map([['2026-01-01', { blob }]]), 'big');
    const chunks = await stack.servers.dynamo.send(
      new QueryCommand({
        TableName: LOCAL_NAMES.RESULTS_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': 'day#2026-01-01', ':v': 'v#big#blob#' },
      }),
    );
    expect(chunks.Items).toHaveLength(3);
    expect((await store().readRange('2026-01-01', '2026-01-01')).blob.get('2026-01-01')).toEqual(blob);
  });

  it('keeps the previous version readable when a write dies before switching heads, and drops old chunks after', async () => {
    await store().writeDays(new Map([['2026-01-02', { blob: 'old' }]]), 'v1');
    const dying = localDocumentClient(stack.servers.dynamoEndpoint);
    let calls = 0;
    // The first batch write (the chunks) goes through; the second (the heads) fails.
    dying.middlewareStack.add(
      (next, context) => async (args) => {
        if (String(context.commandName).startsWith('BatchWrite') && ++calls === 2) throw new Error('killed');
        return next(args);
      },
      { step: 'initialize', name: 'die-on-heads' },
    );
    await expect(store(dying).writeDays(new Map([['2026-01-02', { blob: 'new' }]]), 'v2')).rejects.toThrow(
      'killed',
    );
    expect((await store().readRange('2026-01-02', '2026-01-02')).blob.get('2026-01-02')).toEqual('old');
    await store().writeDays(new Map([['2026-01-02', { blob: 'newer' }]]), 'v3');
    expect((await store().readRange('2026-01-02', '2026-01-02')).blob.get('2026-01-02')).toEqual('newer');
    const left = await stack.servers.dynamo.send(
      new QueryCommand({
        TableName: LOCAL_NAMES.RESULTS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'day#2026-01-02' },
      }),
    );
    // v1's chunk is deleted when v3 replaces it; v2's orphan chunk stays (nothing points at it).
    expect((left.Items ?? []).map((item) => item.sk).sort()).toEqual([
      'head',
      'v#v2#blob#0000',
      'v#v3#blob#0000',
    ]);
  });

  it('refuses an item that does not match the schema when read back', async () => {
    await store().writeDays(new Map([['2026-01-03', { blob: 'x' }]]), 'v1');
    const strict = new DynamoResultsStore({
      client: stack.servers.dynamo,
      table: LOCAL_NAMES.RESULTS_TABLE,
      sections: { blob: { schema: z.number() } },
    });
    await expect(strict.readRange('2026-01-03', '2026-01-03')).rejects.toThrow();
  });

  it('survives a transient failure: injected faults only hit the chosen client', async () => {
    // Its own day: the day another test wrote may not exist yet when this one runs.
    await store().writeDays(new Map([['2026-01-04', { blob: 'y' }]]), 'v1');
    const flaky = localDocumentClient(stack.servers.dynamoEndpoint);
    injectFault(flaky, { commands: ['BatchGetCommand', 'BatchGetItemCommand'], times: 1 });
    await expect(store(flaky).readRange('2026-01-04', '2026-01-04')).rejects.toThrow(/injected/);
    expect((await store(flaky).readRange('2026-01-04', '2026-01-04')).blob.get('2026-01-04')).toEqual('y');
  });

  describe('blocks of days', () => {
    const countSchema = z.object({ n: z.number() });
    const sumCounts = (parts: ReadonlyMap<string, { n: number }>) => ({
      n: [...parts.values()].reduce((sum, p) => sum + p.n, 0),
    });
    const merging = () =>
      new DynamoResultsStore({
        client: stack.servers.dynamo,
        table: LOCAL_NAMES.RESULTS_TABLE,
        sections: { count: { schema: countSchema, mergeDays: sumCounts } },
      });
    const plain = () =>
      new DynamoResultsStore({
        client: stack.servers.dynamo,
        table: LOCAL_NAMES.RESULTS_TABLE,
        sections: { count: { schema: countSchema } },
      });
    // 2030-01-03 is day 21,917 from 1970-01-01 (60 × 365 + 15 leap days + 2) = 4 × 5,479 + 1, so
    // blocks of 4 start on 2030-01-02, 01-06, 01-10, …; 21,920 (01-06) = 16 × 1,370: a block of 16.
    const days = (first: string, values: number[]) =>
      new Map(values.map((n, i) => [addDays(first, i), { count: { n } }]));

    it('writes a whole 256-day block, every versions update within the 4 KB DynamoDB allows an expression', async () => {
      // 2030-12-24 is day 22,016 + 256 = 22,272 = 256 × 87 (2030-04-12 is 256 × 86): it starts a block of 256 days,
      // after every date the other tests write, so the order they run in does not matter.
      const sent = vi.spyOn(stack.servers.dynamo, 'send');
      try {
        await merging().writeDays(days('2030-12-24', Array(256).fill(1)), 'v1');
        const expressions = sent.mock.calls
          .map(([command]) => (command.input as { UpdateExpression?: string }).UpdateExpression)
          .filter((expression): expression is string => expression !== undefined);
        // 256 dates in one item: three updates of at most 100 (dynalite does not check the limit).
        expect(expressions).toHaveLength(3);
        for (const expression of expressions) expect(Buffer.byteLength(expression)).toBeLessThan(4096);
      } finally {
        sent.mockRestore();
      }
      expect(
        Object.fromEntries((await merging().readRange('2030-12-24', addDays('2030-12-24', 255))).count),
      ).toEqual({
        '2030-12-24': { n: 256 },
      });
    });

    it('reads a range as the fewest blocks, each the sum of its days', async () => {
      // 2030-01-02 … 2030-01-25 hold 1 … 24.
      await merging().writeDays(
        days(
          '2030-01-02',
          Array.from({ length: 24 }, (_, i) => i + 1),
        ),
        'v1',
      );
      // 01-02…01-05 is a block of 4 (1+2+3+4 = 10); 01-06…01-21 a block of 16 (5+…+20 = 200);
      // 01-22…01-25 a block of 4 (21+22+23+24 = 90).
      expect(Object.fromEntries((await merging().readRange('2030-01-02', '2030-01-25')).count)).toEqual({
        '2030-01-02': { n: 10 },
        '2030-01-06': { n: 200 },
        '2030-01-22': { n: 90 },
      });
      // From 01-03: three days alone (2, 3, 4), then the same blocks.
      expect(Object.fromEntries((await merging().readRange('2030-01-03', '2030-01-21')).count)).toEqual({
        '2030-01-03': { n: 2 },
        '2030-01-04': { n: 3 },
        '2030-01-05': { n: 4 },
        '2030-01-06': { n: 200 },
      });
      expect((await merging().readRange('2030-01-02', '2030-01-25', { largest: 1 })).count.size).toBe(24);
    });

    it('never reads a block whose days changed since it was merged', async () => {
      // 2030-02-03 … 02-22 hold 1 each; 02-07 is day 21,952 = 16 × 1,372, so the range 02-07…02-22
      // is exactly one block of 16.
      await merging().writeDays(
        days(
          '2030-02-03',
          Array.from({ length: 20 }, () => 1),
        ),
        'v1',
      );
      expect(Object.fromEntries((await merging().readRange('2030-02-07', '2030-02-22')).count)).toEqual({
        '2030-02-07': { n: 16 },
      });
      // A write that stored a day but died before its blocks (or a store without blocks).
      await plain().writeDays(days('2030-02-10', [101]), 'v2');
      const read = await merging().readRange('2030-02-07', '2030-02-22');
      // The block of 16 is stale: its four blocks of 4, of which 02-07…02-10 is stale too, so its
      // days: 1 + 1 + 1 + 101, then 4, 4, 4.
      expect(Object.fromEntries(read.count)).toEqual({
        '2030-02-07': { n: 1 },
        '2030-02-08': { n: 1 },
        '2030-02-09': { n: 1 },
        '2030-02-10': { n: 101 },
        '2030-02-11': { n: 4 },
        '2030-02-15': { n: 4 },
        '2030-02-19': { n: 4 },
      });
      // The next write of any of its days merges the blocks again.
      await merging().writeDays(days('2030-02-22', [1]), 'v3');
      expect(Object.fromEntries((await merging().readRange('2030-02-07', '2030-02-22')).count)).toEqual({
        '2030-02-07': { n: 116 },
      });
    });

    /** A merging store whose client fails the first batch write that `dies` picks. */
    const dyingOn = (dies: (items: Array<{ PutRequest?: { Item: Record<string, unknown> } }>) => boolean) => {
      const client = localDocumentClient(stack.servers.dynamoEndpoint);
      let died = false;
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { RequestItems?: Record<string, never[]> };
          const items = Object.values(input.RequestItems ?? {}).flat();
          if (!died && String(context.commandName).startsWith('BatchWrite') && dies(items)) {
            died = true;
            throw new Error('killed');
          }
          return next(args);
        },
        { step: 'initialize', name: 'die-on-write' },
      );
      return new DynamoResultsStore({
        client,
        table: LOCAL_NAMES.RESULTS_TABLE,
        sections: { count: { schema: countSchema, mergeDays: sumCounts } },
      });
    };
    const puts = (items: Array<{ PutRequest?: { Item: Record<string, unknown> } }>, pk: RegExp, sk: RegExp) =>
      items.some(
        (item) => pk.test(String(item.PutRequest?.Item.pk)) && sk.test(String(item.PutRequest?.Item.sk)),
      );

    it('never reads a block when a write died between its days and its blocks', async () => {
      // 2030-03-11 is day 21,984 = 16 × 1,374: 03-11…03-26 is one block of 16, of blocks of 4
      // starting 03-11, 03-15, 03-19, 03-23.
      await merging().writeDays(
        days(
          '2030-03-11',
          Array.from({ length: 16 }, () => 1),
        ),
        'v1',
      );
      const dying = dyingOn((items) => puts(items, /^days/, /^v#/));
      await expect(dying.writeDays(days('2030-03-15', [50]), 'v2')).rejects.toThrow('killed');
      // The day is stored and its blocks are not: both blocks holding it are passed over.
      expect(Object.fromEntries((await merging().readRange('2030-03-11', '2030-03-26')).count)).toEqual({
        '2030-03-11': { n: 4 },
        '2030-03-15': { n: 50 },
        '2030-03-16': { n: 1 },
        '2030-03-17': { n: 1 },
        '2030-03-18': { n: 1 },
        '2030-03-19': { n: 4 },
        '2030-03-23': { n: 4 },
      });
      // A later write of another day of the block of 16 merges it from 03-15's days.
      await merging().writeDays(days('2030-03-26', [1]), 'v3');
      expect(Object.fromEntries((await merging().readRange('2030-03-11', '2030-03-26')).count)).toEqual({
        '2030-03-11': { n: 4 + 53 + 4 + 4 },
      });
    });

    it('reads the previous days, not their blocks, when a write died after recording its versions', async () => {
      // 03-27…04-11: the next block of 16, of blocks of 4 starting 03-27, 03-31, 04-04, 04-08.
      await merging().writeDays(
        days(
          '2030-03-27',
          Array.from({ length: 16 }, () => 1),
        ),
        'v1',
      );
      // The new version is recorded, its chunks are written, its head is not.
      const dying = dyingOn((items) => puts(items, /^day#/, /^head$/));
      await expect(dying.writeDays(days('2030-03-31', [50]), 'v2')).rejects.toThrow('killed');
      expect(Object.fromEntries((await merging().readRange('2030-03-27', '2030-04-11')).count)).toEqual({
        '2030-03-27': { n: 4 },
        '2030-03-31': { n: 1 },
        '2030-04-01': { n: 1 },
        '2030-04-02': { n: 1 },
        '2030-04-03': { n: 1 },
        '2030-04-04': { n: 4 },
        '2030-04-08': { n: 4 },
      });
      await merging().writeDays(days('2030-03-31', [50]), 'v3');
      expect(Object.fromEntries((await merging().readRange('2030-03-27', '2030-04-11')).count)).toEqual({
        '2030-03-27': { n: 65 },
      });
    });

    it("checks a block against one item of day versions, not every day's head", async () => {
      // 04-12…04-27: the next block of 16.
      await merging().writeDays(
        days(
          '2030-04-12',
          Array.from({ length: 16 }, () => 2),
        ),
        'v1',
      );
      const client = localDocumentClient(stack.servers.dynamoEndpoint);
      const asked: Array<{ pk: string; sk: string }> = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as {
            RequestItems?: Record<string, { Keys: Array<{ pk: string; sk: string }> }>;
          };
          for (const { Keys } of Object.values(input.RequestItems ?? {})) asked.push(...Keys);
          return next(args);
        },
        { step: 'initialize', name: 'count-keys' },
      );
      const store = new DynamoResultsStore({
        client,
        table: LOCAL_NAMES.RESULTS_TABLE,
        sections: { count: { schema: countSchema, mergeDays: () => ({ n: 0 }) } },
      });
      expect(Object.fromEntries((await store.readRange('2030-04-12', '2030-04-27')).count)).toEqual({
        '2030-04-12': { n: 32 },
      });
      expect(asked).toEqual([
        { pk: 'days16#2030-04-12', sk: 'head' },
        { pk: expect.stringMatching(/^versions#/), sk: 'versions' },
        { pk: 'days16#2030-04-12', sk: 'v#v1#count#0000' },
      ]);
    });

    it('stores each section apart: one read only the sections it asks for, a section without a merge in days only', async () => {
      // 2030-05-02 … 05-05: one block of 4 (day 22,036 = 4 × 5,509). `count` has blocks, `note` days only.
      const sections = {
        count: { schema: countSchema, mergeDays: sumCounts },
        note: { schema: z.string() },
      };
      const client = localDocumentClient(stack.servers.dynamoEndpoint);
      const asked: Array<{ pk: string; sk: string }> = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as {
            RequestItems?: Record<string, { Keys?: Array<{ pk: string; sk: string }> }>;
          };
          for (const { Keys } of Object.values(input.RequestItems ?? {})) asked.push(...(Keys ?? []));
          return next(args);
        },
        { step: 'initialize', name: 'count-keys' },
      );
      const two = new DynamoResultsStore({ client, table: LOCAL_NAMES.RESULTS_TABLE, sections });
      await two.writeDays(
        new Map([1, 2, 3, 4].map((n) => [addDays('2030-05-02', n - 1), { count: { n }, note: `day ${n}` }])),
        'sections-v1',
      );
      asked.length = 0;
      const both = await two.readRange('2030-05-02', '2030-05-05');
      // count: the block of 4 (1 + 2 + 3 + 4 = 10); note: its four days.
      expect(Object.fromEntries(both.count)).toEqual({ '2030-05-02': { n: 10 } });
      expect([...both.note.values()]).toEqual(['day 1', 'day 2', 'day 3', 'day 4']);
      asked.length = 0;
      const notes = await two.readRange('2030-05-02', '2030-05-05', { sections: ['note'] });
      expect(Object.keys(notes)).toEqual(['note']);
      // The four days' heads, then their `note` chunks only: no block, no `count` chunk.
      expect(asked.filter((key) => key.sk === 'head').map((key) => key.pk)).toEqual([
        'day#2030-05-02',
        'day#2030-05-03',
        'day#2030-05-04',
        'day#2030-05-05',
      ]);
      expect(asked.filter((key) => key.sk.startsWith('v#')).map((key) => key.sk)).toEqual(
        Array(4).fill('v#sections-v1#note#0000'),
      );
    });

    it('reads several ranges at once, each answered by the blocks inside it', async () => {
      // 2030-05-06 … 05-13 hold 1 … 8: 05-06…05-09 is a block of 4 (day 22,040 = 4 × 5,510), 05-10…05-13 another.
      await merging().writeDays(days('2030-05-06', [1, 2, 3, 4, 5, 6, 7, 8]), 'ranges-v1');
      const [first, second] = await merging().readRanges([
        { from: '2030-05-06', to: '2030-05-09' },
        { from: '2030-05-10', to: '2030-05-12' },
      ]);
      expect(Object.fromEntries(first?.count ?? [])).toEqual({ '2030-05-06': { n: 10 } });
      // Three days of the second block: days alone (5, 6, 7), never the block of 4 that goes past the range.
      expect(Object.fromEntries(second?.count ?? [])).toEqual({
        '2030-05-10': { n: 5 },
        '2030-05-11': { n: 6 },
        '2030-05-12': { n: 7 },
      });
    });

    it('switches all the sections of a day at once: a write dying at the heads leaves the day whole in its old version', async () => {
      const sections = {
        count: { schema: countSchema, mergeDays: sumCounts },
        note: { schema: z.string() },
      };
      const both = (client = stack.servers.dynamo) =>
        new DynamoResultsStore({ client, table: LOCAL_NAMES.RESULTS_TABLE, sections });
      // 30 days from 2030-06-01: more heads than one batch write of 25 takes. The write dies on the
      // batch holding 06-13's head; the batches before and after it land.
      const thirty = (n: number, note: string) =>
        new Map(Array.from({ length: 30 }, (_, k) => [addDays('2030-06-01', k), { count: { n }, note }]));
      await both().writeDays(thirty(1, 'old'), 'whole-v1');
      let died = false;
      const dying = localDocumentClient(stack.servers.dynamoEndpoint);
      dying.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as {
            RequestItems?: Record<string, Array<{ PutRequest?: { Item: Record<string, unknown> } }>>;
          };
          const items = Object.values(input.RequestItems ?? {}).flat();
          const item = (i: (typeof items)[number]) => i.PutRequest?.Item;
          if (
            !died &&
            String(context.commandName).startsWith('BatchWrite') &&
            items.some((i) => item(i)?.sk === 'head' && String(item(i)?.pk).startsWith('day#2030-06-13'))
          ) {
            died = true;
            throw new Error('killed');
          }
          return next(args);
        },
        { step: 'initialize', name: 'die-on-heads' },
      );
      await expect(both(dying).writeDays(thirty(2, 'new'), 'whole-v2')).rejects.toThrow('killed');
      // Let the batches sent beside the one that died land.
      await new Promise((done) => setTimeout(done, 500));
      const read = await both().readRange('2030-06-01', '2030-06-30', { largest: 1 });
      // Each day is old in both sections or new in both: never the count of one and the note of the other.
      const pairs = [...read.count].map(([date, { n }]) => [n, read.note.get(date)]);
      expect(pairs).toHaveLength(30);
      for (const pair of pairs)
        expect([
          [1, 'old'],
          [2, 'new'],
        ]).toContainEqual(pair);
      expect(pairs).toContainEqual([1, 'old']);
    });

    it('refuses ranges that overlap when read together', async () => {
      await expect(
        merging().readRanges([
          { from: '2030-05-06', to: '2030-05-13' },
          { from: '2030-05-08', to: '2030-05-09' },
        ]),
      ).rejects.toThrow(RangeError);
    });

    it('reads a day stored before sections as not computed, and deletes its chunks when the day is written again', async () => {
      // The layout before sections: one body per day, its head counting plain chunks.
      await stack.servers.dynamo.send(
        new PutCommand({
          TableName: LOCAL_NAMES.RESULTS_TABLE,
          Item: { pk: 'day#2030-07-01', sk: 'v#old#0000', data: new Uint8Array([1]) },
        }),
      );
      await stack.servers.dynamo.send(
        new PutCommand({
          TableName: LOCAL_NAMES.RESULTS_TABLE,
          Item: { pk: 'day#2030-07-01', sk: 'head', version: 'old', chunks: 1 },
        }),
      );
      expect((await merging().readRange('2030-07-01', '2030-07-01')).count.size).toBe(0);
      await merging().writeDays(days('2030-07-01', [7]), 'after-sections');
      expect(Object.fromEntries((await merging().readRange('2030-07-01', '2030-07-01')).count)).toEqual({
        '2030-07-01': { n: 7 },
      });
      const left = await stack.servers.dynamo.send(
        new QueryCommand({
          TableName: LOCAL_NAMES.RESULTS_TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'day#2030-07-01' },
        }),
      );
      expect((left.Items ?? []).map((item) => item.sk).sort()).toEqual([
        'head',
        'v#after-sections#count#0000',
      ]);
    });
  });
});

import { randomBytes } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DynamoResultsStore } from '#adapters/results-store.ts';
import { LOCAL_NAMES, localDocumentClient } from '#local/servers.ts';
import { injectFault } from '../../support/faults.ts';
import { startTestStack, type TestStack } from '../../support/stack.ts';

let stack: TestStack;
const blobSchema = z.object({ blob: z.string() });

describe('the results table', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  const store = (client = stack.servers.dynamo) =>
    new DynamoResultsStore({ client, table: LOCAL_NAMES.RESULTS_TABLE, daySchema: blobSchema });

  it('splits a day partial larger than an item into chunks and reads it back whole', async () => {
    // Base64 of random bytes carries 6 bits per character, so gzip gets it to about 3/4 of its size:
    // 1.2 MB of text → about 0.9 MB compressed → three chunks of at most 350 KB.
    const blob = randomBytes(900_000).toString('base64');
    await store().writeDays(new Map([['2026-01-01', { blob }]]), 'big');
    const chunks = await stack.servers.dynamo.send(
      new QueryCommand({
        TableName: LOCAL_NAMES.RESULTS_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
        ExpressionAttributeValues: { ':pk': 'day#2026-01-01', ':v': 'v#big#' },
      }),
    );
    expect(chunks.Items).toHaveLength(3);
    expect((await store().readDays(['2026-01-01'])).get('2026-01-01')).toEqual({ blob });
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
    expect((await store().readDays(['2026-01-02'])).get('2026-01-02')).toEqual({ blob: 'old' });
    await store().writeDays(new Map([['2026-01-02', { blob: 'newer' }]]), 'v3');
    expect((await store().readDays(['2026-01-02'])).get('2026-01-02')).toEqual({ blob: 'newer' });
    const left = await stack.servers.dynamo.send(
      new QueryCommand({
        TableName: LOCAL_NAMES.RESULTS_TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'day#2026-01-02' },
      }),
    );
    // v1's chunk is deleted when v3 replaces it; v2's orphan chunk stays (nothing points at it).
    expect((left.Items ?? []).map((item) => item.sk).sort()).toEqual(['head', 'v#v2#0000', 'v#v3#0000']);
  });

  it('refuses an item that does not match the schema when read back', async () => {
    await store().writeDays(new Map([['2026-01-03', { blob: 'x' }]]), 'v1');
    const strict = new DynamoResultsStore({
      client: stack.servers.dynamo,
      table: LOCAL_NAMES.RESULTS_TABLE,
      daySchema: z.object({ other: z.number() }),
    });
    await expect(strict.readDays(['2026-01-03'])).rejects.toThrow();
  });

  it('survives a transient failure: injected faults only hit the chosen client', async () => {
    // Its own day: the day another test wrote may not exist yet when this one runs.
    await store().writeDays(new Map([['2026-01-04', { blob: 'y' }]]), 'v1');
    const flaky = localDocumentClient(stack.servers.dynamoEndpoint);
    injectFault(flaky, { commands: ['BatchGetCommand', 'BatchGetItemCommand'], times: 1 });
    await expect(store(flaky).readDays(['2026-01-04'])).rejects.toThrow(/injected/);
    expect((await store(flaky).readDays(['2026-01-04'])).get('2026-01-04')).toEqual({ blob: 'y' });
  });
});

import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '#domain/errors.ts';

type WriteRequest = NonNullable<
  NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]
>[number];
type Key = Record<string, unknown>;

const MAX_ROUNDS = 8;

/** Resolves after `ms` milliseconds; exported so tests can see the backoff is bounded. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes every request in batches of 25, re-sending unprocessed items with exponential backoff
 * (DynamoDB returns them under throttling). Throws when items are still unprocessed after
 * {@link MAX_ROUNDS} rounds, so the caller can report the work as failed and retry it whole.
 */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  table: string,
  requests: readonly WriteRequest[],
  concurrency = 4,
): Promise<void> {
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) chunks.push(requests.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending = chunks[next++] ?? [];
      for (let round = 0; pending.length > 0; round++) {
        if (round === MAX_ROUNDS)
          throw new ServiceUnavailableError(`${pending.length} writes to ${table} stayed unprocessed`);
        if (round > 0) await sleep(Math.min(2000, 25 * 2 ** round));
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (result.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
}

/** Reads items by key in batches of 100, re-asking for unprocessed keys; missing items are left out. */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  table: string,
  keys: readonly Key[],
  consistentRead = false,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Key[] = keys.slice(i, i + 100);
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS)
        throw new ServiceUnavailableError(`${pending.length} reads from ${table} stayed unprocessed`);
      if (round > 0) await sleep(Math.min(2000, 25 * 2 ** round));
      const result = await client.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: consistentRead } } }),
      );
      items.push(...((result.Responses?.[table] ?? []) as Record<string, unknown>[]));
      pending = (result.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
  }
  return items;
}

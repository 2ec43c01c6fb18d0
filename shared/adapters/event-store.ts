import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { type NormalisedEvent, normalisedEventSchema } from '#domain/normalised-event.ts';
import { batchGetAll, batchWriteAll } from './dynamo-batch.ts';

export interface ScanRange {
  /** Inclusive bounds on the event instant, epoch milliseconds. */
  readonly fromTs: number;
  readonly toTs: number;
}

/** The events table: one item per `eventId`, all of a user's events under one partition key. */
export interface EventStore {
  /** Stores events; storing the same event again leaves one item (the key is the event id). */
  putEvents(events: readonly NormalisedEvent[]): Promise<void>;
  /** Events of one parallel-scan segment with an instant in range. */
  scanSegment(segment: number, totalSegments: number, range: ScanRange): AsyncIterable<NormalisedEvent>;
  /**
   * Makes an anonymous key part of a user's journey: its events move under the user and later
   * ones are keyed to the user. The first link of an anonymous key wins; a later link to another
   * user moves the events to the first.
   */
  linkIdentity(anonymousKey: string, userKey: string): Promise<void>;
  /** The user key each given anonymous key is linked to, for those that are. */
  resolveAliases(anonymousKeys: readonly string[]): Promise<Map<string, string>>;
  /** Moves the events of those anonymous keys that are linked by now under their users. */
  moveLinked(anonymousKeys: readonly string[]): Promise<void>;
}

export interface DynamoEventStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  /** Days an event stays after it occurred or was loaded, whichever is later (DynamoDB TTL). */
  readonly retentionDays: number;
  readonly now?: () => number;
}

/**
 * Items are the normalised event plus `pk` (the user key, or `event#<id>` for rows about no
 * user), `sk` (the event id) and `ttl`. A parallel scan keeps a partition key in one segment,
 * so a segment holds whole journeys (DESIGN §2).
 */
export class DynamoEventStore implements EventStore {
  readonly #props: DynamoEventStoreProps;

  constructor(props: DynamoEventStoreProps) {
    this.#props = props;
  }

  async putEvents(events: readonly NormalisedEvent[]): Promise<void> {
    const now = this.#props.now?.() ?? Date.now();
    const retentionSeconds = this.#props.retentionDays * 86_400;
    // Within one call the same event may come twice (a replay of overlapping objects): keep one.
    const unique = new Map(events.map((event) => [event.eventId, event]));
    await batchWriteAll(
      this.#props.client,
      this.#props.table,
      [...unique.values()].map((event) => ({
        PutRequest: {
          Item: {
            ...event,
            pk: partitionKeyOf(event),
            sk: event.eventId,
            ttl: Math.floor(Math.max(event.ts, now) / 1000) + retentionSeconds,
          },
        },
      })),
    );
  }

  async *scanSegment(
    segment: number,
    totalSegments: number,
    range: ScanRange,
  ): AsyncIterable<NormalisedEvent> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#props.client.send(
        new ScanCommand({
          TableName: this.#props.table,
          Segment: segment,
          TotalSegments: totalSegments,
          FilterExpression: '#ts BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#ts': 'ts' },
          ExpressionAttributeValues: { ':from': range.fromTs, ':to': range.toTs },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, ttl: _ttl, ...rest } = item;
        yield normalisedEventSchema.parse(rest);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async linkIdentity(anonymousKey: string, userKey: string): Promise<void> {
    const { client, table } = this.#props;
    // The alias first, conditionally: of concurrent links, exactly one wins, and every caller
    // then moves the anonymous events to the winner. Moving is idempotent (put, then delete), so
    // a load that dies midway is retried and converges, and a repeated link cleans up after it.
    const target = await client
      .send(
        new PutCommand({
          TableName: table,
          Item: { ...aliasKey(anonymousKey), userKey },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .then(() => userKey)
      .catch(async (error: Error) => {
        if (error.name !== 'ConditionalCheckFailedException') throw error;
        const existing = await client.send(
          new GetCommand({ TableName: table, Key: aliasKey(anonymousKey), ConsistentRead: true }),
        );
        return aliasItemSchema.parse(existing.Item).userKey;
      });
    await this.#move(anonymousKey, target);
  }

  async moveLinked(anonymousKeys: readonly string[]): Promise<void> {
    for (const [anonymousKey, userKey] of await this.#aliases(anonymousKeys, true))
      await this.#move(anonymousKey, userKey);
  }

  async #move(fromKey: string, toKey: string): Promise<void> {
    const { client, table } = this.#props;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': fromKey },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      const items = page.Items ?? [];
      await batchWriteAll(
        client,
        table,
        items.map((item) => ({ PutRequest: { Item: { ...item, pk: toKey, userKey: toKey } } })),
      );
      await batchWriteAll(
        client,
        table,
        items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
      );
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  resolveAliases(anonymousKeys: readonly string[]): Promise<Map<string, string>> {
    return this.#aliases(anonymousKeys, true);
  }

  async #aliases(anonymousKeys: readonly string[], consistentRead: boolean): Promise<Map<string, string>> {
    const unique = [...new Set(anonymousKeys)];
    const items = await batchGetAll(
      this.#props.client,
      this.#props.table,
      unique.map(aliasKey),
      consistentRead,
    );
    return new Map(
      items.map((item) => [String(item.pk).slice('alias#'.length), aliasItemSchema.parse(item).userKey]),
    );
  }
}

const aliasItemSchema = z.object({ pk: z.string(), userKey: z.string().startsWith('u:') });

/** Alias items live beside the events; they have no `ts`, so compute's range filter never returns them. */
const aliasKey = (anonymousKey: string) => ({ pk: `alias#${anonymousKey}`, sk: 'alias' });

export function partitionKeyOf(event: NormalisedEvent): string {
  return event.userKey ?? `event#${event.eventId}`;
}

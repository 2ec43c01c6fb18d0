import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type NormalisedEvent, normalisedEventSchema } from '#domain/normalised-event.ts';
import { batchWriteAll } from './dynamo-batch.ts';

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
}

export function partitionKeyOf(event: NormalisedEvent): string {
  return event.userKey ?? `event#${event.eventId}`;
}

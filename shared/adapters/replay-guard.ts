import { createHash } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/** Values a signed request may carry only once within a while (a provider's one-time token). */
export interface ReplayGuard {
  /** True the first time `key` is claimed within `ttlMs` of `now`; false for a replay. */
  claim(key: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives a claim back (the request it guarded failed and will be retried). */
  release(key: string): Promise<void>;
}

export interface DynamoReplayGuardProps {
  readonly client: DynamoDBDocumentClient;
  /** The results table: `pk = replay#<SHA-256 of the key>`, expiring through its TTL attribute `expiresAt`. */
  readonly table: string;
}

/**
 * Claims as conditional puts: a key is taken while its item has not expired. DynamoDB's TTL
 * deletes expired items some time later, so the condition, not the deletion, decides.
 */
export class DynamoReplayGuard implements ReplayGuard {
  readonly #props: DynamoReplayGuardProps;

  constructor(props: DynamoReplayGuardProps) {
    this.#props = props;
  }

  async claim(key: string, ttlMs: number, now: number): Promise<boolean> {
    try {
      await this.#props.client.send(
        new PutCommand({
          TableName: this.#props.table,
          Item: { pk: pkOf(key), sk: 'replay', expiresAt: Math.ceil((now + ttlMs) / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': Math.floor(now / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async release(key: string): Promise<void> {
    await this.#props.client.send(
      new DeleteCommand({ TableName: this.#props.table, Key: { pk: pkOf(key), sk: 'replay' } }),
    );
  }
}

/** A key of any length fits DynamoDB's 2,048-byte partition key once hashed. */
function pkOf(key: string): string {
  return `replay#${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

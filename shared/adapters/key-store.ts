import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';

/**
 * `admin` manages keys; a key holds one or more scopes. `collect` is the public write key of
 * websites and SDKs: the collect routes only.
 */
export const KEY_SCOPES = ['ingest', 'query', 'admin', 'collect'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

const apiKeyRecordSchema = z.object({
  keyHash: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(KEY_SCOPES)).min(1),
  /** Collect keys only: the page origins that may use the key (none: any). */
  allowedOrigins: z.array(z.string()).optional(),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** API keys, stored only as SHA-256 hashes. */
export interface KeyStore {
  /** The record of a presented key, if it exists and is not revoked. */
  find(presentedKey: string): Promise<ApiKeyRecord | undefined>;
  /**
   * Stores a new key; false when a key with this hash is already stored, which is left as it is
   * (a revoked key stays revoked).
   */
  create(record: ApiKeyRecord): Promise<boolean>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(keyHash: string, at: string): Promise<void>;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface DynamoKeyStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  /** How long a looked-up key is trusted without asking the table again. */
  readonly cacheMs?: number;
  readonly now?: () => number;
}

export class DynamoKeyStore implements KeyStore {
  readonly #props: DynamoKeyStoreProps;
  /** Keys found valid. Apart from unknown ones, so a flood of made-up keys cannot evict them. */
  readonly #known: LRUCache<string, ApiKeyRecord>;
  /** Keys not found (or revoked): a sender retrying a bad key costs no read each time. */
  readonly #unknown: LRUCache<string, true>;

  constructor(props: DynamoKeyStoreProps) {
    this.#props = props;
    const ttl = props.cacheMs ?? 60_000;
    // lru-cache reads a ttl of 0 as "never expires": a revocation elsewhere would never be seen.
    if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError('cacheMs must be a positive integer');
    // ttlResolution 0: every lookup reads the clock (the injected one in tests), none is cached.
    const perf = { now: props.now ?? Date.now };
    this.#known = new LRUCache({ max: 1_000, ttl, perf, ttlResolution: 0 });
    this.#unknown = new LRUCache({ max: 10_000, ttl, perf, ttlResolution: 0 });
  }

  async find(presentedKey: string): Promise<ApiKeyRecord | undefined> {
    const keyHash = hashApiKey(presentedKey);
    const known = this.#known.get(keyHash);
    if (known) return known;
    if (this.#unknown.has(keyHash)) return undefined;
    const result = await this.#props.client.send(
      new GetCommand({ TableName: this.#props.table, Key: { keyHash } }),
    );
    const parsed = result.Item ? apiKeyRecordSchema.parse(result.Item) : undefined;
    const record = parsed && !parsed.revokedAt ? parsed : undefined;
    if (record) this.#known.set(keyHash, record);
    else this.#unknown.set(keyHash, true);
    return record;
  }

  #forget(keyHash: string): void {
    this.#known.delete(keyHash);
    this.#unknown.delete(keyHash);
  }

  async create(record: ApiKeyRecord): Promise<boolean> {
    try {
      await this.#props.client.send(
        new PutCommand({
          TableName: this.#props.table,
          Item: record,
          ConditionExpression: 'attribute_not_exists(keyHash)',
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
    this.#forget(record.keyHash);
    return true;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#props.client.send(
        new ScanCommand({ TableName: this.#props.table, ExclusiveStartKey: startKey }),
      );
      for (const item of page.Items ?? []) records.push(apiKeyRecordSchema.parse(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async revoke(keyHash: string, at: string): Promise<void> {
    await this.#props.client.send(
      new UpdateCommand({
        TableName: this.#props.table,
        Key: { keyHash },
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(keyHash)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    this.#forget(keyHash);
  }
}

/**
 * A key store that also accepts one bootstrap key (from Secrets Manager on AWS) for ingest and
 * query, so a fresh deployment can be used before any key is created. Compared by hash, in
 * constant time.
 */
export function withBootstrapKey(store: KeyStore, bootstrapKey: string): KeyStore {
  const expected = Buffer.from(hashApiKey(bootstrapKey), 'hex');
  const record: ApiKeyRecord = {
    keyHash: expected.toString('hex'),
    name: 'bootstrap',
    scopes: ['ingest', 'query', 'admin'],
    createdAt: '',
  };
  return {
    async find(presentedKey) {
      const presented = Buffer.from(hashApiKey(presentedKey), 'hex');
      return timingSafeEqual(presented, expected) ? record : store.find(presentedKey);
    },
    create: (r) => store.create(r),
    list: () => store.list(),
    revoke: (hash, at) => store.revoke(hash, at),
  };
}

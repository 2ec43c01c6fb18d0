import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withBootstrapKey } from '#adapters/key-store.ts';
import { INGEST_KEY, startTestStack, type TestStack } from '../../support/stack.ts';

let stack: TestStack;

describe('API keys', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('accepts the bootstrap key for ingest, query and key management, and still the stored keys; refuses others', async () => {
    const keys = withBootstrapKey(stack.pipeline.keyStore, 'bootstrap-key-0123456789');
    expect(await keys.find('bootstrap-key-0123456789')).toMatchObject({
      name: 'bootstrap',
      scopes: ['ingest', 'query', 'admin'],
    });
    expect(await keys.find(INGEST_KEY)).toMatchObject({ scopes: ['ingest'] });
    expect(await keys.find('bootstrap-key-012345678')).toBeUndefined();
  });

  it('stops accepting a revoked key once the cache lapses', async () => {
    const { DynamoKeyStore, hashApiKey } = await import('#adapters/key-store.ts');
    const { LOCAL_NAMES } = await import('#local/servers.ts');
    let now = 1_000_000;
    const store = new DynamoKeyStore({
      client: stack.servers.dynamo,
      table: LOCAL_NAMES.KEYS_TABLE,
      cacheMs: 1000,
      now: () => now,
    });
    await store.create({
      keyHash: hashApiKey('to-revoke-0123456789'),
      name: 'x',
      scopes: ['query'],
      createdAt: 'now',
    });
    expect(await store.find('to-revoke-0123456789')).toBeDefined();
    await stack.pipeline.keyStore.revoke(hashApiKey('to-revoke-0123456789'), 'later');
    expect(await store.find('to-revoke-0123456789')).toBeDefined();
    now = 1_002_000;
    expect(await store.find('to-revoke-0123456789')).toBeUndefined();
    // Storing it again (the local runtime registers its keys on every start) leaves it revoked.
    const again = {
      keyHash: hashApiKey('to-revoke-0123456789'),
      name: 'x',
      scopes: ['query' as const],
      createdAt: 'again',
    };
    expect(await store.create(again)).toBe(false);
    now = 1_004_000;
    expect(await store.find('to-revoke-0123456789')).toBeUndefined();
  });

  it('remembers unknown keys too, and a flood of made-up keys does not push out a valid one', async () => {
    const { DynamoKeyStore } = await import('#adapters/key-store.ts');
    const { LOCAL_NAMES } = await import('#local/servers.ts');
    const reads = vi.spyOn(stack.servers.dynamo, 'send');
    try {
      const store = new DynamoKeyStore({ client: stack.servers.dynamo, table: LOCAL_NAMES.KEYS_TABLE });
      expect(await store.find(INGEST_KEY)).toMatchObject({ scopes: ['ingest'] });
      expect(await store.find('made-up-key-0')).toBeUndefined();
      expect(await store.find('made-up-key-0')).toBeUndefined();
      expect(reads).toHaveBeenCalledTimes(2); // one read for each key, none for the repeat
      // 2,000 different made-up keys: one read each, more than the 1,000 valid keys kept.
      for (let i = 1; i <= 2000; i++) await store.find(`made-up-key-${i}`);
      expect(reads).toHaveBeenCalledTimes(2002);
      expect(await store.find(INGEST_KEY)).toMatchObject({ scopes: ['ingest'] });
      expect(reads).toHaveBeenCalledTimes(2002);
    } finally {
      reads.mockRestore();
    }
  });

  it('accepts a key created through the same store at once, even after it was looked up unknown', async () => {
    const { DynamoKeyStore, hashApiKey } = await import('#adapters/key-store.ts');
    const { LOCAL_NAMES } = await import('#local/servers.ts');
    const store = new DynamoKeyStore({ client: stack.servers.dynamo, table: LOCAL_NAMES.KEYS_TABLE });
    expect(await store.find('created-later-0123456789')).toBeUndefined();
    await store.create({
      keyHash: hashApiKey('created-later-0123456789'),
      name: 'later',
      scopes: ['query'],
      createdAt: 'now',
    });
    expect(await store.find('created-later-0123456789')).toMatchObject({ name: 'later' });
  });
});

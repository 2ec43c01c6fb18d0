import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    let now = 0;
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
    now = 2000;
    expect(await store.find('to-revoke-0123456789')).toBeUndefined();
    // Storing it again (the local runtime registers its keys on every start) leaves it revoked.
    const again = {
      keyHash: hashApiKey('to-revoke-0123456789'),
      name: 'x',
      scopes: ['query' as const],
      createdAt: 'again',
    };
    expect(await store.create(again)).toBe(false);
    now = 4000;
    expect(await store.find('to-revoke-0123456789')).toBeUndefined();
  });
});

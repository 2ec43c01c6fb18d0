import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { readLake } from '../support/lake.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

const WRITE_KEY = 'test-write-key-0123456789';
let runtime: LocalRuntime;
let dataDir: string;
let proxy: Server;
let proxyUrl: string;
/** Requests the proxy should still refuse with 503 before forwarding again. */
let refuseNext = 0;
let refused = 0;

/** Every event id in the lake. */
async function storedIds(): Promise<string[]> {
  const rows = await readLake<{ event_id: string }>(runtime.pipeline, 'events', 'event_id');
  return rows.map((row) => row.event_id);
}

describe('official Segment and RudderStack server SDKs, default options, host changed', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'attribution-sdk-'));
    runtime = await startLocalRuntime({ dataDir, configPath: TEST_CONFIG_PATH, port: 0 });
    // A loopback proxy in front of the runtime that can answer 503 to make the clients retry.
    proxy = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (refuseNext > 0) {
        refuseNext -= 1;
        refused += 1;
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"try again"}');
        return;
      }
      const upstream = await fetch(`${runtime.url}${request.url}`, {
        method: request.method ?? 'POST',
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(
            ([name]) => !['host', 'content-length', 'connection'].includes(name),
          ),
        ) as Record<string, string>,
        body: Buffer.concat(chunks),
      });
      response.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('@segment/analytics-node delivers every event exactly once, also after a 503', async () => {
    refuseNext = 1;
    refused = 0;
    const analytics = new SegmentAnalytics({ writeKey: WRITE_KEY, host: proxyUrl });
    const ids: string[] = [];
    const track = (payload: Parameters<SegmentAnalytics['track']>[0]) =>
      analytics.track(payload, (error, ctx) => {
        if (!error && ctx) ids.push(ctx.event.messageId ?? '');
      });
    analytics.page({
      anonymousId: 'seg-anon',
      properties: { url: 'https://acme.example/', referrer: 'https://www.bing.com/' },
    });
    analytics.identify({ anonymousId: 'seg-anon', userId: 'seg-user', traits: { plan: 'pro' } });
    for (let i = 0; i < 5; i++)
      track({ userId: 'seg-user', event: 'purchase', properties: { revenue: 10 + i } });
    track({ userId: 'seg-user', event: 'Not A Conversion' });
    await analytics.closeAndFlush();
    await runtime.idle();
    expect(refused).toBe(1);
    const stored = await storedIds();
    // 5 purchases + 1 page + 1 identify are events; the other track is archived, not counted.
    const purchases = ids.slice(0, 5);
    for (const id of purchases) expect(stored.filter((s) => s === id)).toHaveLength(1);
    expect(stored.filter((s) => !s.startsWith('rudder')).length).toBe(7);
  });

  it('@rudderstack/rudder-sdk-node delivers every event exactly once, also after a 503', async () => {
    refuseNext = 1;
    refused = 0;
    const client = new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: proxyUrl, logLevel: 'error' });
    const before = new Set(await storedIds());
    for (let i = 0; i < 4; i++) {
      client.track({
        userId: 'rudder-user',
        event: 'signup',
        messageId: `rudder-${i}`,
        properties: { i },
      } as never);
    }
    client.page({
      anonymousId: 'rudder-anon',
      messageId: 'rudder-page',
      properties: { url: 'https://acme.example/r' },
    } as never);
    await client.flush();
    await runtime.idle();
    expect(refused).toBe(1);
    const added = (await storedIds()).filter((id) => !before.has(id));
    expect(added.sort()).toEqual(['rudder-0', 'rudder-1', 'rudder-2', 'rudder-3', 'rudder-page']);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays } from '#domain/dates.ts';
import { seededRandom } from '#local/demo-data.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

/**
 * kill -9 at random moments: the local runtime (`local/main.ts`, as `npm start` runs it) is
 * killed 20 times while 60,000 events are sent in batches of 500 and started again on the same
 * data folder; a batch without a 202 is sent again (at least once, as any sender does). In the
 * end every event is counted exactly once: 60,000 paid-search page views (half of them on a day
 * ten days back, a backfill) are 60,000 touches.
 */
const EVENTS = 60_000;
const BATCH = 500;
const KILLS = 20;
const KEY = 'crash-test-key-0123456789';
const SEED = 20261202;

const dataDir = mkdtempSync(join(tmpdir(), 'attribution-crash-'));
let child: ChildProcess | undefined;
let port = 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port: found } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return found;
}

/** Starts the runtime and resolves once it answers /v1/health. */
async function start(): Promise<void> {
  child = spawn(process.execPath, ['--openssl-legacy-provider', 'local/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      ATTRIBUTION_CONFIG: TEST_CONFIG_PATH,
      LOCAL_API_KEY: KEY,
      COMPUTE_INTERVAL_SECONDS: '0',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  for (let tries = 0; tries < 600; tries++) {
    const healthy = await fetch(`http://127.0.0.1:${port}/v1/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the runtime did not come back within 30 s');
}

async function kill(): Promise<void> {
  const dying = child;
  child = undefined;
  if (!dying || dying.exitCode !== null || dying.signalCode !== null) return;
  const exited = new Promise((resolve) => dying.once('exit', resolve));
  dying.kill('SIGKILL');
  await exited;
}

const today = new Date().toISOString().slice(0, 10);
/** A backfilled day: its objects are not near today, where a start-up scan would look. */
const backfilled = addDays(today, -10);
const batchOf = (b: number) =>
  Array.from({ length: BATCH }, (_, i) => {
    const n = b * BATCH + i;
    return {
      eventId: `crash-${n}`,
      type: 'page_view',
      // Half on today, half on a day ten days back, in the first hour of each.
      occurredAt: new Date(
        Date.parse(`${n % 2 ? backfilled : today}T00:00:00Z`) + (n % 3600) * 1000,
      ).toISOString(),
      userId: `user-${n % 5000}`,
      url: `https://acme.example/?utm_source=google&utm_medium=cpc&utm_campaign=c${n % 7}`,
    };
  });

async function post(body: unknown): Promise<number> {
  return fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  })
    .then((r) => r.status)
    .catch(() => 0);
}

async function touches(): Promise<number> {
  const response = await fetch(
    `http://127.0.0.1:${port}/v1/metrics/channel-share?basis=touches&from=${backfilled}&to=${today}`,
    { headers: { authorization: `Bearer ${KEY}` } },
  ).catch(() => undefined);
  if (!response?.ok) return -1;
  return ((await response.json()) as { total: number }).total;
}

describe('the local runtime killed at random moments', () => {
  afterAll(async () => {
    await kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts every accepted event exactly once after 20 kill -9 and restarts during a 60k-event send', async () => {
    port = await freePort();
    await start();
    const random = seededRandom(SEED);
    const batches = EVENTS / BATCH;
    // Each kill lands a random 0–40 ms after a random batch was sent: before, during or after its 202.
    const killAfter = new Map<number, number>();
    while (killAfter.size < KILLS) killAfter.set(Math.floor(random() * batches), Math.floor(random() * 40));
    let resent = 0;
    for (let b = 0; b < batches; b++) {
      const events = batchOf(b);
      const delay = killAfter.get(b);
      let status = await (delay === undefined
        ? post({ events })
        : Promise.all([
            post({ events }),
            new Promise((resolve) => setTimeout(resolve, delay)).then(async () => {
              await kill();
              await start();
            }),
          ]).then(([s]) => s));
      while (status !== 202) {
        if (status >= 400 && status < 500) throw new Error(`batch ${b} refused with ${status}`);
        resent++;
        status = await post({ events });
      }
    }
    // Counted once the load queue and the compute after it have caught up: on a loaded machine
    // that takes a while, so the wait ends only after 60 s without any progress.
    let total = -1;
    for (let still = 0; still < 60_000 && total !== EVENTS; still += 500) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const counted = await touches();
      if (counted !== total) still = 0;
      total = counted;
    }
    expect({ total, kills: killAfter.size }).toEqual({ total: EVENTS, kills: KILLS });
    // The data folder is its owner's alone, and so is every file the runtime wrote.
    await kill();
    expect(statSync(dataDir).mode & 0o077).toBe(0);
    const open = readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((file) => (statSync(file).mode & 0o077) !== 0);
    expect(open).toEqual([]);
    console.log(`crash test: ${resent} batches sent again`);
  }, 480_000);
});

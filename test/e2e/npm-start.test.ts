import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** Runs `local/main.ts` as `npm start` does, and collects its output until `until` appears. */
function start(args: string[], until: RegExp, timeoutMs: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'attribution-start-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, ['local/main.ts', ...args], {
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      COMPUTE_INTERVAL_SECONDS: '0',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const started = Date.now();
  let output = '';
  return new Promise<{ output: string; elapsedMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; output so far:\n${output}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) {
        clearTimeout(timer);
        resolve({ output, elapsedMs: Date.now() - started });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

describe('npm start', () => {
  afterAll(() => {
    for (const child of children) child.kill('SIGTERM');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('serves /v1/health within 15 s and prints its keys', async () => {
    const { output, elapsedMs } = await start([], /try: curl (\S+)\/v1\/health/, 15_000);
    const url = /try: curl (\S+)\/v1\/health/.exec(output)?.[1] ?? '';
    const health = await fetch(`${url}/v1/health`);
    expect(health.status).toBe(200);
    expect(elapsedMs).toBeLessThan(15_000);
    expect(output).toMatch(/ingest key: {2}ik_\S{20,}/);
    expect(output).toMatch(/query key: {3}qk_\S{20,}/);
  });

  it('with --demo, ends with a report an analyst can read', async () => {
    // The demo takes seconds alone; beside the rest of the suite on two cores, it may take a minute.
    const { output } = await start(['--demo'], /demo finished/, 110_000);
    for (const title of [
      'traffic by channel: ',
      'ads by platform: ',
      'share of voice in ads: ',
      'share of voice in search: ',
      'referral traffic: ',
      'e-mail by campaign (distinct recipients): ',
      'cost per funnel stage: ',
      'conversions credited to each channel, by model: ',
    ]) {
      expect(output).toContain(title);
    }
    // Display's 3,000 to 3,800 impressions a day made it 43% of "touches"; of visits its clicks are
    // 6 of the 102 touch weights of demo-data.ts, about 6%.
    const displayShare = /│ display\s+│\s+[\d,]+ │\s+(\d+\.\d)% │/.exec(output)?.[1];
    expect(Number(displayShare)).toBeGreaterThan(0);
    expect(Number(displayShare)).toBeLessThan(10);
    // The demo month has the brand and both competitors of the example config in it.
    expect(output).toMatch(/Acme \(yours\)\s*│\s*[\d,]+\s*│\s*\d+\.\d%/);
    expect(output).toMatch(/Rival\s*│\s*[\d,]+/);
    expect(output).toMatch(/decision\s*│\s*\d+/);
    // Each opened e-mail was delivered to its reader first, so fewer than all delivered are opened.
    const openRate = /[\d,]+ opened \((\d+\.\d)%\)/.exec(output)?.[1];
    expect(Number(openRate)).toBeGreaterThan(0);
    expect(Number(openRate)).toBeLessThan(100);
  }, 120_000);
});

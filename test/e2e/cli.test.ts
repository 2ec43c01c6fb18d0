import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { RANGE, SCENARIO_EVENTS, SCENARIO_SPEND } from '../fixtures/scenario.ts';
import { TEST_CONFIG_PATH } from '../support/stack.ts';

const run = promisify(execFile);
const KEY = 'e2e-cli-key-0123456789';
let runtime: LocalRuntime;
let dir: string;

/** Runs `attribution …` as a user would (the package's bin), against a runtime. */
async function cliAt(target: LocalRuntime, ...args: string[]) {
  return run(process.execPath, ['cli/main.ts', ...args, '--url', target.url, '--key', KEY], {
    encoding: 'utf8',
  });
}

/** Runs `attribution …` against the runtime the tests share. */
const cli = (...args: string[]) => cliAt(runtime, ...args);

describe('the attribution CLI against the local runtime', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attribution-cli-'));
    runtime = await startLocalRuntime({
      dataDir: join(dir, 'data'),
      configPath: TEST_CONFIG_PATH,
      port: 0,
      apiKey: KEY,
    });
  });
  afterAll(async () => {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends an NDJSON file, reporting accepted and rejected lines with their reasons', async () => {
    const file = join(dir, 'events.ndjson');
    const bad = {
      eventId: 'bad-1',
      type: 'page_view',
      occurredAt: '2026-02-30T10:00:00Z',
      userId: 'x',
      url: 'https://acme.example/',
    };
    writeFileSync(file, `${[...SCENARIO_EVENTS, bad].map((e) => JSON.stringify(e)).join('\n')}\n`);
    const result = await cli('send', file).catch((error: { stdout: string; code: number }) => error);
    // One rejected line makes the exit code 1, so scripts notice.
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stdout).toContain(
      `sent ${SCENARIO_EVENTS.length + 1} events: ${SCENARIO_EVENTS.length} accepted, 0 duplicates, 1 rejected`,
    );
    expect(result.stdout).toContain(`line ${SCENARIO_EVENTS.length + 1}: occurredAt:`);
  });

  it('names each NDJSON line that is not an event, sends the others and counts the skipped lines', async () => {
    const file = join(dir, 'mixed.ndjson');
    const event = (eventId: string, occurredAt = '2026-03-01T10:00:00Z') =>
      JSON.stringify({ eventId, type: 'page_view', occurredAt, userId: 'x', url: 'https://acme.example/' });
    // Lines: 1 event, 2 cut-off JSON, 3 blank, 4 a bare number, 5 an event with a bad date, 6 event.
    writeFileSync(
      file,
      [
        event('mixed-1'),
        '{"eventId": "mixed-2", "type"',
        '',
        '42',
        event('mixed-3', '2026-02-30T10:00:00Z'),
        event('mixed-4'),
      ].join('\n'),
    );
    const result = await cli('send', file).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stderr).toContain(`skipping 2 lines of ${file}:`);
    expect(result.stderr).toMatch(/ {2}line 2: not JSON \(/);
    expect(result.stderr).toContain('  line 4: not a JSON object');
    // Three events sent; the one rejected is named by its line in the file (5), not its index (2).
    expect(result.stdout).toContain(
      'sent 3 events: 2 accepted, 0 duplicates, 1 rejected; 2 lines skipped (not events)',
    );
    expect(result.stdout).toContain('  line 5: occurredAt:');
  });

  it('reads the first line of an NDJSON file that starts with a byte order mark', async () => {
    const file = join(dir, 'bom.ndjson');
    const event = {
      eventId: 'bom-1',
      type: 'page_view',
      occurredAt: '2026-03-01T10:00:00Z',
      userId: 'x',
      url: 'https://acme.example/',
    };
    writeFileSync(file, `\uFEFF${JSON.stringify(event)}\n`);
    const result = await cli('send', file);
    expect(result.stdout).toContain('sent 1 events: 1 accepted');
  });

  it('refuses a CSV of events with a misspelt column, naming the nearest known one, and sends nothing', async () => {
    // Dropped without a word, these two columns would have left a referral visit direct.
    const file = join(dir, 'typos.csv');
    writeFileSync(
      file,
      'eventId,type,occurredAt,userId,url,referer,utm_souce\ncsv-typo-1,page_view,2026-03-01T10:00:00Z,x,https://acme.example/,https://news.example.org/,news\n',
    );
    const result = await cli('send', file).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'error: unknown CSV columns "referer" (did you mean referrer?), "utm_souce" (did you mean utm_source?)',
    );
    expect(result.stdout).not.toContain('sent');
  });

  it('sends the scenario, upserts spend from CSV, computes, and reports the hand-worked numbers', async () => {
    // A runtime of its own: the report counts everything stored, so it holds exactly the scenario
    // whatever the other tests sent (or did not send yet) to the shared one.
    const own = await startLocalRuntime({
      dataDir: join(dir, 'report-data'),
      configPath: TEST_CONFIG_PATH,
      port: 0,
      apiKey: KEY,
    });
    try {
      const events = join(dir, 'scenario.ndjson');
      writeFileSync(events, `${SCENARIO_EVENTS.map((e) => JSON.stringify(e)).join('\n')}\n`);
      expect((await cliAt(own, 'send', events)).stdout).toContain(
        `sent ${SCENARIO_EVENTS.length} events: ${SCENARIO_EVENTS.length} accepted, 0 duplicates, 0 rejected`,
      );
      const csv = join(dir, 'spend.csv');
      writeFileSync(
        csv,
        [
          'date,platform,network,campaign,amount,currency',
          ...SCENARIO_SPEND.map((r) =>
            [r.date, r.platform, 'network' in r ? r.network : '', r.campaign, r.amount, r.currency].join(','),
          ),
        ].join('\n'),
      );
      expect((await cliAt(own, 'spend', csv)).stdout).toContain('upserted 2 spend rows');
      await own.idle();
      expect((await cliAt(own, 'compute', '--from', RANGE.from, '--to', RANGE.to)).stdout).toMatch(
        /compute job \S+ succeeded: .*"days":7/,
      );
      const { stdout } = await cliAt(own, 'report', '--from', RANGE.from, '--to', RANGE.to);
      // Touches are the consideration touches e1 (paid_search), e2 (organic_search), e4 (referral) and
      // e7 (email): 4, a quarter each, by u1 u1 u2 u3 = 3 people; impressions and searches apart:
      // paid_search 1000 + 500 = 1,500, organic_search 200 + 50 = 250 (see test/fixtures/scenario.ts).
      expect(stdout).toContain(
        'traffic by channel: 4 touches by 3 people, 4 conversions, 1,750 impressions+searches',
      );
      // Visits and visitors are those of the visitors metric (sessions of page views), not touches.
      const visitors = (await (
        await fetch(`${own.url}/v1/metrics/visitors?from=${RANGE.from}&to=${RANGE.to}`, {
          headers: { authorization: `Bearer ${KEY}` },
        })
      ).json()) as { visits: number; visitors: number };
      expect(visitors.visits).toBeGreaterThan(0);
      expect(stdout).toContain(
        `visits (sessions of page views): ${visitors.visits} visits by ${visitors.visitors} visitors`,
      );
      expect(stdout).toMatch(/paid_search\s*│\s*1\s*│\s*25\.0%\s*│\s*1\s*│\s*0\s*│\s*0\.0%\s*│\s*1,500 │/);
      expect(stdout).toMatch(/organic_search\s*│\s*1\s*│\s*25\.0%\s*│\s*1\s*│\s*1\s*│\s*25\.0%\s*│\s*250 │/);
      // e10 has no touch: direct has a conversion (1 of 4) and no visit.
      expect(stdout).toMatch(/direct\s*│\s*0\s*│\s*0\.0%\s*│\s*0\s*│\s*1\s*│\s*25\.0%\s*│\s*0 │/);
      // google_ads: 1,500 impressions, 1 click → CTR 0.07%; its $300 spend row → CPC 300.00, CPM
      // 1000 × 300 / 1500 = 200.00; no conversion's last touch is an ad, so no CPA.
      expect(stdout).toMatch(
        /google_ads\s*│\s*1,500\s*│\s*1\s*│\s*0\.07%\s*│\s*300\.00\s*│\s*300\.00\s*│\s*200\.00\s*│\s*0\s*│\s*- │/,
      );
      // Ads: Acme 1000 of 1500 impressions; search: Acme 200 + 50 of 300 searches (Rival 50).
      expect(stdout).toContain('share of voice in ads: 1,500 impressions naming a brand');
      expect(stdout).toMatch(/Acme \(yours\)\s*│\s*1,000\s*│\s*66\.7%/);
      expect(stdout).toContain('share of voice in search: 300 searches naming a brand');
      expect(stdout).toMatch(/Acme \(yours\)\s*│\s*250\s*│\s*83\.3%/);
      // CPA: spend 400; consideration 4 events, 3 users → 100.00 and 133.33.
      expect(stdout).toContain('cost per funnel stage: 400.00 USD spend over the range');
      expect(stdout).toMatch(/consideration\s*│\s*4\s*│\s*3\s*│\s*100\.00\s*│\s*133\.33/);
      // Markov gives each of the four touched channels 0.75 of the three path conversions.
      expect(stdout).toMatch(
        /referral\s*│\s*1\.00\s*│\s*1\.00\s*│\s*1\.00\s*│\s*1\.00\s*│\s*1\.00\s*│\s*0\.75\s*│\s*1\.00/,
      );
    } finally {
      await own.close();
    }
  });

  it('creates, lists and revokes API keys with an admin key; a revoked key stops working', async () => {
    const created = (await cli('keys', 'create', '--name', 'analyst', '--scopes', 'query')).stdout;
    const key = /created key (\S+)/.exec(created)?.[1] ?? '';
    const hash = /hash ([0-9a-f]{64})/.exec(created)?.[1] ?? '';
    expect(key).toMatch(/^key_/);
    expect((await cli('keys', 'list')).stdout).toMatch(new RegExp(`${hash}\\s*│\\s*analyst\\s*│\\s*query`));
    const withNewKey = () =>
      run(process.execPath, ['cli/main.ts', 'report', '--url', runtime.url, '--key', key], {
        encoding: 'utf8',
      }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
    expect(await withNewKey()).toBe(0);
    // A query key may not manage keys.
    const forbidden = await run(
      process.execPath,
      ['cli/main.ts', 'keys', 'list', '--url', runtime.url, '--key', key],
      { encoding: 'utf8' },
    ).catch((error: { stderr: string }) => error);
    expect(forbidden.stderr).toContain(
      'error: HTTP 403 from GET /v1/keys: forbidden: this API key may not be used for admin',
    );
    expect((await cli('keys', 'revoke', hash)).stdout).toContain(`revoked ${hash}`);
    expect(await withNewKey()).toBe(1);
  });

  it('refuses to run without a key and explains usage', async () => {
    // A data folder the runtime never started in, so there is no local key to fall back on.
    const result = await run(process.execPath, ['cli/main.ts', 'report'], {
      encoding: 'utf8',
      env: { ...process.env, ATTRIBUTION_KEY: '', LOCAL_API_KEY: '', DATA_DIR: join(dir, 'never-started') },
    }).catch((error: { stderr: string; code: number }) => error);
    expect((result as { code?: number }).code).toBe(2);
    expect(result.stderr).toContain(
      `an API key is needed: --key or ATTRIBUTION_KEY, or the local runtime's own in ${join(dir, 'never-started', 'local.json')}`,
    );
  });

  it("without a key, uses the local runtime's own from its data folder, the one each command's scope needs", async () => {
    // Started without apiKey, the runtime creates ingest, query and admin keys in local.json.
    const dataDir = join(dir, 'own-keys');
    const own = await startLocalRuntime({ dataDir, configPath: TEST_CONFIG_PATH, port: 0 });
    try {
      const env = { ...process.env, ATTRIBUTION_KEY: '', LOCAL_API_KEY: '' };
      const keyless = (...args: string[]) =>
        run(process.execPath, ['cli/main.ts', ...args, '--url', own.url, '--data-dir', dataDir], {
          encoding: 'utf8',
          env,
        });
      // keys needs admin, send ingest, report query: each key holds only its scope.
      expect((await keyless('keys', 'list')).stdout).toMatch(/local-admin/);
      const file = join(dir, 'one-event.ndjson');
      writeFileSync(file, `${JSON.stringify(SCENARIO_EVENTS[0])}\n`);
      expect((await keyless('send', file)).stdout).toContain('sent 1 events: 1 accepted');
      await expect(keyless('report')).resolves.toBeDefined();
      // DATA_DIR names the folder as it does for the runtime.
      const viaEnv = await run(process.execPath, ['cli/main.ts', 'keys', 'list', '--url', own.url], {
        encoding: 'utf8',
        env: { ...env, DATA_DIR: dataDir },
      });
      expect(viaEnv.stdout).toMatch(/local-query/);
    } finally {
      await own.close();
    }
  });

  it('never sends the local keys to an address other than a loopback one', async () => {
    // The shared runtime's data folder holds keys, yet none is used for TEST-NET-1's 192.0.2.1.
    const result = await run(
      process.execPath,
      ['cli/main.ts', 'report', '--url', 'http://192.0.2.1:3000', '--data-dir', join(dir, 'data')],
      { encoding: 'utf8', env: { ...process.env, ATTRIBUTION_KEY: '' } },
    ).catch((error: { stderr: string; code: number }) => error);
    expect((result as { code?: number }).code).toBe(2);
    expect(result.stderr.trim()).toBe('an API key is needed: --key or ATTRIBUTION_KEY');
  });

  it('prints usage and exits 0 on --help, even without a key or a command', async () => {
    const result = await run(process.execPath, ['cli/main.ts', '--help'], {
      encoding: 'utf8',
      env: { ...process.env, ATTRIBUTION_KEY: '' },
    });
    expect(result.stdout).toContain('usage: attribution <command>');
  });

  it('takes a --stall-seconds that is not a positive number as a usage error (exit 2)', async () => {
    // `5m` would be NaN seconds, and a job compared with NaN never stalls: the CLI would wait for ever.
    for (const value of ['5m', '0', '=-3']) {
      // `=-3` is glued on, as a value that starts with a dash is otherwise read as an option.
      const args = value.startsWith('=') ? [`--stall-seconds${value}`] : ['--stall-seconds', value];
      const result = await run(process.execPath, ['cli/main.ts', 'compute', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ATTRIBUTION_KEY: 'k' },
      }).catch((error: { stderr: string; code: number }) => error);
      expect((result as { code?: number }).code).toBe(2);
      expect(result.stderr).toContain('--stall-seconds must be a positive number of seconds');
    }
  });

  it('takes an unknown option as a usage error (exit 2), not a crash', async () => {
    const result = await run(process.execPath, ['cli/main.ts', 'report', '--form', '2026-03-01'], {
      encoding: 'utf8',
    }).catch((error: { stderr: string; code: number }) => error);
    expect((result as { code?: number }).code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--form'");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the URL that failed when nothing listens there, in one line and without a stack trace', async () => {
    // A port that was just free: nothing listens on it now.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const result = await run(
      process.execPath,
      ['cli/main.ts', 'report', '--url', `http://127.0.0.1:${port}`, '--key', KEY],
      { encoding: 'utf8' },
    ).catch((error: { stderr: string; code: number }) => error);
    expect((result as { code?: number }).code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(
      `error: cannot reach http://127.0.0.1:${port}/v1/metrics/channel-share (connection refused`,
    );
  });

  it("prints the API's error body as its message and every field issue, not as JSON", async () => {
    // Two bad dates: the message quotes the first issue, the second follows on its own line.
    const result = await cli('compute', '--from', '2026-02-30', '--to', '2026-13-01').catch(
      (error: { stderr: string; code: number }) => error,
    );
    expect((result as { code?: number }).code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: HTTP 400 from POST \/v1\/jobs\/compute: validation_error: .*from: /);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}to: /)]);
    expect(result.stderr).not.toContain('{');
  });
});

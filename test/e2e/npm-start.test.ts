import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateDemoMonth } from '#local/demo-data.ts';

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
      'visits (sessions of page views): ',
      'traffic by channel: ',
      'ads by platform: ',
      'share of voice in ads: ',
      'share of voice in search: ',
      'referral traffic: ',
      'e-mail by campaign (distinct recipients): ',
      'cost per funnel stage: ',
      'conversions credited to each channel, by model: ',
      'carts: ',
      'NPS: ',
      'self-reported ("how did you hear about us"): ',
    ]) {
      expect(output).toContain(title);
    }
    // Display's 3,000 to 3,800 impressions a day made it 43% of all touches; of the consideration
    // touches its clicks are 6 of the 102 touch weights of demo-data.ts, about 6%.
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

    // The report's journey figures are the API's, for the demo's range, and none is empty.
    const url = /try: curl (\S+)\/v1\/health/.exec(output)?.[1] ?? '';
    const key = /query key: {3}(\S+)/.exec(output)?.[1] ?? '';
    const [, from = '', to = ''] = /^report (\S+) \.\. (\S+)$/m.exec(output) ?? [];
    const api = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${url}${path}${path.includes('?') ? '&' : '?'}from=${from}&to=${to}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    };
    const [visitors, email, nps, cart, models] = await Promise.all([
      api<{ visitors: number; visits: number; pagesPerVisit: number; bounceRate: number }>(
        '/v1/metrics/visitors',
      ),
      api<{
        rows: Array<{ key: string; sent: number; delivered: number; bounced: number; openRate: number }>;
      }>('/v1/metrics/email?groupBy=campaign'),
      api<{ responses: number; score: number }>('/v1/metrics/nps'),
      api<{ carts: number; purchases: number; abandonmentRate: number }>('/v1/metrics/cart'),
      api<{ value: number; selfReported: { responses: number; answers: Array<{ channel: string | null }> } }>(
        '/v1/attribution/compare',
      ),
    ]);
    const visits = /^visits \(sessions of page views\): ([\d,]+) visits by ([\d,]+) visitors/m.exec(output);
    const number = (text: string | undefined) => Number(text?.replaceAll(',', ''));
    expect(number(visits?.[1])).toBe(visitors.visits);
    expect(number(visits?.[2])).toBe(visitors.visitors);
    // Visitors browse a few pages per visit, so about half the visits bounce.
    expect(visitors.visits).toBeGreaterThan(100);
    expect(visitors.pagesPerVisit).toBeGreaterThan(1.3);
    expect(visitors.bounceRate).toBeGreaterThan(0.3);
    expect(visitors.bounceRate).toBeLessThan(0.7);
    expect(output).toContain(`bounce rate ${(visitors.bounceRate * 100).toFixed(1)}%`);
    // Every campaign was sent to its recipients, most delivered, opened by fewer than delivered.
    expect(email.rows.length).toBe(2);
    for (const row of email.rows) {
      expect(row.sent).toBeGreaterThan(0);
      expect(row.delivered).toBeGreaterThan(row.sent * 0.9);
      expect(row.delivered).toBeLessThanOrEqual(row.sent);
      expect(row.openRate).toBeGreaterThan(0);
      expect(row.openRate).toBeLessThanOrEqual(1);
    }
    expect(email.rows.reduce((n, r) => n + r.bounced, 0)).toBeGreaterThan(0);
    expect(nps.responses).toBeGreaterThan(0);
    expect(output).toContain(`NPS: ${nps.score.toFixed(1)} from ${nps.responses} responses`);
    expect(cart.carts).toBeGreaterThan(0);
    expect(cart.purchases).toBeGreaterThan(0);
    expect(cart.abandonmentRate).toBeGreaterThan(0);
    expect(cart.abandonmentRate).toBeLessThan(1);
    expect(output).toContain(`cart abandonment ${(cart.abandonmentRate * 100).toFixed(1)}%`);
    // Every "how did you hear about us" answer stands for a channel (the config's surveyAnswers).
    expect(models.selfReported.responses).toBeGreaterThan(0);
    expect(models.selfReported.answers.every((a) => a.channel !== null)).toBe(true);
    expect(output).toMatch(/self-reported \("how did you hear about us"\): [\d,]+ responses: \S/);
    // The demo's refunds are netted: the value is that of its conversions less what was refunded.
    const month = generateDemoMonth(to);
    expect(month.from).toBe(from);
    const amount = (e: Record<string, unknown>) => (e.value as { amount: number } | undefined)?.amount;
    const conversions = month.events.filter((e) => e.type === 'conversion');
    const refunds = conversions.filter((e) => e.refundOf !== undefined);
    const gross = conversions
      .filter((e) => e.refundOf === undefined)
      .reduce((n, e) => n + (amount(e) ?? 0), 0);
    const refunded = refunds.reduce(
      (n, r) => n + (amount(r) ?? amount(conversions.find((e) => e.eventId === r.refundOf) ?? {}) ?? 0),
      0,
    );
    expect(refunds.length).toBeGreaterThan(0);
    expect(refunded).toBeGreaterThan(0);
    expect(models.value).toBeCloseTo(gross - refunded, 2);
  }, 120_000);
});

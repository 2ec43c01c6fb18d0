import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadQueue } from '#local/load-queue.ts';

const dir = mkdtempSync(join(tmpdir(), 'attribution-queue-'));
let n = 0;
const journal = () => join(dir, `queue-${++n}.jsonl`);
const bodiesOf = (event: SQSEvent) => event.Records.map((r) => JSON.parse(r.body) as { n: number });

describe('the local load queue with a journal', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers again, after a crash, every message that was sent but not handled', async () => {
    const path = journal();
    // The first process never finishes a delivery: it dies mid-batch.
    const first = new LoadQueue({
      journalPath: path,
      handler: () => new Promise<SQSBatchResponse>(() => {}),
    });
    for (const i of [1, 2, 3]) first.send({ n: i });
    const delivered: number[] = [];
    const second = new LoadQueue({
      journalPath: path,
      handler: async (event) => {
        delivered.push(...bodiesOf(event).map((b) => b.n));
        return { batchItemFailures: [] };
      },
    });
    await second.idle();
    expect(delivered.sort()).toEqual([1, 2, 3]);
    // Handled now: a third process has nothing to do.
    const third: number[] = [];
    const after = new LoadQueue({
      journalPath: path,
      handler: async (event) => {
        third.push(...bodiesOf(event).map((b) => b.n));
        return { batchItemFailures: [] };
      },
    });
    await after.idle();
    expect(third).toEqual([]);
  });

  it('keeps dead letters across a restart and ignores a line the crash cut short', async () => {
    const path = journal();
    const failing = new LoadQueue({
      journalPath: path,
      maxAttempts: 2,
      retryDelayMs: 1,
      handler: async (event) => ({
        batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })),
      }),
    });
    failing.send({ n: 7 });
    await failing.idle();
    expect(failing.deadLetters).toHaveLength(1);
    appendFileSync(path, '{"sent":"cut-sho');
    const restarted = new LoadQueue({ journalPath: path, handler: async () => ({ batchItemFailures: [] }) });
    await restarted.idle();
    expect(restarted.deadLetters).toEqual([
      { messageId: failing.deadLetters[0]?.messageId, body: JSON.stringify({ n: 7 }), attempts: 2 },
    ]);
    // Rewritten on start with what is still open (nothing) and the dead letter only.
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

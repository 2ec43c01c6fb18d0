/**
 * Worker thread of bench/freshness.ts: the senders. Regenerates the dataset (deterministic),
 * sends each day's events in time order as `POST /v1/events` batches of 500 from `senders`
 * concurrent loops, and reports when the last 202 came back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chunks, type DatasetProps, SyntheticDataset } from './synthetic.ts';

export interface SenderInput {
  readonly url: string;
  readonly key: string;
  readonly dataset: DatasetProps;
  readonly senders: number;
  readonly batch: number;
}

export interface SenderReport {
  readonly firstSentAt: number;
  readonly lastAckAt: number;
  readonly batches: number;
  readonly sent: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly retries: number;
  /** Failed attempts by cause (each retried). */
  readonly errors: Record<string, number>;
  /** Slowest answer, ms. */
  readonly slowestMs: number;
}

const input = workerData as SenderInput;
const dataset = new SyntheticDataset(input.dataset);

function* bodies(): Generator<{ body: string; events: number }> {
  for (let d = 0; d < dataset.dates.length; d++) {
    const events = dataset.eventsOfDay(d).sort((a, b) => (a.event.occurredAt < b.event.occurredAt ? -1 : 1));
    for (const batch of chunks(events, input.batch))
      yield { body: JSON.stringify({ events: batch.map((stored) => stored.event) }), events: batch.length };
  }
}

const report = {
  firstSentAt: 0,
  lastAckAt: 0,
  batches: 0,
  sent: 0,
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  retries: 0,
  errors: {} as Record<string, number>,
  slowestMs: 0,
};
const source = bodies();
async function sender(): Promise<void> {
  for (let next = source.next(); !next.done; next = source.next()) {
    const { body, events } = next.value;
    report.firstSentAt ||= Date.now();
    for (;;) {
      const started = Date.now();
      let response: Response;
      try {
        response = await fetch(`${input.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${input.key}` },
          body,
        });
      } catch (error) {
        // A sender retries what did not get through (the runtime was busy: see the report).
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (error as Error).message;
        report.errors[reason] = (report.errors[reason] ?? 0) + 1;
        report.retries++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const answer = (await response.json()) as {
        accepted?: number;
        duplicates?: number;
        rejected?: unknown[];
      };
      report.slowestMs = Math.max(report.slowestMs, Date.now() - started);
      if (response.status === 202) {
        report.lastAckAt = Date.now();
        report.batches++;
        report.sent += events;
        report.accepted += answer.accepted ?? 0;
        report.duplicates += answer.duplicates ?? 0;
        report.rejected += answer.rejected?.length ?? 0;
        break;
      }
      report.retries++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (report.batches % 400 === 0) parentPort?.postMessage({ progress: report.sent });
  }
}
await Promise.all(Array.from({ length: input.senders }, sender));
parentPort?.postMessage({ done: report satisfies SenderReport });

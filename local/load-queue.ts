import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { lambdaContext } from './lambda-context.ts';

export interface DeadLetter {
  readonly messageId: string;
  readonly body: string;
  readonly attempts: number;
}

export interface LoadQueueProps {
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  /** Deliveries before a message goes to the dead-letter list (SQS `maxReceiveCount`). */
  readonly maxAttempts?: number;
  readonly batchSize?: number;
  /** Delay before a failed message is delivered again, times the attempt number. */
  readonly retryDelayMs?: number;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
  /**
   * A file that keeps the queue across a crash: each message is appended before `send` returns
   * (so before S3 answers the PUT that caused it, hence before the ingest's 202), each outcome
   * when it is known. Messages without an outcome are delivered again on start.
   */
  readonly journalPath?: string;
}

/** Journal lines: a message sent, handled, or dead-lettered. */
const journalLineSchema = z.union([
  z.object({ sent: z.string(), body: z.string() }),
  z.object({ done: z.string() }),
  z.object({ dead: z.string(), attempts: z.number().int().min(1) }),
]);
/** Outcomes written before the journal is rewritten with only what is still open. */
const COMPACT_AFTER = 10_000;

interface Message {
  readonly messageId: string;
  readonly body: string;
  attempts: number;
}

/**
 * The local stand-in for the SQS queue between the raw bucket and `load`: batches of up to ten
 * messages, partial batch responses, redelivery of failed messages, and a dead-letter list.
 */
export class LoadQueue {
  readonly #props: LoadQueueProps;
  readonly #ready: Message[] = [];
  readonly #delayed = new Set<NodeJS.Timeout>();
  readonly #deadLetters: DeadLetter[] = [];
  #running = false;
  #idleWaiters: Array<() => void> = [];
  /** Messages sent and not yet handled or dead-lettered, for the journal's compaction. */
  readonly #open = new Map<string, string>();
  #outcomes = 0;

  constructor(props: LoadQueueProps) {
    this.#props = props;
    if (props.journalPath) this.#recover(props.journalPath);
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters;
  }

  send(body: unknown): void {
    const message = { messageId: randomUUID(), body: JSON.stringify(body), attempts: 0 };
    this.#journal({ sent: message.messageId, body: message.body });
    this.#open.set(message.messageId, message.body);
    this.#ready.push(message);
    void this.#drain();
  }

  /** Resolves once no message is waiting, in flight or due for redelivery. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): void {
    for (const timer of this.#delayed) clearTimeout(timer);
    this.#delayed.clear();
    this.#ready.length = 0;
    this.#notifyIdle();
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#ready.length > 0) {
        const batch = this.#ready.splice(0, this.#props.batchSize ?? 10);
        for (const message of batch) message.attempts += 1;
        const failed = await this.#deliver(batch);
        for (const message of batch) {
          if (failed.has(message.messageId)) this.#retry(message);
          else this.#settle(message.messageId, { done: message.messageId });
        }
      }
    } finally {
      this.#running = false;
      this.#notifyIdle();
    }
  }

  async #deliver(batch: readonly Message[]): Promise<Set<string>> {
    const event: SQSEvent = { Records: batch.map(toRecord) };
    try {
      const response = await this.#props.handler(event, lambdaContext('load', randomUUID()));
      return new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      // A thrown handler fails the whole batch, as on Lambda.
      return new Set(batch.map((m) => m.messageId));
    }
  }

  #retry(message: Message): void {
    if (message.attempts >= (this.#props.maxAttempts ?? 3)) {
      const letter = { messageId: message.messageId, body: message.body, attempts: message.attempts };
      this.#deadLetters.push(letter);
      this.#settle(message.messageId, { dead: message.messageId, attempts: message.attempts });
      this.#props.onDeadLetter?.(letter);
      return;
    }
    const timer = setTimeout(
      () => {
        this.#delayed.delete(timer);
        this.#ready.push(message);
        void this.#drain();
      },
      (this.#props.retryDelayMs ?? 200) * message.attempts,
    );
    this.#delayed.add(timer);
  }

  /** Reads what a previous process left: open messages are delivered again, dead letters kept. */
  #recover(path: string): void {
    if (!existsSync(path)) return;
    const sent = new Map<string, string>();
    const dead = new Map<string, number>();
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      // A line cut short by the crash is the only kind that can fail to parse: it was not acknowledged.
      const parsed = journalLineSchema.safeParse(safeJson(line));
      if (!parsed.success) continue;
      const entry = parsed.data;
      if ('sent' in entry) sent.set(entry.sent, entry.body);
      else if ('done' in entry) sent.delete(entry.done);
      else dead.set(entry.dead, entry.attempts);
    }
    for (const [messageId, body] of sent) {
      const attempts = dead.get(messageId);
      if (attempts !== undefined) this.#deadLetters.push({ messageId, body, attempts });
      else {
        this.#open.set(messageId, body);
        this.#ready.push({ messageId, body, attempts: 0 });
      }
    }
    this.#compact();
    void this.#drain();
  }

  #settle(messageId: string, line: z.infer<typeof journalLineSchema>): void {
    this.#open.delete(messageId);
    if (this.#props.journalPath === undefined) return;
    this.#journal(line);
    if (++this.#outcomes >= COMPACT_AFTER) this.#compact();
  }

  #journal(line: z.infer<typeof journalLineSchema>): void {
    if (this.#props.journalPath !== undefined)
      appendFileSync(this.#props.journalPath, `${JSON.stringify(line)}\n`);
  }

  /** Rewrites the journal with the open messages and the dead letters only. */
  #compact(): void {
    const path = this.#props.journalPath;
    if (path === undefined) return;
    const lines = [
      ...[...this.#open].map(([sent, body]) => ({ sent, body })),
      ...this.#deadLetters.flatMap((d) => [
        { sent: d.messageId, body: d.body },
        { dead: d.messageId, attempts: d.attempts },
      ]),
    ];
    writeFileSync(`${path}.next`, lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { mode: 0o600 });
    renameSync(`${path}.next`, path);
    this.#outcomes = 0;
  }

  #isIdle(): boolean {
    return !this.#running && this.#ready.length === 0 && this.#delayed.size === 0;
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function toRecord(message: Message): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.messageId,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.attempts),
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:attribution-load',
    awsRegion: 'us-east-1',
  };
}

import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
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
}

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

  constructor(props: LoadQueueProps) {
    this.#props = props;
  }

  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters;
  }

  send(body: unknown): void {
    this.#ready.push({ messageId: randomUUID(), body: JSON.stringify(body), attempts: 0 });
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
        for (const message of batch.filter((m) => failed.has(m.messageId))) this.#retry(message);
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

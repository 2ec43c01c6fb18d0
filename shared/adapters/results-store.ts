import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ServiceUnavailableError } from '#domain/errors.ts';
import { type Job, jobSchema } from '#domain/jobs.ts';
import { batchGetAll, batchWriteAll } from './dynamo-batch.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/** Below DynamoDB's 400 KB item limit with room for the key attributes. */
const CHUNK_BYTES = 350_000;

/** Per-day metric partials as compute stores them and queries read them. */
export interface DayPartialStore<T> {
  /** Replaces the stored partial of every day given; each day switches to the new version at once. */
  writeDays(days: ReadonlyMap<string, T>, version: string): Promise<void>;
  /** The stored partials of the given days, in the order asked; days never computed are absent. */
  readDays(dates: readonly string[]): Promise<Map<string, T>>;
}

/** Job records (compute, replay). */
export interface JobStore {
  put(job: Job): Promise<void>;
  get(jobId: string): Promise<Job | undefined>;
  /** Adds `steps` to the job's progress; parallel tasks add atomically. */
  advance(jobId: string, steps: number): Promise<void>;
}

export interface DynamoResultsStoreProps<T> {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
  /** Validates a day partial read back from the table. */
  readonly daySchema: z.ZodType<T>;
}

const headSchema = z.object({
  pk: z.string().startsWith('day#'),
  version: z.string(),
  chunks: z.int().min(1),
});
type Head = z.infer<typeof headSchema>;
const chunkSchema = z.object({ pk: z.string(), sk: z.string(), data: z.instanceof(Uint8Array) });

/**
 * The results table. A day's partial is gzip JSON split into chunks under
 * `pk = day#<date>`, `sk = v#<version>#<n>`, and a `head` item that names the current version.
 * Chunks are written first and the head last, so a reader never sees half a version and a
 * compute killed midway leaves the previous version in place. Jobs live under `job#<id>`.
 */
export class DynamoResultsStore<T> implements DayPartialStore<T>, JobStore {
  readonly #props: DynamoResultsStoreProps<T>;

  constructor(props: DynamoResultsStoreProps<T>) {
    this.#props = props;
  }

  async writeDays(days: ReadonlyMap<string, T>, version: string): Promise<void> {
    const dates = [...days.keys()];
    const oldHeads = await this.#readHeads(dates);
    const chunkWrites: Record<string, unknown>[] = [];
    const heads: Record<string, unknown>[] = [];
    for (const [date, partial] of days) {
      const body = await gzipAsync(JSON.stringify(partial));
      const count = Math.max(1, Math.ceil(body.length / CHUNK_BYTES));
      for (let n = 0; n < count; n++) {
        chunkWrites.push({
          pk: `day#${date}`,
          sk: chunkKey(version, n),
          data: body.subarray(n * CHUNK_BYTES, (n + 1) * CHUNK_BYTES),
        });
      }
      heads.push({
        pk: `day#${date}`,
        sk: 'head',
        version,
        chunks: count,
        computedAt: new Date().toISOString(),
      });
    }
    const { client, table } = this.#props;
    await batchWriteAll(
      client,
      table,
      chunkWrites.map((Item) => ({ PutRequest: { Item } })),
    );
    await batchWriteAll(
      client,
      table,
      heads.map((Item) => ({ PutRequest: { Item } })),
    );
    const stale = [...oldHeads].filter(([, head]) => head.version !== version);
    await batchWriteAll(
      client,
      table,
      stale.flatMap(([date, head]) =>
        Array.from({ length: head.chunks }, (_, n) => ({
          DeleteRequest: { Key: { pk: `day#${date}`, sk: chunkKey(head.version, n) } },
        })),
      ),
    );
  }

  async readDays(dates: readonly string[]): Promise<Map<string, T>> {
    // A compute that switches a day's version between our head read and chunk read deletes the
    // chunks we were about to read: read the heads again, once; then ask the caller to retry.
    const first = await this.#tryReadDays(dates);
    if (first) return first;
    const second = await this.#tryReadDays(dates);
    if (second) return second;
    throw new ServiceUnavailableError('results are being recomputed; retry in a moment');
  }

  async #tryReadDays(dates: readonly string[]): Promise<Map<string, T> | undefined> {
    const heads = await this.#readHeads(dates);
    const keys = [...heads].flatMap(([date, head]) =>
      Array.from({ length: head.chunks }, (_, n) => ({ pk: `day#${date}`, sk: chunkKey(head.version, n) })),
    );
    const chunks = new Map<string, Uint8Array>();
    for (const item of await batchGetAll(this.#props.client, this.#props.table, keys)) {
      const chunk = chunkSchema.parse(item);
      chunks.set(`${chunk.pk}|${chunk.sk}`, chunk.data);
    }
    const days = new Map<string, T>();
    for (const date of dates) {
      const head = heads.get(date);
      if (!head) continue;
      const parts = Array.from({ length: head.chunks }, (_, n) =>
        chunks.get(`day#${date}|${chunkKey(head.version, n)}`),
      );
      if (parts.some((part) => part === undefined)) return undefined;
      const json = (await gunzipAsync(Buffer.concat(parts as Uint8Array[]))).toString('utf8');
      days.set(date, this.#props.daySchema.parse(JSON.parse(json)));
    }
    return days;
  }

  async put(job: Job): Promise<void> {
    await this.#props.client.send(
      new PutCommand({ TableName: this.#props.table, Item: { ...job, pk: `job#${job.jobId}`, sk: 'job' } }),
    );
  }

  async advance(jobId: string, steps: number): Promise<void> {
    await this.#props.client
      .send(
        new UpdateCommand({
          TableName: this.#props.table,
          Key: { pk: `job#${jobId}`, sk: 'job' },
          UpdateExpression: 'SET progress.done = progress.done + :n',
          // A retried step must not count twice past the end.
          ConditionExpression: 'attribute_exists(progress) AND progress.done < progress.#total',
          ExpressionAttributeNames: { '#total': 'total' },
          ExpressionAttributeValues: { ':n': steps },
        }),
      )
      .catch((error: unknown) => {
        // A step run outside a planned job (a lake refresh) has no progress to advance.
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  /**
   * Jobs still queued or running. A scan of the whole table: for the local runtime's start (a
   * process that stopped mid-job leaves them), not for a deployed table.
   */
  async listUnfinishedJobs(): Promise<Job[]> {
    const jobs: Job[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#props.client.send(
        new ScanCommand({
          TableName: this.#props.table,
          FilterExpression: 'sk = :job AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':job': 'job', ':queued': 'queued', ':running': 'running' },
          ExclusiveStartKey: start,
        }),
      );
      for (const { pk: _pk, sk: _sk, ...job } of page.Items ?? []) jobs.push(jobSchema.parse(job));
      start = page.LastEvaluatedKey;
    } while (start);
    return jobs;
  }

  async get(jobId: string): Promise<Job | undefined> {
    const result = await this.#props.client.send(
      new GetCommand({ TableName: this.#props.table, Key: { pk: `job#${jobId}`, sk: 'job' } }),
    );
    if (!result.Item) return undefined;
    const { pk: _pk, sk: _sk, ...job } = result.Item;
    return jobSchema.parse(job);
  }

  async #readHeads(dates: readonly string[]): Promise<Map<string, Head>> {
    const items = await batchGetAll(
      this.#props.client,
      this.#props.table,
      dates.map((date) => ({ pk: `day#${date}`, sk: 'head' })),
    );
    return new Map(
      items.map((item) => {
        const head = headSchema.parse(item);
        return [head.pk.slice(4), head];
      }),
    );
  }
}

function chunkKey(version: string, n: number): string {
  return `v#${version}#${String(n).padStart(4, '0')}`;
}

import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { datesBetween, utcPartition } from '#domain/dates.ts';
import { ServiceUnavailableError } from '#domain/errors.ts';
import { type StoredEvent, storedEventSchema } from '#domain/event-schema.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Prefix of the raw zone; `v2` is the NDJSON line format of {@link StoredEvent}. */
export const RAW_PREFIX = 'raw/v2/';
/** Messages kept but not counted (Segment `screen`, `group`, `alias`, other `track`s), as received. */
export const ARCHIVE_PREFIX = 'archive/v1/';

export interface RawLineError {
  readonly line: number;
  readonly message: string;
}

export interface RawObject {
  readonly events: StoredEvent[];
  /** Lines that are not valid events; the rest of the object is still usable. */
  readonly invalid: RawLineError[];
}

/** The raw zone: the source of truth every other store is rebuilt from. */
export interface RawStore {
  /** Writes accepted events durably; resolves only when every object is stored. Returns the keys. */
  putEvents(events: readonly StoredEvent[], requestId: string): Promise<string[]>;
  readObject(key: string): Promise<RawObject>;
  /** Keeps messages that are not events, as they came, under `archive/v1/dt=<today>/`. */
  putArchive(records: readonly unknown[], requestId: string): Promise<string>;
  /** Keys of every raw object in the UTC date partitions from `from` to `to`. */
  listKeys(from: string, to: string): AsyncIterable<string>;
}

export interface S3RawStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * Raw zone in S3: gzip NDJSON, keys `raw/v1/dt=YYYY-MM-DD/hr=HH/<id>.ndjson.gz` by the UTC date
 * of the events; `hr` is the hour of the object's earliest event. A request whose events fall on
 * one day (nearly all) writes one object; a backfill spanning days writes one object per day,
 * all before the answer. Grouping by day, not hour, keeps a month-long backfill batch at 30 PUTs
 * at most instead of hundreds.
 */
export class S3RawStore implements RawStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(props: S3RawStoreProps) {
    this.#client = props.client;
    this.#bucket = props.bucket;
  }

  async putEvents(events: readonly StoredEvent[], requestId: string): Promise<string[]> {
    // One object per UTC date of the events; its `hr` is the hour of its earliest event.
    const groups = new Map<string, Array<{ stored: StoredEvent; ts: number }>>();
    for (const stored of events) {
      const ts = Date.parse(stored.event.occurredAt);
      const { date } = utcPartition(ts);
      const group = groups.get(date);
      if (group) group.push({ stored, ts });
      else groups.set(date, [{ stored, ts }]);
    }
    const name = objectName(requestId);
    const written: string[] = [];
    const results = await Promise.allSettled(
      [...groups].map(async ([date, group], n) => {
        const earliest = group.reduce((min, entry) => Math.min(min, entry.ts), Number.POSITIVE_INFINITY);
        const key = `${RAW_PREFIX}dt=${date}/hr=${utcPartition(earliest).hour}/${name}-${n}.ndjson.gz`;
        await this.#putLines(
          key,
          group.map((entry) => entry.stored),
        );
        written.push(key);
      }),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      // Take back what did land so the sender's retry is the only copy; the loader is idempotent anyway.
      await this.#delete(written).catch(() => undefined);
      throw rejected(failure.reason);
    }
    return written;
  }

  async putArchive(records: readonly unknown[], requestId: string): Promise<string> {
    const key = `${ARCHIVE_PREFIX}dt=${new Date().toISOString().slice(0, 10)}/${objectName(requestId)}.ndjson.gz`;
    await this.#putLines(key, records).catch((error: unknown) => {
      throw rejected(error);
    });
    return key;
  }

  /** One gzip NDJSON object, a record a line. */
  async #putLines(key: string, records: readonly unknown[]): Promise<void> {
    const body = await gzipAsync(`${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
      }),
    );
  }

  /**
   * One object's events and bad lines. Throws `NoSuchKey` for an object taken back,
   * `ServiceUnavailableError` when S3 could not be read (retry), and a plain error for a body that
   * is not gzip NDJSON (the object itself is bad: report it, skip it).
   */
  async readObject(key: string): Promise<RawObject> {
    let bytes: Uint8Array | undefined;
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      bytes = await response.Body?.transformToByteArray();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') throw error;
      throw new ServiceUnavailableError(`raw object ${key} could not be read; retry later`, { cause: error });
    }
    if (!bytes) throw new Error(`raw object ${key} has no body`);
    const text = (await gunzipAsync(bytes)).toString('utf8');
    const events: StoredEvent[] = [];
    const invalid: RawLineError[] = [];
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        const parsed = storedEventSchema.safeParse(JSON.parse(line));
        if (parsed.success) events.push(parsed.data);
        else {
          const issue = parsed.error.issues[0];
          invalid.push({
            line: index + 1,
            message: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid event',
          });
        }
      } catch (error) {
        invalid.push({ line: index + 1, message: (error as Error).message });
      }
    });
    return { events, invalid };
  }

  async *listKeys(from: string, to: string): AsyncIterable<string> {
    for (const date of datesBetween(from, to)) {
      let token: string | undefined;
      do {
        const page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: `${RAW_PREFIX}dt=${date}/`,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
  }

  async #delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.#client.send(
      new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
  }
}

/** The UTC day of a raw object's key (`raw/v2/dt=YYYY-MM-DD/...`), if it is one. */
export function rawKeyDate(key: string): string | undefined {
  return /^raw\/v2\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
}

/** `<UTC stamp>-<request id>`: unique per request, sortable by arrival. */
function objectName(requestId: string): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${requestId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64) || randomUUID()}`;
}

function rejected(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('the raw store rejected the write; nothing was accepted, retry later', {
    cause,
  });
}

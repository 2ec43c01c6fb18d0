import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ServiceUnavailableError } from '#domain/errors.ts';
import { LAKE_PREFIX, type LakeTable, lakeDayPrefix, lakePartitionKey } from '#lake/lake-tables.ts';

/** One file of a day's partition. */
export interface LakePart {
  readonly part: string;
  readonly lastModified: Date;
}

/** The lake: Parquet partitions by table and UTC day, built from the raw zone. */
export interface LakeStore {
  /** Writes one file of a day's partition (part `0`: the whole-day build). */
  putPartition(table: LakeTable, date: string, file: string, part?: string): Promise<void>;
  /** The files of a day's partition. */
  listParts(table: LakeTable, date: string): Promise<LakePart[]>;
  /** Bytes of the table's partitions of the UTC days `from`…`to`, listed at once (not a request per day). */
  sizeOfDays(table: LakeTable, from: string, to: string): Promise<number>;
  deleteParts(table: LakeTable, date: string, parts: readonly string[]): Promise<void>;
  /**
   * Local paths of every file of the partitions of `dates`: the days listed, those up to and
   * including `through`, or all of the table's when absent.
   */
  fetchPartitions(
    table: LakeTable,
    dates?: readonly string[] | { readonly through: string },
  ): Promise<string[]>;
}

export interface S3LakeStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /** Where fetched partitions are kept between calls (Lambda: /tmp); reused while their ETag holds. */
  readonly cacheDirectory?: string;
}

const FETCH_CONCURRENCY = 16;

interface ListedObject {
  readonly key: string;
  readonly lastModified: Date;
  readonly etag: string | undefined;
  readonly size: number;
}

/**
 * The lake in S3 (`lake/v1/<table>/dt=YYYY-MM-DD/part-<part>.parquet`, the same bucket as the raw
 * zone). DuckDB reads local files (the httpfs extension cannot be fetched at run time), so
 * partitions are fetched into a cache folder. A partition whose listed ETag is the one cached is
 * not asked for at all (a compute reads the small tables of every day of the lake on each run, and
 * a conditional GET is billed like any GET); one that changed is fetched, with a conditional GET.
 */
export class S3LakeStore implements LakeStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #cache: string;

  constructor(props: S3LakeStoreProps) {
    this.#client = props.client;
    this.#bucket = props.bucket;
    this.#cache = props.cacheDirectory ?? join(tmpdir(), 'attribution-lake');
  }

  async putPartition(table: LakeTable, date: string, file: string, part = '0'): Promise<void> {
    const body = await readFile(file);
    await this.#client
      .send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: lakePartitionKey(table, date, part),
          Body: body,
          ContentType: 'application/vnd.apache.parquet',
        }),
      )
      .catch(rethrowUnavailable);
  }

  async listParts(table: LakeTable, date: string): Promise<LakePart[]> {
    const prefix = lakeDayPrefix(table, date);
    return (await this.#list(prefix)).map((object) => ({
      part: object.key.slice(`${prefix}part-`.length, -'.parquet'.length),
      lastModified: object.lastModified,
    }));
  }

  async sizeOfDays(table: LakeTable, from: string, to: string): Promise<number> {
    // Keys sort by day, so one listing from the first day's folder on covers the range.
    const last = lakeDayPrefix(table, to);
    const objects = await this.#list(
      `${LAKE_PREFIX}${table}/`,
      lakeDayPrefix(table, from),
      (key) => key > last && !key.startsWith(last),
    );
    return objects.reduce((sum, object) => sum + object.size, 0);
  }

  async deleteParts(table: LakeTable, date: string, parts: readonly string[]): Promise<void> {
    for (const part of parts) {
      await this.#client
        .send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: lakePartitionKey(table, date, part) }))
        .catch(rethrowUnavailable);
    }
  }

  async fetchPartitions(
    table: LakeTable,
    dates?: readonly string[] | { readonly through: string },
  ): Promise<string[]> {
    // Listed first: days without data have no partition, and without s3:ListBucket on a key S3
    // answers 403, not 404, for a key that does not exist. Each day asked for is listed by its own
    // prefix: an append to one day must not list the whole lake.
    const days = Array.isArray(dates) ? (dates as readonly string[]) : undefined;
    const prefixes = days ? days.map((date) => lakeDayPrefix(table, date)) : [`${LAKE_PREFIX}${table}/`];
    const through = days ? undefined : (dates as { readonly through: string } | undefined)?.through;
    const listed = (await Promise.all(prefixes.map((prefix) => this.#list(prefix))))
      .flat()
      // Keys are `…/dt=YYYY-MM-DD/part-…`: the day sorts as text.
      .filter(
        (object) =>
          through === undefined || (/\/dt=(\d{4}-\d{2}-\d{2})\//.exec(object.key)?.[1] ?? '') <= through,
      );
    const paths: Array<string | undefined> = new Array(listed.length);
    let next = 0;
    const worker = async () => {
      while (next < listed.length) {
        const index = next++;
        const object = listed[index] as ListedObject;
        paths[index] = await this.#fetch(object.key, object.etag);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, listed.length) }, worker));
    return paths.filter((path): path is string => path !== undefined);
  }

  /**
   * The Parquet files under a prefix, in key order: those after `startAfter` when given, up to the
   * first key `past` says is beyond what is wanted.
   */
  async #list(prefix: string, startAfter?: string, past?: (key: string) => boolean): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client
        .send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: prefix,
            ContinuationToken: token,
            ...(startAfter ? { StartAfter: startAfter } : {}),
          }),
        )
        .catch(rethrowUnavailable);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      for (const object of page.Contents ?? []) {
        if (object.Key && past?.(object.Key)) {
          token = undefined;
          break;
        }
        if (object.Key?.endsWith('.parquet')) {
          objects.push({
            key: object.Key,
            lastModified: object.LastModified ?? new Date(0),
            etag: object.ETag,
            size: object.Size ?? 0,
          });
        }
      }
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** The local copy of one object (`listedTag`: its ETag as just listed), or undefined when it does not exist. */
  async #fetch(key: string, listedTag?: string): Promise<string | undefined> {
    const path = join(this.#cache, key);
    const tagFile = `${path}.etag`;
    const cachedTag = await readFile(tagFile, 'utf8').catch(() => undefined);
    const cached = cachedTag !== undefined && (await stat(path).catch(() => undefined)) !== undefined;
    if (cached && listedTag !== undefined && listedTag === cachedTag) return path;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: key, IfNoneMatch: cached ? cachedTag : undefined }),
      );
      await mkdir(dirname(path), { recursive: true });
      // A name of its own: concurrent tasks of one process may fetch the same partition.
      const partial = `${path}.${randomUUID()}.part`;
      await pipeline(response.Body as Readable, createWriteStream(partial));
      await rename(partial, path);
      if (response.ETag) await writeFile(tagFile, response.ETag);
      return path;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 304 && cached) return path;
      if ((error as Error).name === 'NoSuchKey' || status === 404) return undefined;
      throw unavailable(error);
    }
  }
}

function unavailable(cause: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('the lake store could not be reached; retry later', { cause });
}

function rethrowUnavailable(error: unknown): never {
  throw unavailable(error);
}

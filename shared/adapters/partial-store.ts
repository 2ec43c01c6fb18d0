import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Where the compute map tasks leave their partials for the reduce step (Step Functions passes keys, not data). */
export const PARTIALS_PREFIX = 'compute/';

/** Bucket partials of a compute run, kept between the map and the reduce steps. */
export interface PartialStore<T> {
  put(jobId: string, bucket: number, partial: T): Promise<string>;
  get(key: string): Promise<T>;
}

export interface S3PartialStoreProps<T> {
  readonly client: S3Client;
  readonly bucket: string;
  /** Validates a partial read back. */
  readonly schema: z.ZodType<T>;
}

/** Gzip JSON objects under `compute/<jobId>/bucket-<n>.json.gz`; a lifecycle rule expires them. */
export class S3PartialStore<T> implements PartialStore<T> {
  readonly #props: S3PartialStoreProps<T>;

  constructor(props: S3PartialStoreProps<T>) {
    this.#props = props;
  }

  async put(jobId: string, bucket: number, partial: T): Promise<string> {
    const key = `${PARTIALS_PREFIX}${jobId}/bucket-${String(bucket).padStart(4, '0')}.json.gz`;
    await this.#props.client.send(
      new PutObjectCommand({
        Bucket: this.#props.bucket,
        Key: key,
        Body: await gzipAsync(JSON.stringify(partial)),
        ContentType: 'application/json',
        ContentEncoding: 'gzip',
      }),
    );
    return key;
  }

  async get(key: string): Promise<T> {
    const response = await this.#props.client.send(
      new GetObjectCommand({ Bucket: this.#props.bucket, Key: key }),
    );
    const bytes = await response.Body?.transformToByteArray();
    if (!bytes) throw new Error(`partial ${key} has no body`);
    return this.#props.schema.parse(JSON.parse((await gunzipAsync(bytes)).toString('utf8')));
  }
}

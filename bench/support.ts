/**
 * What the benchmark scripts share: embedded servers and pipelines over them, child processes
 * that report their peak memory, HTTP events for the handlers, and the ways a synthetic dataset
 * gets into the raw zone or straight into the lake.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { loadConfig } from '#adapters/config-loader.ts';
import { envSchema } from '#adapters/env.ts';
import { hashApiKey } from '#adapters/key-store.ts';
import { logger } from '#adapters/observability.ts';
import { createPipeline, type Pipeline } from '#adapters/pipeline.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import type { AttributionConfig } from '#domain/config.ts';
import type { StoredEvent } from '#domain/event-schema.ts';
import type { SpendRow } from '#domain/normalised-event.ts';
import type { HttpEvent } from '#http/types.ts';
import { lambdaContext } from '#local/lambda-context.ts';
import { LOCAL_NAMES, localDocumentClient, localS3Client, startEmbeddedServers } from '#local/servers.ts';
import { buildLakeDay } from '#services/build-lake.ts';
import { chunks, type SyntheticDataset } from './synthetic.ts';

// A benchmark measures; it does not read the handlers' logs.
logger.setLogLevel((process.env.BENCH_LOG_LEVEL as 'ERROR' | undefined) ?? 'SILENT');

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CONFIG_PATH = join(ROOT, 'attribution.config.json');
export const BENCH_KEY = 'bench-key-0123456789abcdef';
export const HASH_SECRET = 'bench-hash-secret-0123456789';
/** Raw objects as senders make them: one `POST /v1/events` batch each. */
export const BATCH_EVENTS = 500;

export function benchConfig(): AttributionConfig {
  return loadConfig({ path: CONFIG_PATH });
}

export interface Endpoints {
  readonly s3: string;
  readonly dynamo: string;
}

export interface PipelineOptions {
  readonly endpoints: Endpoints;
  /** Lake cache, DuckDB scratch. */
  readonly workDir: string;
  /** As deployed: 1.5GB for compute (3,008 MB function), 1GB for load (1,769 MB). */
  readonly duckdbMemoryLimit?: string;
  readonly duckdbThreads?: number;
}

/** The pipeline a function would build, over the embedded servers at `endpoints`. */
export function benchPipeline(options: PipelineOptions): Pipeline {
  mkdirSync(options.workDir, { recursive: true });
  const env = envSchema.parse({
    ...LOCAL_NAMES,
    ATTRIBUTION_CONFIG: CONFIG_PATH,
    PII_HASH_SECRET: HASH_SECRET,
    COMPUTE_BUCKETS: '1',
    LAKE_CACHE_DIR: join(options.workDir, 'lake-cache'),
    DUCKDB_TEMP_DIR: join(options.workDir, 'duckdb'),
    S3_FORCE_PATH_STYLE: 'true',
    ...(options.duckdbMemoryLimit ? { DUCKDB_MEMORY_LIMIT: options.duckdbMemoryLimit } : {}),
    ...(options.duckdbThreads ? { DUCKDB_THREADS: String(options.duckdbThreads) } : {}),
  });
  return createPipeline({
    env,
    config: benchConfig(),
    s3: localS3Client(options.endpoints.s3),
    dynamo: localDocumentClient(options.endpoints.dynamo),
  });
}

export interface BenchServers {
  readonly endpoints: Endpoints;
  readonly dir: string;
  readonly pipeline: Pipeline;
  close(): Promise<void>;
}

/** Embedded s3rver + dynalite in this process, in a fresh folder, with the bench API key. */
export async function startBenchServers(name: string): Promise<BenchServers> {
  const dir = mkdtempSync(join(tmpdir(), `attribution-bench-${name}-`));
  const servers = await startEmbeddedServers(dir);
  const endpoints = { s3: servers.s3Endpoint, dynamo: servers.dynamoEndpoint };
  const pipeline = benchPipeline({ endpoints, workDir: join(dir, 'host') });
  await pipeline.keyStore.create({
    keyHash: hashApiKey(BENCH_KEY),
    name: 'bench',
    scopes: ['ingest', 'query', 'admin'],
    createdAt: new Date().toISOString(),
  });
  return {
    endpoints,
    dir,
    pipeline,
    async close() {
      await servers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A child's report: what it measured, and its own peak resident memory. */
export type ChildReport<T> = T & { readonly maxRssMb: number; readonly cpuMs: number };

/**
 * Runs `bench/<script>` in a fresh Node process (so its peak RSS is its own) and resolves with
 * the JSON object it printed last. The parent's event loop stays free: it may be serving the
 * embedded servers the child talks to.
 */
export function runChild<T>(script: string, input: unknown, env: Record<string, string> = {}): Promise<T> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path, JSON.stringify(input)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`${script} exited with ${code}: ${out.slice(-2000)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no result: ${out.slice(-2000)}`));
      }
    });
  });
}

/** In a child: its input. */
export function childInput<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/** In a child: prints the result with the process's peak RSS and CPU time, then exits. */
export function report(result: object): never {
  const usage = process.resourceUsage();
  const line = JSON.stringify({
    ...result,
    maxRssMb: usage.maxRSS / 1024,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
  });
  process.stdout.write(`${line}\n`);
  process.exit(0);
}

export function benchContext(name: string): Context {
  return lambdaContext(name, `bench-${Math.random().toString(36).slice(2, 12)}`);
}

/** An API Gateway HTTP API (payload 2.0) event, as the gateway or AWS would deliver it. */
export function httpEvent(props: {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: string;
  readonly key?: string;
}): HttpEvent {
  const routeKey = `${props.method} ${props.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: props.path,
    rawQueryString: new URLSearchParams(props.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${props.key ?? BENCH_KEY}` },
    ...(props.query ? { queryStringParameters: props.query } : {}),
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: props.method,
        path: props.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: `bench-${Math.random().toString(36).slice(2, 12)}`,
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(props.body === undefined ? {} : { body: props.body }),
    isBase64Encoded: false,
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: Iterable<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Writes every line of a dataset into the raw zone, day by day, in objects of {@link BATCH_EVENTS}. */
export async function writeRaw(
  dataset: SyntheticDataset,
  rawStore: RawStore,
  concurrency = 8,
): Promise<{ objects: number; lines: number }> {
  let objects = 0;
  let lines = 0;
  for (let d = 0; d < dataset.dates.length; d++) {
    const events = dataset.eventsOfDay(d);
    lines += events.length;
    await pool(chunks(events, BATCH_EVENTS), concurrency, async (batch) => {
      const n = objects++;
      await rawStore.putEvents(batch, `bench-${d}-${n}`);
    });
  }
  return { objects, lines };
}

/**
 * Builds a dataset's lake straight from the generator, skipping the raw zone: the real
 * {@link buildLakeDay} (dedupe, identities, classification, Parquet, lake PUT) over a raw store
 * that hands it the day's events already parsed. What this skips is S3 GETs, gunzip, JSON.parse
 * and zod (bench/lake-profile.ts measures those).
 */
export async function buildLakeDirect(
  dataset: SyntheticDataset,
  pipeline: Pipeline,
  days: readonly number[] = dataset.dates.map((_, d) => d),
): Promise<{ events: number; lines: number; ms: number }> {
  const engine = await pipeline.openEngine();
  let events = 0;
  let lines = 0;
  const started = performance.now();
  try {
    for (const d of days) {
      const date = dataset.dates[d] as string;
      let day: StoredEvent[] | undefined = dataset.eventsOfDay(d);
      lines += day.length;
      const rawStore: RawStore = {
        putEvents: async () => [],
        putArchive: async () => '',
        async *listKeys() {
          yield `generated/${date}`;
        },
        async readObject() {
          const events = day ?? [];
          day = undefined;
          return { events, invalid: [] };
        },
      };
      const build = await buildLakeDay(date, { ...pipeline, rawStore, engine });
      events += build.events;
    }
  } finally {
    await engine.close();
  }
  return { events, lines, ms: performance.now() - started };
}

/** Daily spend of the most active ad campaigns (what a spend export would send). */
export function spendRows(dataset: SyntheticDataset, perDay: number): SpendRow[] {
  const rows: SpendRow[] = [];
  const paid = dataset.campaigns.filter((c) => c.kind.platform).slice(0, perDay);
  for (const date of dataset.dates) {
    for (const [i, campaign] of paid.entries()) {
      rows.push({
        date,
        channel: campaign.kind.expect as SpendRow['channel'],
        platform: campaign.kind.platform ?? 'other',
        campaign: campaign.name,
        costMicros: (50 + ((i * 37) % 400)) * 1_000_000,
        currency: 'USD',
      });
    }
  }
  return rows;
}

export const mb = (bytes: number) => bytes / 1024 / 1024;

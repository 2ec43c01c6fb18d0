/**
 * Child process: the lake builder building whole days, in the load function's settings (1,769 MB, DuckDB memory limit
 * 1GB): `refreshLakeDays` over raw objects already in the parent's embedded S3, one engine session,
 * one day after another. The parent serves S3, so this process's CPU time is the builder's own.
 */
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { benchPipeline, childInput, type Endpoints, report } from './support.ts';

export interface LakeBuildInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  readonly dates: readonly string[];
  readonly memoryLimit?: string;
  readonly threads?: number;
}

export interface LakeBuildResult {
  readonly ms: number;
  /** CPU time of the build alone (user + system, all threads), ms. */
  readonly buildCpuMs: number;
  readonly events: number;
  readonly duplicates: number;
  readonly objects: number;
  readonly links: number;
  readonly skipped: number;
  readonly failed: number;
  readonly duckdbThreads: string;
}

const input = childInput<LakeBuildInput>();
const pipeline = benchPipeline({
  endpoints: input.endpoints,
  workDir: input.workDir,
  duckdbMemoryLimit: input.memoryLimit ?? '1GB',
  ...(input.threads ? { duckdbThreads: input.threads } : {}),
});
const probe = await pipeline.openEngine();
const [settings] = await probe.all<{ threads: bigint }>("SELECT current_setting('threads') AS threads");
await probe.close();

const cpu = process.cpuUsage();
const started = performance.now();
const { builds, failed } = await refreshLakeDays(wholeDays(input.dates), pipeline);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
const result: LakeBuildResult = {
  ms,
  buildCpuMs: (used.user + used.system) / 1000,
  events: builds.reduce((sum, b) => sum + b.events, 0),
  duplicates: builds.reduce((sum, b) => sum + b.duplicates, 0),
  objects: builds.reduce((sum, b) => sum + b.objects, 0),
  links: builds.reduce((sum, b) => sum + b.links, 0),
  skipped: builds.reduce((sum, b) => sum + b.skipped.length, 0),
  failed: failed.size,
  duckdbThreads: String(settings?.threads ?? ''),
};
report(result);

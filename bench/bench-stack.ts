import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '#adapters/config-loader.ts';
import type { Pipeline } from '#adapters/pipeline.ts';
import { createLocalPipeline } from '#local/runtime.ts';
import { type EmbeddedServers, startEmbeddedServers } from '#local/servers.ts';

/**
 * Runs `work` against the embedded servers in a fresh temporary folder, with the pipeline of the
 * repository's example config, and cleans up after it.
 */
export async function withBenchStack<T>(
  work: (stack: { servers: EmbeddedServers; pipeline: Pipeline }) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attribution-bench-'));
  const servers = await startEmbeddedServers(dataDir);
  try {
    const configPath = 'attribution.config.json';
    const pipeline = createLocalPipeline({
      servers,
      config: loadConfig({ path: configPath }),
      configPath,
      hashSecret: 'bench-secret-0123456789',
    });
    return await work({ servers, pipeline });
  } finally {
    await servers.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

import './process-defaults.ts';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { logger } from '#adapters/observability.ts';
import { computeBucketsVariableSchema } from '#domain/compute-buckets.ts';
import { AppError } from '#domain/errors.ts';
import { runDemo } from './demo.ts';
import { startLocalRuntime } from './runtime.ts';

/** Variables the local runtime reads (docs/architecture.md), validated like everything else. */
const localEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('.data'),
  ATTRIBUTION_CONFIG: z.string().default('attribution.config.json'),
  LOCAL_API_KEY: z.string().min(8).optional(),
  COMPUTE_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  COMPUTE_BUCKETS: computeBucketsVariableSchema.default('auto'),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: npm start [-- --config attribution.config.json] [-- --demo]');
    return;
  }
  const env = localEnvSchema.parse(process.env);
  // Files the runtime creates (events, keys, the queue's journal) are this user's alone.
  process.umask(0o077);
  // One log line per request drowns the console; POWERTOOLS_LOG_LEVEL=INFO brings them back.
  if (!process.env.POWERTOOLS_LOG_LEVEL) logger.setLogLevel('WARN');
  const started = Date.now();
  const runtime = await startLocalRuntime({
    dataDir: resolve(env.DATA_DIR),
    configPath: resolve(values.config ?? env.ATTRIBUTION_CONFIG),
    host: env.HOST,
    port: env.PORT,
    apiKey: env.LOCAL_API_KEY,
    computeIntervalSeconds: env.COMPUTE_INTERVAL_SECONDS,
    computeBuckets: env.COMPUTE_BUCKETS,
  });
  console.log(`attribution pipeline listening on ${runtime.url} (ready in ${Date.now() - started} ms)`);
  console.log(`  data folder: ${resolve(env.DATA_DIR)}`);
  console.log(`  ingest key:  ${runtime.keys.ingest}`);
  console.log(`  query key:   ${runtime.keys.query}`);
  console.log(`  admin key:   ${runtime.keys.admin}`);
  console.log(`  try: curl ${runtime.url}/v1/health`);

  const stop = async () => {
    console.log('stopping...');
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (values.demo) await runDemo(runtime);
}

main().catch((error: unknown) => {
  if (error instanceof AppError) console.error(`error: ${error.message}`);
  else console.error(error);
  process.exit(1);
});

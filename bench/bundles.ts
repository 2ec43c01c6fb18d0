/**
 * The Lambda bundles, built the way CDK's `NodejsFunction` builds them (docs/architecture.md: Node.js 22,
 * arm64, ESM bundles from esbuild), their sizes, and the module init time of each bundle in a
 * fresh Node process. Used by `npm run bench` and by test/build/bundles.test.ts.
 */
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Message, type Metafile } from 'esbuild';
import { ENGINE_FUNCTIONS, ENGINE_PACKAGES } from '../cdk/lib/attribution-function.ts';
import { median } from './stats.ts';

/** Repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The banner CDK adds for ESM output so that bundled CommonJS dependencies that call `require`
 * (of Node built-ins) keep working inside an ES module.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * esbuild options equal to `NodejsFunction` with `format: ESM`, `target: 'node22'`,
 * `minify: true`, `sourceMap: true`, `mainFields: ['module', 'main']` and the banner above.
 * The source map is a separate `index.mjs.map` next to the bundle, linked by a
 * `sourceMappingURL` comment: CDK's default source-map mode is esbuild's `--sourcemap`
 * (`linked`). esbuild's `external` mode writes the same file but no comment, and then Node's
 * `--enable-source-maps` (which CDK sets) never finds it. Unlike CDK's default for Node 18+ runtimes, `@aws-sdk/*` is NOT marked external: the
 * Node 22 Lambda runtime ships an SDK v3, but its version is whatever AWS deployed that week;
 * bundling pins the version the tests ran against (`bundleAwsSDK: true` in CDK terms).
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_BANNER },
  // CDK names the ESM output index.mjs.
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'silent',
} as const;

/**
 * The environment every handler needs (shared/adapters/env.ts), with made-up names: handlers
 * build their dependencies on the first invocation, so importing a bundle must not touch AWS.
 */
export const HANDLER_ENV: Readonly<Record<string, string>> = {
  RAW_BUCKET: 'attribution-raw',
  RESULTS_TABLE: 'attribution-results',
  SPEND_TABLE: 'attribution-spend',
  KEYS_TABLE: 'attribution-keys',
  PII_HASH_SECRET: 'bundle-check-secret-0123456789',
  ATTRIBUTION_CONFIG: join(ROOT, 'attribution.config.json'),
  AWS_REGION: 'us-east-1',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

export interface EntryPoint {
  /** The function's folder name: `ingest`, `load`, ... */
  readonly name: string;
  readonly path: string;
}

/** Every `functions/<name>/handler.ts`. */
export function entryPoints(): EntryPoint[] {
  const dir = join(ROOT, 'functions');
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .map((name) => ({ name, path: join(dir, name, 'handler.ts') }))
    .filter((entry) => statSync(entry.path, { throwIfNoEntry: false })?.isFile())
    .sort((a, b) => a.name.localeCompare(b.name));
}

export interface BundleResult {
  readonly name: string;
  /** The bundle: `<outdir>/<name>/index.mjs`. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly errors: readonly Message[];
  readonly warnings: readonly Message[];
  /** Bytes in the bundle by npm package (or `shared/...` folder), largest first. */
  readonly packages: ReadonlyArray<readonly [string, number]>;
}

/** Bundles one entry point with {@link BUNDLE_OPTIONS}; esbuild errors come back, not thrown. */
export async function bundleFunction(entry: EntryPoint, outdir: string): Promise<BundleResult> {
  const file = join(outdir, entry.name, 'index.mjs');
  const engine = (ENGINE_FUNCTIONS as readonly string[]).includes(entry.name);
  try {
    const result = await build({
      ...BUNDLE_OPTIONS,
      mainFields: [...BUNDLE_OPTIONS.mainFields],
      entryPoints: { [`${entry.name}/index`]: entry.path },
      outdir,
      absWorkingDir: ROOT,
      // Never bundled (a native binding); only the engine functions ship it beside the bundle.
      external: [...ENGINE_PACKAGES],
    });
    // As the CDK's afterBundling hook does: the DuckDB binding and the metric SQL beside the bundle.
    if (engine) {
      for (const name of ENGINE_PACKAGES) {
        cpSync(join(ROOT, 'node_modules', name), join(outdir, entry.name, 'node_modules', name), {
          recursive: true,
        });
      }
      for (const sql of readdirSync(join(ROOT, 'shared/metrics')).filter((f) => f.endsWith('.sql'))) {
        cpSync(join(ROOT, 'shared/metrics', sql), join(outdir, entry.name, sql));
      }
    }
    const code = readFileSync(file);
    return {
      name: entry.name,
      file,
      bytes: code.length,
      gzipBytes: gzipSync(code).length,
      mapBytes: statSync(`${file}.map`).size,
      errors: result.errors,
      warnings: result.warnings,
      packages: packageSizes(result.metafile),
    };
  } catch (error) {
    const failure = error as { errors?: Message[]; warnings?: Message[] };
    if (!failure.errors) throw error;
    return {
      name: entry.name,
      file,
      bytes: 0,
      gzipBytes: 0,
      mapBytes: 0,
      errors: failure.errors,
      warnings: failure.warnings ?? [],
      packages: [],
    };
  }
}

/** Bundles every entry point into `outdir`, in parallel (esbuild runs them on its own threads). */
export async function bundleAll(outdir: string): Promise<BundleResult[]> {
  return Promise.all(entryPoints().map((entry) => bundleFunction(entry, outdir)));
}

function packageSizes(metafile: Metafile): Array<[string, number]> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  const sizes = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ?? path.split('/').slice(0, 2).join('/');
    sizes.set(key, (sizes.get(key) ?? 0) + input.bytesInOutput);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

export interface ChildImport {
  /** Milliseconds of `await import(bundle)` in a fresh process. */
  readonly importMs: number;
  readonly exports: readonly string[];
  readonly handlerType: string;
  /** What the handler answered when an invocation was asked for. */
  readonly result?: unknown;
  /** Everything else the process printed (log and EMF lines), one entry per line. */
  readonly output: readonly string[];
}

export interface ChildImportProps {
  /** Extra environment (endpoints, credentials) on top of {@link HANDLER_ENV}. */
  readonly env?: Readonly<Record<string, string>>;
  /** `--enable-source-maps`, which CDK sets in NODE_OPTIONS when `sourceMap` is on. */
  readonly sourceMaps?: boolean;
  /** Invoke `handler(event, context)` once after the import and report its answer. */
  readonly invoke?: { readonly event: unknown; readonly requestId: string };
}

// Runs in the child: times the import, optionally invokes once, prints one JSON line.
const CHILD_SCRIPT = `
const [url, invokeJson] = process.argv.slice(1);
const started = performance.now();
const mod = await import(url);
const importMs = performance.now() - started;
const out = { importMs, exports: Object.keys(mod), handlerType: typeof mod.handler };
if (invokeJson) {
  const { event, requestId } = JSON.parse(invokeJson);
  const context = {
    awsRequestId: requestId, functionName: 'bundle-check', functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bundle-check',
    memoryLimitInMB: '1024', logGroupName: '/aws/lambda/bundle-check', logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false, getRemainingTimeInMillis: () => 30000,
  };
  out.result = await mod.handler(event, context);
}
console.log(JSON.stringify(out));
`;

const execFileAsync = promisify(execFile);

/**
 * Imports a bundle in a fresh `node` process with the handlers' environment and nothing else
 * from this one (no node_modules next to the bundle, no NODE_OPTIONS from a test runner).
 * Asynchronous, so servers running in this process (the embedded ones) keep answering.
 */
export async function importInChild(file: string, props: ChildImportProps = {}): Promise<ChildImport> {
  const env: Record<string, string> = { ...HANDLER_ENV, ...props.env };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  if (props.sourceMaps) env.NODE_OPTIONS = '--enable-source-maps';
  const args = ['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(file).href];
  if (props.invoke) args.push(JSON.stringify(props.invoke));
  const { stdout } = await execFileAsync(process.execPath, args, {
    env,
    encoding: 'utf8',
    cwd: join(file, '..'),
    timeout: 60_000,
  });
  const lines = stdout.trim().split('\n');
  return { ...(JSON.parse(lines.at(-1) ?? '{}') as Omit<ChildImport, 'output'>), output: lines.slice(0, -1) };
}

export interface BundleFigures extends BundleResult {
  /** Median over fresh processes, without and with `--enable-source-maps`. */
  readonly initMs: number;
  readonly initMsSourceMaps: number;
}

/** Bundles every function and measures each bundle's cold import, `runs` fresh processes each. */
export async function benchBundles(outdir: string, runs = 5): Promise<BundleFigures[]> {
  const bundles = await bundleAll(outdir);
  const figures: BundleFigures[] = [];
  for (const bundle of bundles) {
    if (bundle.errors.length > 0)
      throw new Error(`bundling ${bundle.name} failed: ${bundle.errors.map((e) => e.text).join('; ')}`);
    const plain: number[] = [];
    const mapped: number[] = [];
    // Alternate the two variants so drift on a shared machine hits both alike.
    for (let run = 0; run < runs; run++) {
      plain.push((await importInChild(bundle.file)).importMs);
      mapped.push((await importInChild(bundle.file, { sourceMaps: true })).importMs);
    }
    figures.push({ ...bundle, initMs: median(plain), initMsSourceMaps: median(mapped) });
  }
  return figures;
}

import { Duration, Size } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface AttributionFunctionProps {
  /** The folder under `functions/` whose `handler.ts` is the entry point. */
  readonly name: string;
  /** Shared environment (table names, config); merged under `environment`. */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  readonly environment?: Readonly<Record<string, string>>;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly reservedConcurrentExecutions?: number;
  /**
   * Carries the DuckDB engine: the native binding and the metric SQL files ship beside the bundle.
   * Such a function runs on x86_64, the architecture of the binding `npm ci` installs here, so the
   * binary that ran the tests is the binary deployed.
   */
  readonly engine?: boolean;
  /** /tmp of an engine function (fetched lake partitions, DuckDB's spill files); 4 GiB by default. */
  readonly ephemeralStorage?: Size;
  /** The attribution config file, copied into the asset as CONFIG_FILE_NAME (not into the environment). */
  readonly configFile?: string;
}

/** Name of the config file in every function's asset (`/var/task/<name>` on Lambda). */
export const CONFIG_FILE_NAME = 'attribution.config.json';

/** The functions that carry the engine: the lake builder (load) and the job tasks (compute). */
export const ENGINE_FUNCTIONS = ['compute', 'load'] as const;

/** The packages of the DuckDB binding for linux-x64 (glibc), copied into engine functions' assets. */
export const ENGINE_PACKAGES = [
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  '@duckdb/node-bindings-linux-x64',
  'detect-libc',
] as const;

/**
 * The house Lambda: Node.js 22 on arm64 (x86_64 with the engine), an ESM bundle from esbuild
 * (minified, with source maps), X-Ray tracing, structured logs into its own log group with a
 * retention, and an environment that merges the shared variables with the function's own (never
 * overwrites them silently: a clash is an error).
 */
export class AttributionFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AttributionFunctionProps) {
    const clash = Object.keys(props.environment ?? {}).filter((key) => key in props.baseEnvironment);
    if (clash.length > 0)
      throw new Error(`${id}: environment variables ${clash.join(', ')} are already set for every function`);
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
    const functionProps: NodejsFunctionProps = {
      entry: `functions/${props.name}/handler.ts`,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: props.engine ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      // Fetched lake partitions and DuckDB's spill files live in /tmp.
      ...(props.engine ? { ephemeralStorageSize: props.ephemeralStorage ?? Size.mebibytes(4096) } : {}),
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      depsLockFilePath: 'package-lock.json',
      projectRoot: '.',
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `attribution-${props.name}`,
        ...props.baseEnvironment,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        // Error class names are what Step Functions retries by (RETRIED_ERRORS): keep them.
        keepNames: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // CommonJS dependencies call `require`; ESM bundles need one made for them.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // Never bundled (a native binding, loaded on first use); only engine functions ship it.
        externalModules: [...ENGINE_PACKAGES],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...(props.configFile ? [`cp "${props.configFile}" "${outputDir}/${CONFIG_FILE_NAME}"`] : []),
            // Metric SQL sits beside the bundle, where shared/metrics/sql.ts looks for it.
            ...(props.engine
              ? [
                  `mkdir -p "${outputDir}/node_modules/@duckdb"`,
                  ...ENGINE_PACKAGES.map(
                    (name) => `cp -R "${inputDir}/node_modules/${name}" "${outputDir}/node_modules/${name}"`,
                  ),
                  `cp "${inputDir}"/shared/metrics/*.sql "${outputDir}/"`,
                ]
              : []),
          ],
        },
      },
    };
    super(scope, id, functionProps);
  }
}

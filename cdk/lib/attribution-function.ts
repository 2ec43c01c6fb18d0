import { Duration } from 'aws-cdk-lib';
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
}

/**
 * The house Lambda: Node.js 22 on arm64, an ESM bundle from esbuild (minified, with source
 * maps), X-Ray tracing, structured logs into its own log group with a retention, and an
 * environment that merges the shared variables with the function's own (never overwrites them
 * silently: a clash is an error).
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
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
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
        sourceMap: true,
        mainFields: ['module', 'main'],
        // CommonJS dependencies call `require`; ESM bundles need one made for them.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    };
    super(scope, id, functionProps);
  }
}

import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lazyHandler } from './lazy.ts';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'attribution';

/** The one structured logger; `POWERTOOLS_LOG_LEVEL` and `POWERTOOLS_SERVICE_NAME` tune it. */
export const logger = new Logger({ serviceName });

/**
 * CloudWatch metrics as EMF log lines, flushed after each invocation by {@link lambdaEntry}.
 * `POWERTOOLS_METRICS_DISABLED` turns them off (the local runtime and the tests do).
 */
export const metrics = new Metrics({
  namespace: 'Attribution',
  serviceName,
  // An invocation that records nothing (most queries) is normal, not a warning; other warnings stay.
  logger: {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) =>
      message.startsWith('No application metrics to publish') ? logger.debug(message) : logger.warn(message),
    error: (message: string) => logger.error(message),
  },
});

/** X-Ray: one segment per invocation with the SDK calls under it; off outside Lambda. */
export const tracer = new Tracer({ serviceName });

export { MetricUnit };

/**
 * A Lambda entry point as Powertools' docs build one with middy: the logger carries the
 * request id and cold-start flag, metrics are flushed (with a ColdStart count), and the
 * invocation is traced. Responses are not recorded in traces (a query answer can be 6 MB).
 * The dependencies are built on the first invocation ({@link lazyHandler}).
 */
export function lambdaEntry<E, R>(
  build: () =>
    | ((event: E, context: Context) => Promise<R>)
    | Promise<(event: E, context: Context) => Promise<R>>,
): (event: E, context: Context) => Promise<R> {
  const handler = lazyHandler(build);
  return middy<E, R, Error, Context>((event: E, context: Context) => handler(event, context))
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(injectLambdaContext(logger));
}

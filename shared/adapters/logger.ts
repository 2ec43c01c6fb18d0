import { Logger } from '@aws-lambda-powertools/logger';

/** The one structured logger; `POWERTOOLS_LOG_LEVEL` and `POWERTOOLS_SERVICE_NAME` tune it. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'attribution' });

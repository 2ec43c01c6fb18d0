import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lazyHandler } from '#adapters/lazy.ts';
import { logger } from '#adapters/logger.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { validateEventBatch } from '#domain/event-batch.ts';
import { MAX_BATCH_BYTES } from '#domain/event-schema.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';

/**
 * `POST /v1/events`: validates each event, writes the accepted ones to the raw zone and answers
 * 202 only once they are durable. If the raw store fails the answer is 503 and nothing counts.
 */
export function createIngestHandler(pipeline: Pipeline) {
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    const body = readJsonBody(event, { maxBytes: MAX_BATCH_BYTES });
    const outcome = validateEventBatch(body, pipeline.normaliser, new Date().toISOString());
    if (outcome.accepted.length > 0)
      await pipeline.rawStore.putEvents(outcome.accepted, context.awsRequestId);
    logger.info('ingested', {
      accepted: outcome.accepted.length,
      duplicates: outcome.duplicates,
      rejected: outcome.rejected.length,
    });
    return jsonResponse(202, {
      accepted: outcome.accepted.length,
      duplicates: outcome.duplicates,
      rejected: outcome.rejected,
    });
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'ingest' }));
}

export const handler = lazyHandler(async () =>
  createIngestHandler(await createPipelineFromEnvironment({ hashSecret: true })),
);

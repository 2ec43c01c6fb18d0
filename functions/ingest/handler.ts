import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaEntry, logger } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { eventBatchSchema, MAX_BATCH_BYTES } from '#domain/event-schema.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { takeInEvents } from '#services/intake.ts';

/**
 * `POST /v1/events`: validates each event, writes the accepted ones to the raw zone and answers
 * 202 only once they are durable. If the raw store fails the answer is 503 and nothing counts.
 */
export function createIngestHandler(pipeline: Pipeline) {
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    const { events } = parseOrThrow(
      eventBatchSchema,
      readJsonBody(event, { maxBytes: MAX_BATCH_BYTES }),
      'request body',
    );
    const outcome = await takeInEvents(
      {
        candidates: events.map((candidate, index) => ({ index, event: candidate })),
        source: 'events',
        requestId: context.awsRequestId,
        receivedAt: new Date().toISOString(),
      },
      pipeline,
    );
    logger.info('ingested', { ...outcome, rejected: outcome.rejected.length });
    return jsonResponse(202, outcome);
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'ingest' }));
}

export const handler = lambdaEntry(async () =>
  createIngestHandler(await createPipelineFromEnvironment({ hashSecret: true })),
);

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaEntry } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { normaliseSpendBody } from '#domain/spend.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';

const MAX_SPEND_BYTES = 2_000_000;

/** `POST /v1/spend`: validates every row, then upserts them all (a row sent again replaces itself). */
export function createSpendHandler(pipeline: Pipeline) {
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent) => {
    const body = readJsonBody(event, { maxBytes: MAX_SPEND_BYTES });
    const rows = normaliseSpendBody(body, {
      classifier: pipeline.classifier,
      currency: pipeline.config.currency,
    });
    await pipeline.spendStore.upsert(rows);
    return jsonResponse(200, { upserted: rows.length });
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'ingest' }));
}

export const handler = lambdaEntry(async () => createSpendHandler(await createPipelineFromEnvironment()));

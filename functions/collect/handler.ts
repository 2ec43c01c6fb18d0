import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { logger } from '#adapters/logger.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { resolveSecretReferences } from '#adapters/secret-references.ts';
import {
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BATCH_BYTES,
  SINGLE_MESSAGE_TYPES,
  segmentBatchSchema,
  segmentSettingsFor,
} from '#domain/segment.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { corsHeaders, preflightResponse } from '#http/cors.ts';
import { httpErrorHandler } from '#http/middleware.ts';
import { header, readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { TAG_JS } from '#http/tag-asset.generated.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { authenticateWriteKey, collectMessages } from '#services/collect.ts';

/**
 * The routes browsers and SDKs send to (Segment's tracking API and its analytics.js paths,
 * RudderStack's, the first-party tag's `/v1/tag.js`), with their CORS preflights. Auth: the write
 * key as HTTP Basic user name, `writeKey` in the body or `?writeKey=` (RudderStack's beacon).
 * Answers 200 once everything is in S3.
 */
export function createCollectHandler(pipeline: Pipeline) {
  const { allowedOrigins } = pipeline.config.cors;
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    if (event.requestContext.http.method === 'OPTIONS') return preflightResponse(event, allowedOrigins);
    if (event.rawPath === '/v1/tag.js') return tagResponse();
    if (event.routeKey === 'GET /v1/projects/{writeKey}/settings') return settingsResponse(event, pipeline);
    const single = SINGLE_MESSAGE_TYPES[event.rawPath];
    // Segment's API reads JSON whatever the content type; RudderStack's client posts gzip as form data.
    const body = readJsonBody(event, {
      maxBytes: single ? MAX_MESSAGE_BYTES : MAX_SEGMENT_BATCH_BYTES,
      anyContentType: true,
    });
    const envelope = single
      ? parseOrThrow(z.looseObject({ writeKey: z.string().optional() }), body, 'message')
      : parseOrThrow(segmentBatchSchema, body, 'batch');
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(event, 'authorization') ?? '');
    const origin = header(event, 'origin');
    await authenticateWriteKey(
      {
        key: basic?.[1]
          ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0]
          : (envelope.writeKey ?? event.queryStringParameters?.writeKey),
        origin,
      },
      pipeline,
    );
    // The write key authenticates; it is not part of the message and must not reach the archive.
    const { writeKey: _writeKey, ...rest } = envelope as Record<string, unknown>;
    const outcome = await collectMessages(
      {
        messages: single ? [{ ...rest, type: single }] : (envelope as { batch: unknown[] }).batch,
        requestId: context.awsRequestId,
        receivedAt: new Date().toISOString(),
        secGpc: header(event, 'sec-gpc'),
        browserUserAgent: origin ? header(event, 'user-agent') : undefined,
      },
      pipeline,
    );
    logger.info('collected', { ...outcome, rejected: outcome.rejected.length });
    return jsonResponse(200, { success: true, ...outcome });
  })
    .use(corsHeaders(allowedOrigins))
    .use(httpErrorHandler());
}

/** analytics.js's settings (its `cdnURL` pointed here), for a valid write key. */
async function settingsResponse(event: HttpEvent, pipeline: Pipeline): Promise<HttpResult> {
  const writeKey = event.pathParameters?.writeKey;
  await authenticateWriteKey({ key: writeKey, origin: header(event, 'origin') }, pipeline);
  const settings = segmentSettingsFor({
    writeKey: writeKey as string,
    host: header(event, 'host') ?? event.requestContext.domainName,
    secure: header(event, 'x-forwarded-proto')?.split(',')[0]?.trim() !== 'http',
  });
  return jsonResponse(200, settings, { 'cache-control': 'public, max-age=300' });
}

/** The first-party tag: public, cached an hour by browsers, a day by shared caches. */
function tagResponse(): HttpResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600, s-maxage=86400',
      'x-content-type-options': 'nosniff',
    },
    body: TAG_JS,
  };
}

export const handler = lazyHandler(async () => {
  const pipeline = await createPipelineFromEnvironment({ hashSecret: true });
  const writeKeys = await resolveSecretReferences(pipeline.config.writeKeys);
  return createCollectHandler({ ...pipeline, config: { ...pipeline.config, writeKeys } });
});

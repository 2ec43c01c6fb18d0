import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lambdaEntry, logger } from '#adapters/observability.ts';
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
import { basicUserOf, header, readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import { TAG_JS } from '#http/tag-asset.generated.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { authenticateWriteKey, collectMessages } from '#services/collect.ts';

const envelopeSchema = z.looseObject({ writeKey: z.string().optional(), sentAt: z.string().optional() });

/**
 * The routes browsers and SDKs send to (Segment's tracking API and its analytics.js paths,
 * RudderStack's beacon batch), their CORS preflights, analytics.js's settings and our tag. The
 * write key comes as HTTP Basic user name, `writeKey` in the body or `?writeKey=` (RudderStack's
 * beacon). Answers 200 once everything is in S3.
 */
export function createCollectHandler(pipeline: Pipeline) {
  const { allowedOrigins } = pipeline.config.cors;
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    const [method, path = ''] = event.routeKey.split(' ');
    if (method === 'OPTIONS') return preflightResponse(event, allowedOrigins);
    if (path === '/v1/tag.js') return tagResponse();
    if (path === '/v1/projects/{writeKey}/settings') return settingsResponse(event, pipeline);
    const single = SINGLE_MESSAGE_TYPES[path];
    // Segment's API reads JSON whatever the content type; RudderStack's client posts gzip as form data.
    const body = readJsonBody(event, {
      maxBytes: single ? MAX_MESSAGE_BYTES : MAX_SEGMENT_BATCH_BYTES,
      anyContentType: true,
    });
    const envelope = parseOrThrow(
      single ? envelopeSchema : segmentBatchSchema,
      body,
      single ? 'message' : 'batch',
    );
    const origin = header(event, 'origin');
    const key = basicUserOf(event) ?? envelope.writeKey ?? event.queryStringParameters?.writeKey;
    await authenticateWriteKey({ key, origin, serverKeys: origin === undefined }, pipeline);
    // The write key authenticates; it is not part of the message and must not reach the archive.
    const { writeKey: _writeKey, ...message } = envelope as Record<string, unknown>;
    const outcome = await collectMessages(
      {
        messages: single ? [{ ...message, type: single }] : (envelope as { batch: unknown[] }).batch,
        requestId: context.awsRequestId,
        receivedAt: new Date().toISOString(),
        batchSentAt: single ? undefined : envelope.sentAt,
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

/** analytics.js's settings (its `cdnURL` pointed here), for a write key: per key, so not shared-cached. */
async function settingsResponse(event: HttpEvent, pipeline: Pipeline): Promise<HttpResult> {
  const writeKey = event.pathParameters?.writeKey;
  // Settings carry the key back: write keys only, never a secret one.
  await authenticateWriteKey({ key: writeKey, origin: header(event, 'origin'), serverKeys: false }, pipeline);
  const settings = segmentSettingsFor({
    writeKey: writeKey as string,
    host: header(event, 'host') ?? event.requestContext.domainName,
    secure: header(event, 'x-forwarded-proto')?.split(',')[0]?.trim() !== 'http',
  });
  return jsonResponse(200, settings, { 'cache-control': 'private, max-age=300' });
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

export const handler = lambdaEntry(async () => {
  const pipeline = await createPipelineFromEnvironment({ hashSecret: true });
  const writeKeys = await resolveSecretReferences(pipeline.config.writeKeys);
  return createCollectHandler({ ...pipeline, config: { ...pipeline.config, writeKeys } });
});

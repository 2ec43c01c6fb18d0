import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { logger } from '#adapters/logger.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { resolveSecretReferences } from '#adapters/secret-references.ts';
import { type FieldIssue, UnauthorizedError } from '#domain/errors.ts';
import {
  eventIdOf,
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BATCH_BYTES,
  mapSegmentMessage,
  segmentBatchSchema,
  segmentMessageSchema,
} from '#domain/segment.ts';
import { parseOrThrow, toFieldIssues } from '#domain/zod-issues.ts';
import { httpErrorHandler } from '#http/middleware.ts';
import { header, readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { takeInEvents } from '#services/intake.ts';

const TYPE_OF_ROUTE: Readonly<Record<string, string>> = {
  'POST /v1/track': 'track',
  'POST /v1/page': 'page',
  'POST /v1/identify': 'identify',
  'POST /v1/screen': 'screen',
  'POST /v1/group': 'group',
  'POST /v1/alias': 'alias',
};

/**
 * The Segment HTTP Tracking API (`/v1/batch`, `/v1/track`, `/v1/page`, `/v1/identify`,
 * `/v1/screen`, `/v1/group`, `/v1/alias`), so Segment and RudderStack server SDKs deliver here
 * unchanged. Auth: HTTP Basic with the write key as user name, or `writeKey` in the body; a
 * configured write key or any ingest API key is accepted. Answers 200 once everything is in S3.
 */
export function createCollectHandler(pipeline: Pipeline) {
  const writeKeys = new Set(pipeline.config.writeKeys);

  const authenticate = async (event: HttpEvent, bodyKey: string | undefined) => {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(event, 'authorization') ?? '');
    const key = basic?.[1] ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] : bodyKey;
    if (!key) throw new UnauthorizedError('send the write key as HTTP Basic user name or as writeKey');
    if (writeKeys.has(key)) return;
    const record = await pipeline.keyStore.find(key);
    if (!record?.scopes.includes('ingest')) throw new UnauthorizedError('the write key is not valid');
  };

  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    const single = TYPE_OF_ROUTE[event.routeKey];
    // Segment's API reads JSON whatever the content type; RudderStack's client posts gzip as form data.
    const body = readJsonBody(event, {
      maxBytes: single ? MAX_MESSAGE_BYTES : MAX_SEGMENT_BATCH_BYTES,
      anyContentType: true,
    });
    const envelope = single
      ? parseOrThrow(z.looseObject({ writeKey: z.string().optional() }), body, 'message')
      : parseOrThrow(segmentBatchSchema, body, 'batch');
    await authenticate(event, envelope.writeKey);

    // The write key authenticates; it is not part of the message and must not reach the archive.
    const { writeKey: _writeKey, ...rest } = envelope as Record<string, unknown>;
    const messages: unknown[] = single
      ? [{ ...rest, type: single }]
      : (envelope as { batch: unknown[] }).batch;
    const receivedAt = new Date().toISOString();
    const candidates: Array<{ index: number; event: unknown }> = [];
    /** Indexes whose event only links ids: one that cannot link is archived, not rejected. */
    const linksOnly = new Set<number>();
    const archived: unknown[] = [];
    const rejected: Array<{ index: number; errors: readonly FieldIssue[] }> = [];
    messages.forEach((candidate, index) => {
      if (byteLengthOf(candidate) > MAX_MESSAGE_BYTES) {
        rejected.push({
          index,
          errors: [{ path: '(message)', message: `must be at most ${MAX_MESSAGE_BYTES} bytes` }],
        });
        return;
      }
      const message = segmentMessageSchema.safeParse(candidate);
      if (!message.success) {
        rejected.push({ index, errors: toFieldIssues(message.error) });
        return;
      }
      const mapping = mapSegmentMessage(message.data, pipeline.config, receivedAt);
      if (mapping.kind === 'event') {
        candidates.push({ index, event: mapping.event });
        return;
      }
      archived.push({ ...message.data, receivedAt });
      // Any message that carries both ids (an identify, a track...) also joins the journeys, and an
      // alias joins a user's earlier id to the new one: each goes to the raw zone as an identify.
      const { anonymousId, userId, previousId } = message.data;
      const alias = message.data.type === 'alias' && previousId !== undefined;
      if (userId === undefined || (anonymousId === undefined && !alias)) return;
      linksOnly.add(index);
      candidates.push({
        index,
        event: {
          type: 'identify',
          eventId: eventIdOf(message.data),
          occurredAt: receivedAt,
          userId,
          ...(alias ? { previousId } : { anonymousId }),
        },
      });
    });
    const [outcome] = await Promise.all([
      takeInEvents({ candidates, source: 'segment', requestId: context.awsRequestId, receivedAt }, pipeline),
      archived.length > 0 ? pipeline.rawStore.putArchive(archived, context.awsRequestId) : undefined,
    ]);
    rejected.push(...outcome.rejected.filter((r) => !linksOnly.has(r.index)));
    rejected.sort((a, b) => a.index - b.index);
    const accepted = outcome.accepted;
    logger.info('collected', { accepted, archived: archived.length, rejected: rejected.length });
    return jsonResponse(200, {
      success: true,
      accepted,
      archived: archived.length,
      rejected,
    });
  }).use(httpErrorHandler());
}

/** Serialised size; a value nested too deep to serialise counts as too large. */
function byteLengthOf(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export const handler = lazyHandler(async () => {
  const pipeline = await createPipelineFromEnvironment({ hashSecret: true });
  const writeKeys = await resolveSecretReferences(pipeline.config.writeKeys);
  return createCollectHandler({ ...pipeline, config: { ...pipeline.config, writeKeys } });
});

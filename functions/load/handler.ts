import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { logger } from '#adapters/logger.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { RAW_PREFIX } from '#adapters/raw-store.ts';
import { loadRawObject } from '#services/load-raw.ts';

/** An S3 event notification as SQS delivers it; `s3:TestEvent` messages have no `Records`. */
const s3NotificationSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({ bucket: z.object({ name: z.string() }), object: z.object({ key: z.string() }) }),
      }),
    )
    .default([]),
});

/**
 * SQS → load: each message names raw objects (S3 `ObjectCreated` notifications); each object's
 * events go into the events table. A message that fails is reported in `batchItemFailures`, so
 * SQS retries only it and, after the retries, moves it to the DLQ; the rest of the batch proceeds.
 */
export function createLoadHandler(pipeline: Pipeline) {
  const processRecord = async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch (error) {
      throw poison(record, 'message body is not JSON', error);
    }
    const parsed = s3NotificationSchema.safeParse(body);
    if (!parsed.success) throw poison(record, 'message is not an S3 event notification', parsed.error);
    for (const notification of parsed.data.Records) {
      if (!notification.eventName.startsWith('ObjectCreated')) continue;
      // S3 URL-encodes keys in notifications, with `+` for spaces.
      const key = decodeURIComponent(notification.s3.object.key.replace(/\+/g, ' '));
      // Compute partials share the bucket; only the raw zone is loaded.
      if (!key.startsWith(RAW_PREFIX)) continue;
      const outcome = await loadRawObject(key, pipeline).catch((error: unknown) => {
        // Ingest deletes the objects of a request that failed as a whole; their notifications still come.
        if ((error as Error).name === 'NoSuchKey') return undefined;
        throw poison(record, `raw object ${key} could not be loaded`, error);
      });
      if (!outcome) {
        logger.warn('raw object no longer exists; nothing to load', { key });
        continue;
      }
      if (outcome.invalid.length > 0) {
        throw poison(
          record,
          `raw object ${key} has ${outcome.invalid.length} invalid lines`,
          outcome.invalid,
        );
      }
      logger.debug('loaded raw object', { key, events: outcome.loaded });
    }
  };

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
      // One record after another: identity links in one object must land before the next object's events.
      processInParallel: false,
    });
}

function poison(record: SQSRecord, reason: string, cause: unknown): Error {
  logger.error('load failed', { messageId: record.messageId, reason, cause });
  return new Error(reason, { cause });
}

export const handler = lazyHandler(async () => createLoadHandler(await createPipelineFromEnvironment()));

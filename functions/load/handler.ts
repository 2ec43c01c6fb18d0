import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { lazyHandler } from '#adapters/lazy.ts';
import { logger } from '#adapters/logger.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { RAW_PREFIX, rawKeyDate } from '#adapters/raw-store.ts';
import type { DayBuild } from '#services/build-lake.ts';
import { refreshLakeDays } from '#services/refresh-lake.ts';

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

export interface LoadHandlerProps {
  /** Told of the days rebuilt by each batch (the local runtime recomputes them). */
  readonly onBuilt?: (builds: readonly DayBuild[]) => void;
}

/**
 * SQS → lake: each message names new raw objects (S3 `ObjectCreated` notifications); the UTC days
 * they belong to are rebuilt once per batch, however many objects of a day the batch names. A day
 * whose rebuild fails fails the messages that named it (`batchItemFailures`), so SQS retries only
 * those and, after its retries, moves them to the DLQ; the other days proceed.
 */
export function createLoadHandler(pipeline: Pipeline, props: LoadHandlerProps = {}) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const daysOf = new Map<string, Set<string> | string>();
    for (const record of event.Records) daysOf.set(record.messageId, daysNamedBy(record));
    const dates = [
      ...new Set([...daysOf.values()].flatMap((days) => (typeof days === 'string' ? [] : [...days]))),
    ].sort();
    const { builds, failed } = await refreshLakeDays(dates, pipeline);
    if (builds.length > 0) props.onBuilt?.(builds);
    // Messages of failed days throw; the rest pass (Powertools turns this into batchItemFailures).
    const processRecord = async (record: SQSRecord) => {
      const days = daysOf.get(record.messageId) ?? new Set<string>();
      // A message that is no notification can never succeed: it goes to the DLQ for a look.
      if (typeof days === 'string') throw new Error(days);
      const reasons = [...days].flatMap((day) => failed.get(day) ?? []);
      if (reasons.length > 0) throw new Error(`lake days could not be rebuilt: ${reasons.join('; ')}`);
    };
    return processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

/** The UTC days of the raw objects a message names, or why it is poison. */
function daysNamedBy(record: SQSRecord): Set<string> | string {
  const days = new Set<string>();
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    return poison(record, 'message body is not JSON');
  }
  const parsed = s3NotificationSchema.safeParse(body);
  if (!parsed.success) return poison(record, 'message is not an S3 event notification');
  for (const notification of parsed.data.Records) {
    if (!notification.eventName.startsWith('ObjectCreated')) continue;
    // S3 URL-encodes keys in notifications, with `+` for spaces.
    const key = decodeURIComponent(notification.s3.object.key.replace(/\+/g, ' '));
    // The lake and compute partials share the bucket; only the raw zone feeds the lake.
    if (!key.startsWith(RAW_PREFIX)) continue;
    const date = rawKeyDate(key);
    if (date) days.add(date);
  }
  return days;
}

function poison(record: SQSRecord, reason: string): string {
  logger.error('load failed', { messageId: record.messageId, reason });
  return reason;
}

export const handler = lazyHandler(async () => createLoadHandler(await createPipelineFromEnvironment()));

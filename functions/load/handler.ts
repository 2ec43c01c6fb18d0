import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { lambdaEntry, logger, MetricUnit, metrics } from '#adapters/observability.ts';
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
 * SQS → lake: each message names new raw objects (S3 `ObjectCreated` notifications); the objects
 * of each UTC day are appended to it as one part per batch (compute jobs build settled days whole
 * later). A day whose refresh fails fails the messages that named it
 * (`batchItemFailures`), so SQS retries only those and, after its retries, moves them to the DLQ;
 * the other days proceed.
 */
export function createLoadHandler(pipeline: Pipeline, props: LoadHandlerProps = {}) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const daysOf = new Map<string, Map<string, string[]> | string>();
    for (const record of event.Records) daysOf.set(record.messageId, objectsNamedBy(record));
    const keysByDay = new Map<string, string[]>();
    for (const days of daysOf.values()) {
      if (typeof days === 'string') continue;
      for (const [date, keys] of days) keysByDay.set(date, [...(keysByDay.get(date) ?? []), ...keys]);
    }
    // Before the refresh: the lag matters most when loading fails.
    recordLoadLag(event.Records);
    const { builds, failed } = await refreshLakeDays(keysByDay, pipeline);
    if (builds.length > 0) props.onBuilt?.(builds);
    // Messages of failed days throw; the rest pass (Powertools turns this into batchItemFailures).
    const processRecord = async (record: SQSRecord) => {
      const days = daysOf.get(record.messageId) ?? new Map<string, string[]>();
      // A message that is no notification can never succeed: it goes to the DLQ for a look.
      if (typeof days === 'string') throw new Error(days);
      const reasons = [...days.keys()].flatMap((day) => failed.get(day) ?? []);
      if (reasons.length > 0) throw new Error(`lake days could not be rebuilt: ${reasons.join('; ')}`);
    };
    return processPartialResponse(event, processRecord, new BatchProcessor(EventType.SQS), {
      context,
      throwOnFullBatchFailure: false,
    });
  };
}

/** Seconds from the oldest message's arrival (S3 sends it as the object is created) to the load. */
function recordLoadLag(records: readonly SQSRecord[]): void {
  const sent = records.map((r) => Number(r.attributes.SentTimestamp)).filter(Number.isFinite);
  if (sent.length > 0)
    metrics.addMetric('LoadLag', MetricUnit.Seconds, (Date.now() - Math.min(...sent)) / 1000);
}

/** The raw objects a message names, by UTC day, or why it is poison. */
function objectsNamedBy(record: SQSRecord): Map<string, string[]> | string {
  const days = new Map<string, string[]>();
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
    if (date) days.set(date, [...(days.get(date) ?? []), key]);
  }
  return days;
}

function poison(record: SQSRecord, reason: string): string {
  logger.error('load failed', { messageId: record.messageId, reason });
  return reason;
}

export const handler = lambdaEntry(async () => createLoadHandler(await createPipelineFromEnvironment()));

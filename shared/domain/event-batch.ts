import type { FieldIssue } from './errors.ts';
import { eventBatchSchema, eventSchema } from './event-schema.ts';
import type { Normaliser } from './normalise.ts';
import type { NormalisedEvent } from './normalised-event.ts';
import { parseOrThrow, toFieldIssues } from './zod-issues.ts';

export interface RejectedEvent {
  readonly index: number;
  readonly errors: readonly FieldIssue[];
}

export interface EventBatchOutcome {
  readonly accepted: NormalisedEvent[];
  /** Events whose `eventId` already came earlier in the same batch. */
  readonly duplicates: number;
  readonly rejected: RejectedEvent[];
}

/**
 * Validates a `POST /v1/events` body. A bad envelope throws a `ValidationError`; inside a good
 * envelope each event stands alone, so valid events are accepted even when others are not.
 */
export function validateEventBatch(
  body: unknown,
  normaliser: Normaliser,
  receivedAt: string,
): EventBatchOutcome {
  const { events } = parseOrThrow(eventBatchSchema, body, 'request body');
  const accepted: NormalisedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  events.forEach((candidate, index) => {
    const parsed = eventSchema.safeParse(candidate);
    if (!parsed.success) {
      rejected.push({ index, errors: toFieldIssues(parsed.error) });
      return;
    }
    const issues = normaliser.checkEvent(parsed.data);
    if (issues.length > 0) {
      rejected.push({ index, errors: issues });
      return;
    }
    if (seen.has(parsed.data.eventId)) {
      duplicates += 1;
      return;
    }
    seen.add(parsed.data.eventId);
    accepted.push(normaliser.normalise(parsed.data, receivedAt));
  });
  return { accepted, duplicates, rejected };
}

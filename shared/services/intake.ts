import { MetricUnit, metrics } from '#adapters/observability.ts';
import type { RawStore } from '#adapters/raw-store.ts';
import type { AttributionConfig } from '#domain/config.ts';
import { type FieldIssue, InternalError } from '#domain/errors.ts';
import { eventSchema, type StoredEvent } from '#domain/event-schema.ts';
import { checkEventForConfig, toStoredEvent } from '#domain/stored-event.ts';
import { toFieldIssues } from '#domain/zod-issues.ts';

export interface RejectedEvent {
  readonly index: number;
  readonly errors: readonly FieldIssue[];
}

export interface IntakeOutcome {
  readonly accepted: number;
  /** Events whose `eventId` already came earlier in the same request (the later copy is kept). */
  readonly duplicates: number;
  readonly rejected: RejectedEvent[];
}

export interface IntakeRequest {
  /** Candidate canonical events, one per index of the sender's request. */
  readonly candidates: ReadonlyArray<{ readonly index: number; readonly event: unknown }>;
  /** `events`, `segment` or `webhook:<provider>`. */
  readonly source: string;
  readonly requestId: string;
  readonly receivedAt: string;
}

export interface IntakeDeps {
  readonly rawStore: RawStore;
  readonly config: AttributionConfig;
  /** Keys the e-mail hash; absent where a function takes in no events (a wiring error there). */
  readonly hashSecret: string | undefined;
}

/**
 * The one way events come in, for every sender: validate each event on its own (good ones survive
 * bad ones), refuse what this deployment could never sum (another currency), drop repeats within the
 * request, hash PII and stamp arrival, then write the raw zone. Resolves only once the events are
 * durable; a storage failure rejects the whole request (503) and nothing counts.
 */
export async function takeInEvents(request: IntakeRequest, deps: IntakeDeps): Promise<IntakeOutcome> {
  const stored: StoredEvent[] = [];
  const rejected: RejectedEvent[] = [];
  /** Where each event id sits in `stored`: a later copy replaces an earlier one, as in the lake. */
  const seen = new Map<string, number>();
  let duplicates = 0;
  for (const { index, event: candidate } of request.candidates) {
    const parsed = eventSchema.safeParse(candidate);
    const issues = parsed.success
      ? checkEventForConfig(parsed.data, deps.config)
      : toFieldIssues(parsed.error);
    if (!parsed.success || issues.length > 0) {
      rejected.push({ index, errors: issues });
      continue;
    }
    if (!deps.hashSecret) {
      throw new InternalError('no e-mail hash key is configured (PII_HASH_SECRET or PII_HASH_SECRET_ARN)');
    }
    const event = toStoredEvent(parsed.data, {
      receivedAt: request.receivedAt,
      source: request.source,
      hashSecret: deps.hashSecret,
    });
    const earlier = seen.get(parsed.data.eventId);
    if (earlier === undefined) {
      seen.set(parsed.data.eventId, stored.length);
      stored.push(event);
    } else {
      duplicates += 1;
      stored[earlier] = event;
    }
  }
  if (stored.length > 0) await deps.rawStore.putEvents(stored, request.requestId);
  // Each count is its own EMF document with its `source`: a dimension on the shared metrics
  // would stay for the next call in a process that serves many without a flush (the local runtime).
  const counts = {
    EventsAccepted: stored.length,
    EventsDuplicate: duplicates,
    EventsRejected: rejected.length,
  };
  for (const [name, value] of Object.entries(counts)) {
    const count = metrics.singleMetric();
    count.addDimension('source', request.source);
    count.addMetric(name, MetricUnit.Count, value);
  }
  return { accepted: stored.length, duplicates, rejected };
}

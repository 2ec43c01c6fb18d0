import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeAttribution } from '#domain/attribution/index.ts';
import { addDays, datesBetween } from '#domain/dates.ts';
import { mergeAll } from '#domain/metrics/index.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { jobDepsOf } from '#functions/jobs/handler.ts';
import { createSpendHandler } from '#functions/spend/handler.ts';
import { localDocumentClient } from '#local/servers.ts';
import { computeBucket } from '#services/compute.ts';
import { refreshLakeDays, wholeDays } from '#services/refresh-lake.ts';
import { RANGE, SCENARIO_EVENTS, SCENARIO_SPEND } from '../../fixtures/scenario.ts';
import { computeRange } from '../../support/engine.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../../support/stack.ts';

let stack: TestStack;

async function storedDays() {
  return await stack.pipeline.results.readRange(RANGE.from, RANGE.to, { largest: 1 });
}

const deps = () => jobDepsOf(stack.pipeline);
const rebuildLake = () =>
  refreshLakeDays(wholeDays(datesBetween(addDays(RANGE.from, -1), addDays(RANGE.to, 1))), stack.pipeline);

describe('compute over the lake', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    await createSpendHandler(stack.pipeline)(
      apiEvent({ path: '/v1/spend', body: { rows: SCENARIO_SPEND } }),
      testContext(),
    );
    await rebuildLake();
  });
  afterAll(() => stack.close());

  it('gives identical partials whether persons are split into 1 or 3 buckets', async () => {
    const bySegments = [];
    // Random journeys over 2 to 8 buckets: test/integration/metrics/attribution-properties.test.ts.
    for (const total of [1, 3]) {
      const parts = [];
      for (let bucket = 0; bucket < total; bucket++)
        parts.push((await computeBucket(RANGE, bucket, total, deps())).partial);
      bySegments.push(
        JSON.stringify({
          metrics: mergeAll(parts.map((p) => p.metrics)),
          attribution: mergeAttribution(parts.map((p) => p.attribution)),
        }),
      );
    }
    expect(bySegments[1]).toBe(bySegments[0]);
  });

  it('stores one partial per day, and a re-run with the same data stores the same partials', async () => {
    const first = await computeRange(RANGE, 'v1', 3, deps());
    expect(first).toEqual({ events: SCENARIO_EVENTS.length, days: 7, buckets: 3 });
    const before = await storedDays();
    // Every section holds every day.
    for (const parts of Object.values(before))
      expect([...parts.keys()]).toEqual(datesBetween(RANGE.from, RANGE.to));
    await computeRange(RANGE, 'v2', 2, deps());
    expect(await storedDays()).toEqual(before);
  });

  it('gives identical results on a re-run after a compute killed while writing its days', async () => {
    await computeRange(RANGE, 'clean', 3, deps());
    const clean = await storedDays();
    // A client that dies on the second batch write: the new chunks are written, no head is switched.
    const dying = localDocumentClient(stack.servers.dynamoEndpoint);
    let writes = 0;
    dying.middlewareStack.add(
      (next, context) => async (args) => {
        if (String(context.commandName).startsWith('BatchWrite') && ++writes === 2) throw new Error('killed');
        return next(args);
      },
      { step: 'initialize', name: 'die-mid-run' },
    );
    const killed = stack.pipelineWith(({ s3 }) => ({ s3, dynamo: dying }));
    await expect(computeRange(RANGE, 'killed', 3, jobDepsOf(killed))).rejects.toThrow('killed');
    await computeRange(RANGE, 'rerun', 3, deps());
    expect(await storedDays()).toEqual(clean);
  });

  it('leaves metrics unchanged when every batch is delivered twice and every lake day rebuilt twice', async () => {
    await computeRange(RANGE, 'once', 3, deps());
    const once = await storedDays();
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    await createSpendHandler(stack.pipeline)(
      apiEvent({ path: '/v1/spend', body: { rows: SCENARIO_SPEND } }),
      testContext(),
    );
    await rebuildLake();
    await rebuildLake();
    await computeRange(RANGE, 'twice', 3, deps());
    expect(await storedDays()).toEqual(once);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toComputePartial } from '#domain/day-result.ts';
import { channelShare } from '#domain/metrics/index.ts';
import { createComputeHandler } from '#functions/compute/handler.ts';
import { createIngestHandler } from '#functions/ingest/handler.ts';
import { newJob } from '#services/jobs.ts';
import { createAttributionApp } from '../../cdk/lib/attribution-app.ts';
import { RANGE, SCENARIO_EVENTS } from '../fixtures/scenario.ts';
import { apiEvent, startTestStack, type TestStack, testContext } from '../support/stack.ts';
import { definitionFromTemplate, runStateMachine, type TaskFault } from '../support/state-machine.ts';

let definition: object;
let stack: TestStack;

/**
 * Runs the synthesised job state machine on aws-local-stepfunctions, every task served by the
 * real compute handler against the embedded servers, for a replay job created as the jobs API does.
 */
async function runReplay(faults?: Record<string, TaskFault | TaskFault[]>) {
  const job = newJob('replay', RANGE.from, RANGE.to);
  await stack.pipeline.results.put(job);
  const compute = createComputeHandler(stack.pipeline);
  const run = await runStateMachine(definition, {
    handlers: { ComputeFunction: (payload) => compute(payload) },
    input: { jobId: job.jobId, kind: job.kind, from: job.from, to: job.to },
    ...(faults ? { faults } : {}),
  });
  return { run, job: await stack.pipeline.results.get(job.jobId) };
}

async function touchesShare() {
  const days = await stack.pipeline.results.readRange(RANGE.from, RANGE.to);
  return channelShare(toComputePartial(days).metrics, { ...RANGE, basis: 'touches' });
}

describe('the job state machine, on a local ASL interpreter, against the real handlers', () => {
  beforeAll(async () => {
    const { pipeline } = createAttributionApp({
      configPath: 'attribution.config.json',
      outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')),
      context: {
        ...(JSON.parse(readFileSync('cdk.json', 'utf8')).context as object),
        'aws:cdk:bundling-stacks': [],
      },
    });
    ({ definition } = definitionFromTemplate(Template.fromStack(pipeline).toJSON(), 'JobStateMachine'));
    stack = await startTestStack();
    await createIngestHandler(stack.pipeline)(
      apiEvent({ path: '/v1/events', body: { events: SCENARIO_EVENTS } }),
      testContext(),
    );
    // The days are computed once up front, so each test may compare against them in any order.
    expect((await runReplay()).job?.status).toBe('succeeded');
  });
  afterAll(() => stack.close());

  it('plans, builds each lake day, computes each bucket and reduces; the job ends succeeded with its progress', async () => {
    const { run, job } = await runReplay();
    expect(run.status).toBe('SUCCEEDED');
    // 7 days in range + 1 on each side are rebuilt; the test stack computes in 3 buckets.
    expect(run.attempts).toEqual({ Plan: 1, BuildDay: 9, ComputeBucket: 3, Reduce: 1 });
    expect(job).toMatchObject({
      status: 'succeeded',
      progress: { done: 13, total: 13 },
      stats: { lakeDays: 9, lakeEvents: SCENARIO_EVENTS.length, events: SCENARIO_EVENTS.length, skipped: 0 },
    });
    expect((await touchesShare()).total).toBeGreaterThan(0);
  });

  it.each([
    ['a throttled bucket', 'ComputeBucket', 'Lambda.TooManyRequestsException'],
    ['a timed-out day build', 'BuildDay', 'States.Timeout'],
    ['a store that could not be reached', 'Reduce', 'ServiceUnavailableError'],
    ["a bucket past the function's own time-out", 'ComputeBucket', 'Sandbox.Timedout'],
    ['a day build out of memory', 'BuildDay', 'Runtime.OutOfMemory'],
  ])('retries %s and still succeeds with the same numbers', async (_, state, error) => {
    const clean = await touchesShare();
    const { run, job } = await runReplay({ [state]: { error, times: 1 } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.events.filter((e) => e.type === 'StateRetried')).toHaveLength(1);
    expect(job?.status).toBe('succeeded');
    expect(await touchesShare()).toEqual(clean);
  });

  it.each([
    ['fails for good', 'ComputeBucket', { error: 'Error' }],
    ['is throttled past every retry', 'BuildDay', { error: 'Lambda.TooManyRequestsException' }],
    ['fails in the plan', 'Plan', { error: 'Error' }],
  ])(
    'marks the job failed with the reason when a step %s; it never stays running',
    async (_, state, fault) => {
      const { run, job } = await runReplay({ [state]: fault });
      expect(run).toMatchObject({ status: 'FAILED', error: 'JobFailed' });
      expect(run.attempts.RecordFailure).toBe(1);
      expect(run.attempts.Reduce ?? 0).toBe(state === 'Reduce' ? 1 : 0);
      expect(job?.status).toBe('failed');
      expect(job?.error).toContain(fault.error);
    },
  );
});

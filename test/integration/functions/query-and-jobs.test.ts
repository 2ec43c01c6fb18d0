import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessRunner, createJobsHandler } from '#functions/jobs/handler.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import {
  apiEvent,
  bodyOf,
  INGEST_KEY,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

let stack: TestStack;
let query: ReturnType<typeof createQueryHandler>;
let jobs: ReturnType<typeof createJobsHandler>;

const metric = (path: string, params: Record<string, string>, key: string | null = QUERY_KEY) =>
  query(apiEvent({ path, query: params, key }), testContext('query'));

describe('query and jobs handlers', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    query = createQueryHandler(stack.pipeline);
    // Jobs answer 202 at once; here each start waits for its job, so the test can read the outcome.
    const runner = createInProcessRunner(stack.pipeline);
    jobs = createJobsHandler({
      pipeline: stack.pipeline,
      runner: { start: async (job) => runner.start(job).then(() => runner.idle()) },
    });
  });
  afterAll(() => stack.close());

  it.each([
    ['an impossible date', '/v1/metrics/channel-share', { from: '2026-02-30', to: '2026-03-01' }, 'from'],
    ['from after to', '/v1/metrics/channel-share', { from: '2026-03-02', to: '2026-03-01' }, 'from'],
    // Year 9999 once walked past the calendar: the series route never answered, the others 500.
    ['a date in year 9999', '/v1/metrics/series', { metric: 'visitors', to: '9999-12-31' }, 'to'],
    ['a range in year 9999', '/v1/metrics/channel-share', { from: '9999-12-01', to: '9999-12-31' }, 'from'],
    ['a range over 400 days', '/v1/metrics/channel-share', { from: '2025-01-01', to: '2026-03-01' }, 'to'],
    ['an unknown basis', '/v1/metrics/channel-share', { basis: 'clicks' }, 'basis'],
    ['a misspelt parameter', '/v1/metrics/channel-share', { bassis: 'touches' }, ''],
    ['an unknown source', '/v1/metrics/share-of-voice', { source: 'tv' }, 'source'],
    ['a limit that is not a number', '/v1/metrics/referral-traffic', { limit: 'ten' }, 'limit'],
    ['a limit of zero', '/v1/metrics/referral-traffic', { limit: '0' }, 'limit'],
    ['an unknown channel', '/v1/metrics/cpa-by-stage', { channel: 'tv' }, 'channel'],
    ['an unknown format', '/v1/metrics/cpa-by-stage', { format: 'xml' }, 'format'],
  ])('answers 400 naming the parameter for %s', async (_, path, params, field) => {
    const result = await metric(path, params);
    expect(result.statusCode).toBe(400);
    const issues = bodyOf<{ error: { issues: Array<{ path: string; message: string }> } }>(result).error
      .issues;
    if (field) expect(issues[0]?.path).toBe(field);
    else expect(issues[0]?.message).toMatch(/bassis/);
  });

  it('refuses an answer larger than a response may hold with a 400 saying how to ask for less', async () => {
    // The limit is lowered to 1 KB here; deployed it is Lambda's 6 MB. The same request fits 1 MB.
    const small = createQueryHandler(stack.pipeline, { maxResponseBytes: 1024 });
    const params = { from: '2026-03-01', to: '2026-03-31' };
    const event = apiEvent({
      path: '/v1/metrics/series',
      query: { metric: 'visitors', ...params },
      key: QUERY_KEY,
    });
    const refused = await small(event, testContext('query'));
    expect(refused.statusCode).toBe(400);
    expect(bodyOf(refused)).toMatchObject({
      error: {
        message: expect.stringMatching(/^the answer is \d+ KB, more than the 1 KB a response holds$/),
        issues: [{ path: '(query)' }],
      },
    });
    const fits = await createQueryHandler(stack.pipeline, { maxResponseBytes: 1024 * 1024 })(
      event,
      testContext('query'),
    );
    expect(fits.statusCode).toBe(200);
  });

  it('answers an uncomputed range with zeros, never a 500', async () => {
    const result = await metric('/v1/metrics/cpa-by-stage', { from: '2020-01-01', to: '2020-01-03' });
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({
      spend: 0,
      stages: expect.arrayContaining([expect.objectContaining({ costPerEvent: null })]),
    });
  });

  it('needs a query key: 401 without, 403 with an ingest key', async () => {
    expect((await metric('/v1/metrics/channel-share', {}, null)).statusCode).toBe(401);
    expect((await metric('/v1/metrics/channel-share', {}, INGEST_KEY)).statusCode).toBe(403);
  });

  it('runs a compute job and reports it, with its statistics', async () => {
    const started = await jobs(
      apiEvent({ path: '/v1/jobs/compute', body: { from: '2026-03-01', to: '2026-03-03' }, key: QUERY_KEY }),
      testContext('jobs'),
    );
    expect(started.statusCode).toBe(202);
    const { jobId } = bodyOf<{ jobId: string }>(started);
    const status = await jobs(
      apiEvent({
        path: `/v1/jobs/${jobId}`,
        route: '/v1/jobs/{jobId}',
        pathParameters: { jobId },
        key: QUERY_KEY,
      }),
      testContext('jobs'),
    );
    expect(bodyOf(status)).toMatchObject({ jobId, kind: 'compute', status: 'succeeded', stats: { days: 3 } });
  });

  it.each([
    ['replay without dates', '/v1/jobs/replay', {}, 'from'],
    ['an impossible date', '/v1/jobs/compute', { from: '2026-04-31' }, 'from'],
    ['an unknown field', '/v1/jobs/compute', { form: '2026-04-01' }, ''],
    ['from after to', '/v1/jobs/replay', { from: '2026-04-02', to: '2026-04-01' }, 'from'],
  ])('refuses a job with %s', async (_, path, body, field) => {
    const result = await jobs(apiEvent({ path, body, key: QUERY_KEY }), testContext('jobs'));
    expect(result.statusCode).toBe(400);
    if (field)
      expect(bodyOf<{ error: { issues: Array<{ path: string }> } }>(result).error.issues[0]?.path).toBe(
        field,
      );
  });

  it("answers a request no route matches (API Gateway's $default route) with our JSON 404, key or not", async () => {
    const event = { ...apiEvent({ path: '/v1/nope', key: null }), routeKey: '$default' };
    const result = await query(event, testContext('query'));
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(String(result.body))).toMatchObject({
      error: { code: 'not_found', message: 'no route for GET /v1/nope' },
    });
  });

  it('answers 404 for an unknown job and 400 for a malformed job id', async () => {
    const get = (jobId: string) =>
      jobs(
        apiEvent({
          path: `/v1/jobs/${jobId}`,
          route: '/v1/jobs/{jobId}',
          pathParameters: { jobId },
          key: QUERY_KEY,
        }),
        testContext(),
      );
    expect((await get('compute-20260101T000000-deadbeef')).statusCode).toBe(404);
    expect((await get('../../etc')).statusCode).toBe(400);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from '#local/api-client.ts';

let server: Server;
let url: string;
/** What the fake jobs API answers for GET /v1/jobs/{jobId}, in turn (the last one repeats). */
let answers: Array<object | number> = [];

describe('following a job from the CLI', () => {
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.method === 'POST') {
        response.statusCode = 202;
        response.end(JSON.stringify({ jobId: 'replay-20260101T000000-0000abcd' }));
        return;
      }
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      // A number is a status code to answer with (a 503 of a busy API, a 404 of a lagging read).
      if (typeof answer === 'number') {
        response.statusCode = answer;
        response.end(JSON.stringify({ error: { code: 'x', message: `status ${answer}` } }));
        return;
      }
      response.end(JSON.stringify(answer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const job = (status: string, done: number) => ({
    jobId: 'replay-20260101T000000-0000abcd',
    kind: 'replay',
    status,
    from: '2026-01-01',
    to: '2026-01-02',
    createdAt: '2026-01-01T00:00:00Z',
    progress: { done, total: 3 },
  });

  it('reports each move of status or progress and returns the finished job', async () => {
    answers = [
      job('queued', 0),
      job('running', 1),
      job('running', 1),
      job('running', 2),
      job('succeeded', 3),
    ];
    const seen: string[] = [];
    const done = await new ApiClient({ url, key: 'k' }).runJob(
      'replay',
      {},
      {
        pollMs: 1,
        onStatus: (j) => seen.push(`${j.status} ${j.progress?.done}`),
      },
    );
    expect(done.status).toBe('succeeded');
    // The repeated "running 1" is not reported twice.
    expect(seen).toEqual(['queued 0', 'running 1', 'running 2', 'succeeded 3']);
  });

  it('looks again after a 404, 429 or 5xx while polling, instead of giving up on a healthy job', async () => {
    answers = [404, job('running', 1), 429, 503, job('succeeded', 3)];
    const done = await new ApiClient({ url, key: 'k' }).runJob('replay', {}, { pollMs: 1 });
    expect(done.status).toBe('succeeded');
  });

  it('reports a client error while polling at once', async () => {
    answers = [403];
    await expect(new ApiClient({ url, key: 'k' }).runJob('replay', {}, { pollMs: 1 })).rejects.toThrow(
      /HTTP 403/,
    );
  });

  it('gives up on a job the API keeps failing to show once the stall allowance has passed', async () => {
    answers = [503];
    await expect(
      new ApiClient({ url, key: 'k' }).runJob('replay', {}, { pollMs: 5, stallMs: 50 }),
    ).rejects.toThrow(/HTTP 503/);
  });

  it('gives up with a clear message when the job stops moving', async () => {
    answers = [job('running', 2)];
    await expect(
      new ApiClient({ url, key: 'k' }).runJob('replay', {}, { pollMs: 5, stallMs: 50 }),
    ).rejects.toThrow(/has not moved for 0 s \(running 2\/3 steps\); it may still finish/);
  });
});

describe('an API error as a message', () => {
  it("tells a server fault's request id, which finds it in the logs", () => {
    const body = { error: { code: 'internal_error', message: 'internal error', requestId: 'req-1' } };
    expect(new ApiError('GET /v1/attribution', 500, body).message).toBe(
      'HTTP 500 from GET /v1/attribution: internal_error: internal error (request id req-1)',
    );
  });

  it("leaves a client error's request id out and lists the issues its message does not name", () => {
    const body = {
      error: {
        code: 'validation_error',
        message: 'invalid query string (from: bad date)',
        issues: [
          { path: 'from', message: 'bad date' },
          { path: 'to', message: 'bad date' },
        ],
        requestId: 'req-2',
      },
    };
    expect(new ApiError('GET /v1/attribution', 400, body).message).toBe(
      'HTTP 400 from GET /v1/attribution: validation_error: invalid query string (from: bad date)\n  to: bad date',
    );
  });

  it("reads API Gateway's own { message } answers and cuts any other body to 200 characters", () => {
    expect(new ApiError('POST /v1/events', 429, { message: 'Too Many Requests' }).message).toBe(
      'HTTP 429 from POST /v1/events: Too Many Requests',
    );
    // 300 characters of text: the first 200 and an ellipsis.
    expect(new ApiError('GET /', 502, 'x'.repeat(300)).message).toBe(
      `HTTP 502 from GET /: ${'x'.repeat(200)}…`,
    );
  });
});

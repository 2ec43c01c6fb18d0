import type { Job } from '#domain/jobs.ts';

export interface ApiClientProps {
  readonly url: string;
  readonly key: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** A small client for the HTTP API, used by the demo and the tests. */
export class ApiClient {
  readonly #props: ApiClientProps;

  constructor(props: ApiClientProps) {
    this.#props = props;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, this.#props.url), {
      method,
      headers: {
        authorization: `Bearer ${this.#props.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed: unknown =
      text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (!response.ok) throw new ApiError(response.status, parsed);
    return parsed as T;
  }

  /**
   * Starts a job and follows it to its end, telling `onStatus` whenever its status or progress
   * moves. Gives up, with a message saying where the job stands, once it has not moved for
   * `stallMs` (the job itself goes on; it can still be looked at with GET /v1/jobs/{jobId}).
   */
  async runJob(
    kind: 'compute' | 'replay',
    range: { from?: string; to?: string },
    options: {
      readonly pollMs?: number;
      readonly stallMs?: number;
      readonly onStatus?: (job: Job) => void;
    } = {},
  ): Promise<Job> {
    const { pollMs = 200, stallMs = 300_000, onStatus } = options;
    const { jobId } = await this.request<{ jobId: string }>('POST', `/v1/jobs/${kind}`, range);
    let last: string | undefined;
    let movedAt = Date.now();
    for (;;) {
      const job = await this.request<Job>('GET', `/v1/jobs/${jobId}`);
      const state = `${job.status} ${job.progress?.done ?? 0}/${job.progress?.total ?? 0}`;
      if (state !== last) {
        onStatus?.(job);
        last = state;
        movedAt = Date.now();
      }
      if (job.status === 'succeeded') return job;
      if (job.status === 'failed') throw new Error(`job ${jobId} failed: ${job.error ?? 'unknown error'}`);
      if (Date.now() - movedAt > stallMs) {
        throw new Error(
          `job ${jobId} has not moved for ${Math.round(stallMs / 1000)} s (${state} steps); it may still finish: GET /v1/jobs/${jobId}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

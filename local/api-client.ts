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

  /** Starts a job and polls it until it ends; throws when it fails. */
  async runJob(
    kind: 'compute' | 'replay',
    range: { from?: string; to?: string },
    pollMs = 200,
    onStatus?: (job: Job) => void,
  ): Promise<Job> {
    const { jobId } = await this.request<{ jobId: string }>('POST', `/v1/jobs/${kind}`, range);
    let last: string | undefined;
    for (;;) {
      const job = await this.request<Job>('GET', `/v1/jobs/${jobId}`);
      if (job.status !== last) onStatus?.(job);
      last = job.status;
      if (job.status === 'succeeded') return job;
      if (job.status === 'failed') throw new Error(`job ${jobId} failed: ${job.error ?? 'unknown error'}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

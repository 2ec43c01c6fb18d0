import { z } from 'zod';
import type { Job } from '#domain/jobs.ts';
import { errorResponseSchema } from '#http/api-schemas.ts';

export interface ApiClientProps {
  readonly url: string;
  readonly key: string;
}

/** API Gateway answers its own throttling and size limits as `{ "message": … }`, not our error body. */
const gatewayErrorSchema = z.object({ message: z.string() });

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  /** `request` is the method and path, e.g. `GET /v1/keys`, so the message says what failed. */
  constructor(request: string, status: number, body: unknown) {
    super(`HTTP ${status} from ${request}: ${describeErrorBody(status, body)}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * The API's error body as a message: its code and message, then each field issue the message does
 * not already name (the message quotes the first), one per line.
 */
function describeErrorBody(status: number, body: unknown): string {
  const ours = errorResponseSchema.safeParse(body);
  if (ours.success) {
    const { code, message, issues = [], requestId } = ours.data.error;
    const more = issues
      .filter((issue) => !message.includes(`${issue.path}: ${issue.message}`))
      .map((issue) => `\n  ${issue.path}: ${issue.message}`);
    // A server fault says only "internal error": the request id is what finds it in the logs.
    const id = requestId && status >= 500 ? ` (request id ${requestId})` : '';
    return `${code}: ${message}${id}${more.join('')}`;
  }
  const gateway = gatewayErrorSchema.safeParse(body);
  if (gateway.success) return gateway.data.message;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Nothing answered at the API's address: refused, unknown host, timed out. */
export class UnreachableError extends Error {
  readonly url: string;

  constructor(url: URL, cause: unknown) {
    const where = `${url.origin}${url.pathname}`;
    super(`cannot reach ${where} (${reasonOf(cause)})`, { cause });
    this.url = where;
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host (DNS lookup failed)',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'connection reset',
};

/** fetch fails with "fetch failed"; the reason is the system error code of its cause. */
function reasonOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
  if (code) return REASONS[code] ?? code;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}

/** A small client for the HTTP API, used by the CLI, the demo and the tests. */
export class ApiClient {
  readonly #props: ApiClientProps;

  constructor(props: ApiClientProps) {
    this.#props = props;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.#props.url);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#props.key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new UnreachableError(url, error);
    }
    const text = await response.text();
    const parsed: unknown =
      text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (!response.ok) throw new ApiError(`${method} ${url.pathname}`, response.status, parsed);
    return parsed as T;
  }

  /** A GET whose answer is checked against the route's response schema (shared/http/api-schemas.ts). */
  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
    return schema.parse(await this.request('GET', path));
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
      const job = await this.#pollJob(jobId, movedAt, stallMs);
      if (!job) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
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

  /**
   * One look at a job; undefined when the API could not say this time (throttled, busy, or not
   * yet showing a job it has just taken), which is a reason to look again while the job is
   * inside its stall allowance, not to give up on it.
   */
  async #pollJob(jobId: string, movedAt: number, stallMs: number): Promise<Job | undefined> {
    try {
      return await this.request<Job>('GET', `/v1/jobs/${jobId}`);
    } catch (error) {
      // An API that cannot be reached at all is reported at once: there is nothing to wait for.
      const passing =
        error instanceof ApiError && (error.status === 404 || error.status === 429 || error.status >= 500);
      if (passing && Date.now() - movedAt <= stallMs) return undefined;
      throw error;
    }
  }
}

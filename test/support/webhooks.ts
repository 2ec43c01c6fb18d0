import type { WebhookRequest } from '#domain/webhooks/types.ts';

/** A JSON POST as a provider would send it; a string body is taken as the raw bytes. */
export function jsonPost(body: unknown): WebhookRequest {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    query: {},
    rawBody: Buffer.from(raw),
  };
}

/** The HTTP status a synchronous provider call ends in: 200, or the status of the error it throws. */
export function statusOf(run: () => unknown): number | undefined {
  try {
    run();
    return 200;
  } catch (error) {
    return (error as { statusCode?: number }).statusCode;
  }
}

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaEntry, logger } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { resolveSecretReferences } from '#adapters/secret-references.ts';
import { createSnsCertificateSource, createSnsSubscriptionConfirmer } from '#adapters/sns-http.ts';
import { NotFoundError, UnauthorizedError } from '#domain/errors.ts';
import { MAX_BATCH_BYTES } from '#domain/event-schema.ts';
import { handleWebhook, isWebhookRoute } from '#domain/webhooks/index.ts';
import { createSesWebhook, type SesWebhook } from '#domain/webhooks/ses.ts';
import { REPLAY_WINDOW_MS, type WebhookOutcome, type WebhookRequest } from '#domain/webhooks/types.ts';
import { httpErrorHandler } from '#http/middleware.ts';
import { readBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';
import { takeInEvents } from '#services/intake.ts';

export interface WebhooksHandlerProps {
  readonly pipeline: Pipeline;
  /** The config's `webhooks` block with secret references resolved. */
  readonly webhooks: Readonly<Record<string, unknown>>;
  readonly ses: SesWebhook;
  readonly now?: () => number;
}

/**
 * `POST /v1/webhooks/{provider}` (and `GET` for Meta's verification): the provider's signature
 * is checked on the raw bytes, its payload mapped to canonical events, and those stored like
 * `POST /v1/events` (provider dedup keys are the event ids, so redeliveries count once).
 */
export function createWebhooksHandler(props: WebhooksHandlerProps) {
  const { pipeline } = props;
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent, context: Context) => {
    const provider = event.pathParameters?.provider ?? '';
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const request: WebhookRequest = {
      method: event.requestContext.http.method === 'GET' ? 'GET' : 'POST',
      headers,
      query: event.queryStringParameters ?? {},
      rawBody: readBody(event, { maxBytes: MAX_BATCH_BYTES }),
    };
    const now = props.now?.() ?? Date.now();
    let outcome: WebhookOutcome;
    if (provider === 'ses') {
      const ses = props.webhooks.ses as { topicArns?: string[] } | undefined;
      if (!ses) throw new NotFoundError('the ses webhook is not configured');
      outcome = await props.ses.handle(request, { topicArns: ses.topicArns ?? [] }, now);
    } else if (isWebhookRoute(provider)) {
      outcome = handleWebhook(provider, request, props.webhooks, now);
    } else {
      throw new NotFoundError(`no webhook provider ${provider}`);
    }
    if (outcome.reply) {
      return {
        statusCode: outcome.reply.statusCode,
        headers: { 'content-type': outcome.reply.contentType },
        body: outcome.reply.body,
      };
    }
    const { replayKey } = outcome;
    // Claimed before anything is stored, given back if storing fails (the provider retries); kept
    // for two windows: a signature is accepted from 5 minutes before its timestamp to 5 after.
    if (replayKey && !(await pipeline.replayGuard.claim(replayKey, 2 * REPLAY_WINDOW_MS, now))) {
      throw new UnauthorizedError(`this ${provider} signature was used before; a delivery is accepted once`);
    }
    const { accepted, rejected } = await takeInEvents(
      {
        candidates: outcome.events.map((candidate, index) => ({ index, event: candidate })),
        source: `webhook:${provider.toLowerCase()}`,
        requestId: context.awsRequestId,
        receivedAt: new Date(now).toISOString(),
      },
      pipeline,
    ).catch(async (error: unknown) => {
      if (replayKey) await pipeline.replayGuard.release(replayKey);
      throw error;
    });
    if (rejected.length > 0) logger.warn('webhook events not accepted', { provider, rejected });
    return jsonResponse(200, { accepted, rejected });
  }).use(httpErrorHandler());
}

export const handler = lambdaEntry(async () => {
  const pipeline = await createPipelineFromEnvironment({ hashSecret: true });
  return createWebhooksHandler({
    pipeline,
    webhooks: await resolveSecretReferences(pipeline.config.webhooks),
    ses: createSesWebhook({
      certificates: createSnsCertificateSource(),
      confirm: createSnsSubscriptionConfirmer(),
    }),
  });
});

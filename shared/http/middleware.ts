import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { KeyScope, KeyStore } from '#adapters/key-store.ts';
import { logger } from '#adapters/observability.ts';
import {
  AppError,
  ForbiddenError,
  InternalError,
  ServiceUnavailableError,
  UnauthorizedError,
} from '#domain/errors.ts';
import { header } from './request.ts';
import { errorResponse } from './responses.ts';
import type { HttpEvent, HttpResult } from './types.ts';

type HttpMiddleware = MiddlewareObj<HttpEvent, HttpResult, Error, Context>;

/**
 * Turns any error into a JSON response. {@link AppError}s speak for themselves (their message
 * only below 500); anything else is logged with its cause and answered with a bare 500.
 */
export function httpErrorHandler(): HttpMiddleware {
  return {
    name: 'httpErrorHandler',
    onError(request) {
      const error = request.error;
      const appError = toAppError(error);
      if (appError.statusCode >= 500) {
        logger.error('request failed', {
          error: appError,
          cause: appError.cause,
          routeKey: request.event.routeKey,
        });
      }
      request.response = errorResponse(appError, request.context?.awsRequestId);
    },
  };
}

export interface ApiKeyAuthProps {
  readonly keyStore: KeyStore;
  /** The scope a key must hold for the route; `undefined` leaves the route open. */
  readonly scopeFor: (event: HttpEvent) => KeyScope | undefined;
}

/** `Authorization: Bearer <key>`: 401 without a known key, 403 with a key of the wrong kind. */
export function apiKeyAuth(props: ApiKeyAuthProps): HttpMiddleware {
  return {
    name: 'apiKeyAuth',
    async before(request) {
      const scope = props.scopeFor(request.event);
      if (!scope) return;
      const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header(request.event, 'authorization') ?? '');
      if (!match?.[1]) throw new UnauthorizedError('send the API key as Authorization: Bearer <key>');
      const record = await props.keyStore.find(match[1]);
      if (!record) throw new UnauthorizedError('the API key is not valid');
      if (!record.scopes.includes(scope))
        throw new ForbiddenError(`this API key may not be used for ${scope}`);
    },
  };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Storage that is down, throttling or unreachable is a 503 (the sender retries); any other
 * unknown error is a 500.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const sdk = error as { $fault?: string; $retryable?: unknown; name?: string; code?: string } | null;
  const storageDown =
    sdk?.$fault === 'server' ||
    sdk?.$retryable !== undefined ||
    /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TimeoutError|ServiceUnavailable|SlowDown/.test(
      sdk?.name ?? '',
    ) ||
    NETWORK_CODES.has(sdk?.code ?? '');
  return storageDown
    ? new ServiceUnavailableError(undefined, { cause: error })
    : new InternalError('unexpected error', { cause: error ?? undefined });
}

import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { ForbiddenError } from '#domain/errors.ts';
import { isOriginAllowed } from '#domain/origins.ts';
import { header } from './request.ts';
import { errorResponse } from './responses.ts';
import type { HttpEvent, HttpResult } from './types.ts';

/**
 * CORS for the collect routes, from the config's `cors.allowedOrigins`: the only place that
 * decides it, run by the collect function itself both locally and on AWS (API Gateway's own CORS
 * setting stays off, so there is no second source of truth).
 */

/** Chromium caps a preflight cache at two hours. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;
/** Request headers a preflight may ask for: what the SDKs send; a token list, nothing else. */
const HEADER_LIST = /^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$/;

/**
 * The answer to `OPTIONS`: 204 with the grant for an allowed origin, else a 403 that names the
 * origin (a browser shows it in the console, which is where a site owner looks).
 */
export function preflightResponse(event: HttpEvent, allowedOrigins: readonly string[]): HttpResult {
  const origin = header(event, 'origin');
  if (!isOriginAllowed(origin, allowedOrigins)) {
    return errorResponse(
      new ForbiddenError(
        origin
          ? `origin ${origin} is not in cors.allowedOrigins`
          : 'a preflight request needs an Origin header',
        { issues: [{ path: 'origin', message: 'must be one of cors.allowedOrigins' }] },
      ),
    );
  }
  const requested = header(event, 'access-control-request-headers')?.trim();
  return {
    statusCode: 204,
    headers: {
      'access-control-allow-origin': origin as string,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers':
        requested && HEADER_LIST.test(requested) ? requested : 'authorization, content-type',
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
      vary: 'Origin',
    },
  };
}

/** Grants an allowed origin on every answer, errors included, so the page can read them. */
export function corsHeaders(
  allowedOrigins: readonly string[],
): MiddlewareObj<HttpEvent, HttpResult, Error, Context> {
  const grant = (event: HttpEvent, response: HttpResult | null | undefined) => {
    if (!response || typeof response !== 'object') return;
    const origin = header(event, 'origin');
    const headers: Record<string, string | number | boolean> = { ...response.headers, vary: 'Origin' };
    if (isOriginAllowed(origin, allowedOrigins)) headers['access-control-allow-origin'] = origin as string;
    response.headers = headers;
  };
  return {
    name: 'corsHeaders',
    after: (request) => grant(request.event, request.response),
    onError: (request) => grant(request.event, request.response),
  };
}

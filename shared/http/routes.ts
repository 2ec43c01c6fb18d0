/** The functions behind the HTTP API. */
export type RouteTarget = 'ingest' | 'collect' | 'webhooks' | 'spend' | 'query' | 'jobs' | 'keys';

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway route path; `{name}` is a path parameter. */
  readonly path: string;
  readonly target: RouteTarget;
}

/** Every route of the HTTP API (DESIGN §4); the API Gateway `routeKey` is `${method} ${path}`. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', target: 'query' },
  { method: 'GET', path: '/dashboard.js', target: 'query' },
  { method: 'GET', path: '/v1/health', target: 'query' },
  { method: 'GET', path: '/v1/openapi.json', target: 'query' },
  { method: 'POST', path: '/v1/events', target: 'ingest' },
  { method: 'POST', path: '/v1/spend', target: 'spend' },
  { method: 'POST', path: '/v1/batch', target: 'collect' },
  { method: 'POST', path: '/v1/track', target: 'collect' },
  { method: 'POST', path: '/v1/page', target: 'collect' },
  { method: 'POST', path: '/v1/identify', target: 'collect' },
  { method: 'POST', path: '/v1/screen', target: 'collect' },
  { method: 'POST', path: '/v1/group', target: 'collect' },
  { method: 'POST', path: '/v1/alias', target: 'collect' },
  { method: 'POST', path: '/v1/webhooks/{provider}', target: 'webhooks' },
  { method: 'GET', path: '/v1/webhooks/{provider}', target: 'webhooks' },
  { method: 'GET', path: '/v1/metrics/channel-share', target: 'query' },
  { method: 'GET', path: '/v1/metrics/share-of-voice', target: 'query' },
  { method: 'GET', path: '/v1/metrics/referral-traffic', target: 'query' },
  { method: 'GET', path: '/v1/metrics/cpa-by-stage', target: 'query' },
  { method: 'GET', path: '/v1/attribution', target: 'query' },
  { method: 'GET', path: '/v1/attribution/compare', target: 'query' },
  { method: 'POST', path: '/v1/jobs/compute', target: 'jobs' },
  { method: 'POST', path: '/v1/jobs/replay', target: 'jobs' },
  { method: 'GET', path: '/v1/jobs/{jobId}', target: 'jobs' },
  { method: 'POST', path: '/v1/keys', target: 'keys' },
  { method: 'GET', path: '/v1/keys', target: 'keys' },
  { method: 'DELETE', path: '/v1/keys/{keyHash}', target: 'keys' },
];

export function routeKeyOf(route: Route): string {
  return `${route.method} ${route.path}`;
}

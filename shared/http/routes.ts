/** The functions behind the HTTP API. */
export type RouteTarget = 'ingest' | 'collect' | 'webhooks' | 'spend' | 'query' | 'jobs' | 'keys';

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'OPTIONS';
  /** API Gateway route path; `{name}` is a path parameter. */
  readonly path: string;
  readonly target: RouteTarget;
}

/**
 * Where browsers and SDKs send events: the Segment HTTP Tracking API, the one-letter paths of
 * Segment's analytics.js (`/v1/p`, `/v1/t`, ..., `/v1/b` when batching) and RudderStack's beacon
 * batch. Each also answers CORS preflights (`OPTIONS`).
 */
export const COLLECT_PATHS = [
  '/v1/batch',
  '/v1/track',
  '/v1/page',
  '/v1/identify',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/b',
  '/v1/t',
  '/v1/p',
  '/v1/i',
  '/v1/s',
  '/v1/g',
  '/v1/a',
  '/beacon/v1/batch',
] as const;

/** Every route of the HTTP API (docs/architecture.md); the API Gateway `routeKey` is `${method} ${path}`. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', target: 'query' },
  { method: 'GET', path: '/dashboard.js', target: 'query' },
  { method: 'GET', path: '/v1/health', target: 'query' },
  { method: 'GET', path: '/v1/openapi.json', target: 'query' },
  { method: 'POST', path: '/v1/events', target: 'ingest' },
  { method: 'POST', path: '/v1/spend', target: 'spend' },
  ...COLLECT_PATHS.flatMap((path) => [
    { method: 'POST', path, target: 'collect' } as const,
    { method: 'OPTIONS', path, target: 'collect' } as const,
  ]),
  { method: 'GET', path: '/v1/tag.js', target: 'collect' },
  { method: 'GET', path: '/v1/projects/{writeKey}/settings', target: 'collect' },
  { method: 'POST', path: '/v1/webhooks/{provider}', target: 'webhooks' },
  { method: 'GET', path: '/v1/webhooks/{provider}', target: 'webhooks' },
  { method: 'GET', path: '/v1/metrics/channel-share', target: 'query' },
  { method: 'GET', path: '/v1/metrics/share-of-voice', target: 'query' },
  { method: 'GET', path: '/v1/metrics/referral-traffic', target: 'query' },
  { method: 'GET', path: '/v1/metrics/cpa-by-stage', target: 'query' },
  { method: 'GET', path: '/v1/metrics/ads', target: 'query' },
  { method: 'GET', path: '/v1/metrics/email', target: 'query' },
  { method: 'GET', path: '/v1/metrics/nps', target: 'query' },
  { method: 'GET', path: '/v1/metrics/cart', target: 'query' },
  { method: 'GET', path: '/v1/metrics/visitors', target: 'query' },
  { method: 'GET', path: '/v1/metrics/funnel', target: 'query' },
  { method: 'GET', path: '/v1/metrics/series', target: 'query' },
  { method: 'GET', path: '/v1/metrics/cohorts', target: 'query' },
  { method: 'GET', path: '/v1/alerts', target: 'query' },
  { method: 'GET', path: '/v1/journeys/paths', target: 'query' },
  { method: 'GET', path: '/v1/journeys/summary', target: 'query' },
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

import { z } from 'zod';
import { eventSchema, MAX_EVENTS_PER_BATCH } from '#domain/event-schema.ts';
import { SINGLE_MESSAGE_TYPES, segmentBatchSchema, segmentMessageSchema } from '#domain/segment.ts';
import { spendBodySchema } from '#domain/spend.ts';
import {
  adsResponseSchema,
  alertsResponseSchema,
  attributionCompareResponseSchema,
  attributionResponseSchema,
  cartResponseSchema,
  channelShareResponseSchema,
  cohortsResponseSchema,
  collectResponseSchema,
  computeBodySchema,
  cpaByStageResponseSchema,
  createdKeyResponseSchema,
  createKeyBodySchema,
  emailResponseSchema,
  errorResponseSchema,
  eventsAcceptedResponseSchema,
  funnelResponseSchema,
  healthResponseSchema,
  jobResponseSchema,
  jobStartedResponseSchema,
  journeySummaryResponseSchema,
  keyListResponseSchema,
  npsResponseSchema,
  pathsResponseSchema,
  QUERY_SHAPES,
  referralTrafficResponseSchema,
  replayBodySchema,
  revokedKeyResponseSchema,
  seriesResponseSchema,
  shareOfVoiceResponseSchema,
  spendResponseSchema,
  visitorsResponseSchema,
  webhookResponseSchema,
} from './api-schemas.ts';
import { rangeParams } from './query-params.ts';
import { COLLECT_PATHS, ROUTES } from './routes.ts';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what a schema accepts as input. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema: schemaOf(schema) } },
});

const eventsBody = z.object({ events: z.array(eventSchema).min(1).max(MAX_EVENTS_PER_BATCH) });

interface Operation {
  readonly summary: string;
  readonly body?: { schema: z.ZodType; description: string; contentType?: string };
  readonly ok: { status: number; schema?: z.ZodType; description: string; csv?: boolean };
  readonly security: 'query' | 'ingest' | 'admin' | 'writeKey' | 'signature' | 'none';
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  'GET /': {
    summary: 'The dashboard (HTML)',
    ok: { status: 200, description: 'The page' },
    security: 'none',
  },
  'GET /dashboard.js': {
    summary: "The dashboard's script",
    ok: { status: 200, description: 'JavaScript' },
    security: 'none',
  },
  'GET /v1/health': {
    summary: 'Liveness',
    ok: { status: 200, schema: healthResponseSchema, description: 'Up' },
    security: 'none',
  },
  'GET /v1/openapi.json': {
    summary: 'This document',
    ok: { status: 200, description: 'OpenAPI 3.1 document' },
    security: 'none',
  },
  'POST /v1/events': {
    summary: 'Send events (at most 500 and 1 MB); valid ones are accepted even when others are not',
    body: { schema: eventsBody, description: 'A batch of events' },
    ok: { status: 202, schema: eventsAcceptedResponseSchema, description: 'Stored durably' },
    security: 'ingest',
  },
  'POST /v1/spend': {
    summary: 'Upsert spend rows (ours, or Google Ads API rows as they come)',
    body: { schema: spendBodySchema, description: 'Spend rows' },
    ok: { status: 200, schema: spendResponseSchema, description: 'Upserted' },
    security: 'ingest',
  },
  ...Object.fromEntries(
    COLLECT_PATHS.flatMap((path) => {
      const type = SINGLE_MESSAGE_TYPES[path];
      const post: Operation = type
        ? {
            summary: `Segment/RudderStack ${type} message (32 KB)`,
            body: { schema: segmentMessageSchema.omit({ type: true }), description: `A ${type} message` },
            ok: { status: 200, schema: collectResponseSchema, description: 'Stored' },
            security: 'writeKey',
          }
        : {
            summary: 'Segment/RudderStack batch (500 KB, 32 KB per message)',
            body: { schema: segmentBatchSchema, description: 'A batch of messages' },
            ok: { status: 200, schema: collectResponseSchema, description: 'Stored' },
            security: 'writeKey',
          };
      const preflight: Operation = {
        summary: 'CORS preflight, granted to the origins in cors.allowedOrigins',
        ok: { status: 204, description: 'Granted' },
        security: 'none',
      };
      return [
        [`POST ${path}`, post],
        [`OPTIONS ${path}`, preflight],
      ];
    }),
  ),
  'GET /v1/projects/{writeKey}/settings': {
    summary: "analytics.js settings, so Segment's browser SDK loads with cdnURL set to this API",
    ok: { status: 200, description: 'The Segment.io destination pointing at this API' },
    security: 'none',
  },
  'GET /v1/tag.js': {
    summary: 'The first-party tag for websites (README: Connect your website)',
    ok: { status: 200, description: 'JavaScript' },
    security: 'none',
  },
  'POST /v1/webhooks/{provider}': {
    summary:
      "A provider's webhook (sendgrid, mailgun, ses, standard, google-ads, meta), checked by its signature",
    body: { schema: z.unknown(), description: "The provider's payload, exactly as it sends it" },
    ok: { status: 200, schema: webhookResponseSchema, description: 'Stored (or a provider-specific reply)' },
    security: 'signature',
  },
  'GET /v1/webhooks/{provider}': {
    summary: "A provider's verification request (Meta's hub.challenge)",
    ok: { status: 200, description: 'The challenge, as text' },
    security: 'signature',
  },
  'GET /v1/metrics/channel-share': {
    summary: 'Channel share by touches, conversions (last touch) or spend',
    ok: { status: 200, schema: channelShareResponseSchema, description: 'Shares summing to 1', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/share-of-voice': {
    summary: 'Share of voice of the brand and competitors, from ads and searches',
    ok: { status: 200, schema: shareOfVoiceResponseSchema, description: 'Entries', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/referral-traffic': {
    summary: 'Referral visits per referring domain, daily visits and last-touch conversions',
    ok: { status: 200, schema: referralTrafficResponseSchema, description: 'Domains', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/cpa-by-stage': {
    summary: 'Cost per event and per user for each funnel stage',
    ok: { status: 200, schema: cpaByStageResponseSchema, description: 'Stages in funnel order', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/ads': {
    summary: 'Ads rates: impressions, clicks, CTR, spend, CPC, CPM, last-touch conversions and CPA',
    ok: { status: 200, schema: adsResponseSchema, description: 'Rows, most spend first', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/email': {
    summary: 'The e-mail funnel: recipients sent to, delivered, opened, clicked… and their rates',
    ok: { status: 200, schema: emailResponseSchema, description: 'Totals and rows', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/nps': {
    summary:
      "Net Promoter Score: each person's latest answer in the range, by the channel of their first touch",
    ok: { status: 200, schema: npsResponseSchema, description: 'Score and rows', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/cart': {
    summary: 'Cart abandonment: carts, checkouts, purchases after an add, abandonment rate',
    ok: { status: 200, schema: cartResponseSchema, description: 'Counts and rate', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/visitors': {
    summary: 'Visitors (new and returning), visits, pages per visit, bounce rate, time on site',
    ok: { status: 200, schema: visitorsResponseSchema, description: 'Figures', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/funnel': {
    summary: 'The funnel: people per stage, step conversion from the previous stage, median days between',
    ok: { status: 200, schema: funnelResponseSchema, description: 'Stages in funnel order', csv: true },
    security: 'query',
  },
  'GET /v1/journeys/paths': {
    summary: 'Top channel paths, converting or not, as the Markov model sees them',
    ok: { status: 200, schema: pathsResponseSchema, description: 'Paths, most conversions first', csv: true },
    security: 'query',
  },
  'GET /v1/journeys/summary': {
    summary: 'Touches and days to convert, and the conversions each channel assisted and closed',
    ok: { status: 200, schema: journeySummaryResponseSchema, description: 'Summary', csv: true },
    security: 'query',
  },
  'GET /v1/alerts': {
    summary: 'KPIs the daily check found far from their baseline (the same weekday of the weeks before)',
    ok: { status: 200, schema: alertsResponseSchema, description: 'Alerts in date order', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/cohorts': {
    summary: 'Cohorts by first-conversion period and channel: people, revenue, retention',
    ok: { status: 200, schema: cohortsResponseSchema, description: 'Cohorts in period order', csv: true },
    security: 'query',
  },
  'GET /v1/metrics/series': {
    summary: 'A metric per day, ISO week or month of the range, in one request (for charts)',
    ok: { status: 200, schema: seriesResponseSchema, description: 'Points in date order', csv: true },
    security: 'query',
  },
  'GET /v1/attribution': {
    summary: 'Multi-touch attribution under one model, joined with spend',
    ok: {
      status: 200,
      schema: attributionResponseSchema,
      description: 'Rows summing to the conversions',
      csv: true,
    },
    security: 'query',
  },
  'GET /v1/attribution/compare': {
    summary: 'Every model side by side, one row per channel',
    ok: { status: 200, schema: attributionCompareResponseSchema, description: 'Rows', csv: true },
    security: 'query',
  },
  'POST /v1/jobs/compute': {
    summary: 'Recompute a date range (default: the scheduled window ending today)',
    body: {
      schema: computeBodySchema.optional(),
      description: 'The range; without a body, the scheduled window ending today',
    },
    ok: { status: 202, schema: jobStartedResponseSchema, description: 'Started' },
    security: 'query',
  },
  'POST /v1/jobs/replay': {
    summary: 'Re-load the raw zone for a date range (idempotent)',
    body: { schema: replayBodySchema, description: 'The range' },
    ok: { status: 202, schema: jobStartedResponseSchema, description: 'Started' },
    security: 'query',
  },
  'POST /v1/keys': {
    summary: 'Create an API key; the key is shown once',
    body: { schema: createKeyBodySchema, description: 'Its name and scopes' },
    ok: { status: 201, schema: createdKeyResponseSchema, description: 'The key, its hash and scopes' },
    security: 'admin',
  },
  'GET /v1/keys': {
    summary: 'List API keys (hashes only)',
    ok: { status: 200, schema: keyListResponseSchema, description: 'The keys' },
    security: 'admin',
  },
  'DELETE /v1/keys/{keyHash}': {
    summary: 'Revoke an API key',
    ok: { status: 200, schema: revokedKeyResponseSchema, description: 'Revoked' },
    security: 'admin',
  },
  'GET /v1/jobs/{jobId}': {
    summary: 'A job and its status',
    ok: { status: 200, schema: jobResponseSchema, description: 'The job' },
    security: 'query',
  },
};

const SECURITY: Readonly<Record<Operation['security'], unknown[]>> = {
  query: [{ apiKey: [] }],
  ingest: [{ apiKey: [] }],
  admin: [{ apiKey: [] }],
  writeKey: [{ writeKey: [] }],
  signature: [],
  none: [],
};

let cached: JsonSchema | undefined;

/**
 * The OpenAPI 3.1 document of every route the router serves, generated from the zod schemas that
 * validate the requests and describe the responses.
 */
export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const errors = (statuses: number[]) =>
    Object.fromEntries(
      statuses.map((status) => [
        String(status),
        json(errorResponseSchema, 'An error, naming the fields at fault'),
      ]),
    );
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const key = `${route.method} ${route.path}`;
    const operation = OPERATIONS[key];
    if (!operation) throw new Error(`no OpenAPI description for ${key}`);
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const shape = QUERY_SHAPES[key as keyof typeof QUERY_SHAPES];
    const queryParameters = shape
      ? Object.entries({ ...rangeParams, ...shape }).map(([name, schema]) => ({
          name,
          in: 'query',
          // Required where leaving it out is refused (the series' metric), as the route checks it.
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: schemaOf(schema as z.ZodType, 'input'),
        }))
      : [];
    const okContent: Record<string, unknown> = operation.ok.schema
      ? { 'application/json': { schema: schemaOf(operation.ok.schema) } }
      : { 'application/json': {} };
    if (operation.ok.csv) okContent['text/csv'] = { schema: { type: 'string' } };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      operationId: key.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, ''),
      summary: operation.summary,
      security: SECURITY[operation.security],
      parameters: [...pathParameters, ...queryParameters],
      ...(operation.body
        ? {
            requestBody: {
              // A body its schema takes as absent (a compute of the default window) is optional.
              required: !operation.body.schema.safeParse(undefined).success,
              description: operation.body.description,
              content: { 'application/json': { schema: schemaOf(operation.body.schema, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(operation.ok.status)]: { description: operation.ok.description, content: okContent },
        ...errors(route.method === 'GET' ? [400, 401, 403, 404, 503] : [400, 401, 403, 404, 413, 415, 503]),
      },
    };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Attribution pipeline API',
      version: '0.1.0',
      description:
        'Events in; channel share, share of voice, referral traffic, CPA by stage and multi-touch attribution out.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An ingest or query API key' },
        writeKey: {
          type: 'http',
          scheme: 'basic',
          description:
            'A write key (public: the collect routes only) as the user name; or writeKey in the body, or ?writeKey=',
        },
      },
    },
    paths,
  };
  return cached;
}

import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaEntry } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { attribute, compareModels, MODELS } from '#domain/attribution/index.ts';
import { intervalsOf } from '#domain/dates.ts';
import { type ComputePartial, type StoredSection, toComputePartial } from '#domain/day-result.ts';
import { NotFoundError, ValidationError } from '#domain/errors.ts';
import { adsRates } from '#domain/journey/ads.ts';
import { cartAbandonment } from '#domain/journey/cart.ts';
import { cohorts } from '#domain/journey/cohorts.ts';
import { emailFunnel } from '#domain/journey/email-funnel.ts';
import { funnel } from '#domain/journey/funnel.ts';
import { netPromoterScore } from '#domain/journey/nps.ts';
import { journeyPaths, journeySummary } from '#domain/journey/paths.ts';
import { selfReported, withSelfReported } from '#domain/journey/self-reported.ts';
import { visitorsSummary } from '#domain/journey/visitors.ts';
import { channelShare, cpaByStage, referralTraffic, shareOfVoice } from '#domain/metrics/index.ts';
import { QUERY_SHAPES } from '#http/api-schemas.ts';
import { dashboardPage, dashboardScript } from '#http/dashboard.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { openApiDocument } from '#http/openapi.ts';
import { type DateRange, parseQuery } from '#http/query-params.ts';
import { csvResponse, jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';

export const VERSION = '0.1.0';
/** Routes anyone may call (`$default`: what no route matches, answered 404 as the local gateway does). */
const PUBLIC_ROUTES = new Set([
  'GET /',
  'GET /dashboard.js',
  'GET /v1/health',
  'GET /v1/openapi.json',
  '$default',
]);

/** One point of a series: the metric's own answer for the point's days. */
function seriesValue(
  data: ComputePartial,
  q: Query<'GET /v1/metrics/series'>,
  range: DateRange,
  pipeline: Pipeline,
): unknown {
  switch (q.metric) {
    case 'channel-share':
      return channelShare(data.metrics, { ...range, basis: q.basis });
    case 'share-of-voice':
      return shareOfVoice(data.metrics, {
        ...range,
        source: q.source,
        brand: pipeline.config.brand.name,
        competitors: pipeline.config.competitors.map((c) => c.name),
        limit: 20,
      });
    case 'visitors':
      return visitorsSummary(data.journey, range);
    case 'email':
      return emailFunnel(data.journey, { ...range, groupBy: 'campaign' }).totals;
  }
}

/** A point's figures as (key, value) cells for the CSV: channel shares, voices, or plain fields. */
function seriesCells(value: unknown): Array<[string, unknown]> {
  const answer = value as {
    channels?: Array<{ channel: string; count: number }>;
    entries?: Array<{ name: string; count: number }>;
  };
  if (answer.channels) return answer.channels.map((c) => [c.channel, c.count]);
  if (answer.entries) return answer.entries.map((e) => [e.name, e.count]);
  return Object.entries(value as Record<string, unknown>).filter(([key]) => key !== 'from' && key !== 'to');
}

/** `clickToOpenRate` → `click_to_open_rate`, for CSV headers. */
const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type MetricRoute = (event: HttpEvent, pipeline: Pipeline) => Promise<HttpResult>;

/** The stored sections each series metric is finalised from. */
const SERIES_SECTIONS: Readonly<Record<Query<'GET /v1/metrics/series'>['metric'], readonly StoredSection[]>> =
  {
    'channel-share': ['metrics'],
    'share-of-voice': ['metrics'],
    visitors: ['journey'],
    email: ['email'],
  };

type Shapes = typeof QUERY_SHAPES;
type Query<K extends keyof Shapes> = ReturnType<typeof parseQuery<Shapes[K]>>;

/** What a read route answers: the JSON body, and the same as a CSV table with its file name. */
interface Answer {
  readonly json: unknown;
  readonly csv: readonly [name: string, header: string[], rows: unknown[][]];
}

interface ReadProps {
  /** The stored sections the answer is finalised from (the others are not read). */
  readonly sections: readonly StoredSection[];
}

/**
 * A read route: parse its query, read the stored sections it needs for the range once (days, and
 * blocks of days inside it for the sections stored in blocks), answer as JSON or CSV.
 */
function readRoute<K extends keyof Shapes>(
  key: K,
  props: ReadProps,
  answer: (data: ComputePartial, q: Query<K>, pipeline: Pipeline) => Answer,
): MetricRoute {
  return async (event, pipeline) => {
    const q = parseQuery(event, QUERY_SHAPES[key], pipeline.config.timeZone) as Query<K>;
    const read = await pipeline.results.readRange(q.from, q.to, { sections: props.sections });
    return respond(q, answer(toComputePartial(read), q, pipeline));
  };
}

function respond(q: { format: 'json' | 'csv'; from: string; to: string }, { json, csv }: Answer): HttpResult {
  if (q.format === 'json') return jsonResponse(200, json);
  const [name, header, rows] = csv;
  return csvResponse(`${name}_${q.from}_${q.to}.csv`, header, rows);
}

const ROUTES: Readonly<Record<string, MetricRoute>> = {
  'GET /v1/metrics/channel-share': readRoute(
    'GET /v1/metrics/channel-share',
    { sections: ['metrics'] },
    (data, q) => {
      const result = channelShare(data.metrics, { from: q.from, to: q.to, basis: q.basis });
      return {
        json: result,
        csv: [
          'channel-share',
          ['channel', 'count', 'share'],
          result.channels.map((r) => [r.channel, r.count, r.share]),
        ],
      };
    },
  ),

  'GET /v1/metrics/share-of-voice': readRoute(
    'GET /v1/metrics/share-of-voice',
    { sections: ['metrics'] },
    (data, q, pipeline) => {
      const result = shareOfVoice(data.metrics, {
        from: q.from,
        to: q.to,
        source: q.source,
        brand: pipeline.config.brand.name,
        competitors: pipeline.config.competitors.map((c) => c.name),
        limit: q.limit,
      });
      return {
        json: result,
        csv: [
          'share-of-voice',
          ['name', 'is_brand', 'count', 'share'],
          result.entries.map((r) => [r.name, r.isBrand, r.count, r.share]),
        ],
      };
    },
  ),

  'GET /v1/metrics/referral-traffic': readRoute(
    'GET /v1/metrics/referral-traffic',
    { sections: ['metrics'] },
    (data, q) => {
      const result = referralTraffic(data.metrics, { from: q.from, to: q.to, limit: q.limit });
      return {
        json: result,
        csv: [
          'referral-traffic',
          ['domain', 'category', 'visits', 'share', 'conversions'],
          result.domains.map((r) => [r.domain, r.category, r.visits, r.share, r.conversions]),
        ],
      };
    },
  ),

  'GET /v1/metrics/cpa-by-stage': readRoute(
    'GET /v1/metrics/cpa-by-stage',
    { sections: ['metrics'] },
    (data, q, pipeline) => {
      const result = cpaByStage(data.metrics, {
        from: q.from,
        to: q.to,
        channel: q.channel,
        currency: pipeline.config.currency,
      });
      return {
        json: result,
        csv: [
          'cpa-by-stage',
          ['stage', 'events', 'users', 'spend', 'cost_per_event', 'cost_per_user', 'currency'],
          result.stages.map((r) => [
            r.stage,
            r.events,
            r.users,
            result.spend,
            r.costPerEvent,
            r.costPerUser,
            result.currency,
          ]),
        ],
      };
    },
  ),

  'GET /v1/metrics/ads': readRoute('GET /v1/metrics/ads', { sections: ['ads'] }, (data, q, pipeline) => {
    const result = adsRates(data.journey, { ...q, currency: pipeline.config.currency });
    return {
      json: result,
      csv: [
        `ads-by-${q.groupBy}`,
        [q.groupBy, 'impressions', 'clicks', 'ctr', 'spend', 'cpc', 'cpm', 'conversions', 'cpa', 'currency'],
        result.rows.map((r) => [
          r.key,
          r.impressions,
          r.clicks,
          r.ctr,
          r.spend,
          r.cpc,
          r.cpm,
          r.conversions,
          r.cpa,
          result.currency,
        ]),
      ],
    };
  }),

  'GET /v1/metrics/email': readRoute('GET /v1/metrics/email', { sections: ['email'] }, (data, q) => {
    const result = emailFunnel(data.journey, q);
    const fields = Object.keys(result.totals) as Array<keyof typeof result.totals>;
    return {
      json: result,
      csv: [
        `email-by-${q.groupBy}`,
        [q.groupBy, ...fields.map(snakeCase)],
        [...result.rows.map((r) => [r.key, ...fields.map((f) => r[f])])],
      ],
    };
  }),

  'GET /v1/metrics/nps': readRoute(
    'GET /v1/metrics/nps',
    // Each person's latest answer: the people section is stored in single days only.
    { sections: ['people'] },
    (data, q) => {
      const result = netPromoterScore(data.journey, q);
      return {
        json: result,
        csv: [
          'nps-by-channel',
          ['channel', 'responses', 'promoters', 'passives', 'detractors', 'score'],
          result.rows.map((r) => [r.key, r.responses, r.promoters, r.passives, r.detractors, r.score]),
        ],
      };
    },
  ),

  'GET /v1/metrics/cart': readRoute('GET /v1/metrics/cart', { sections: ['journey'] }, (data, q) => {
    const result = cartAbandonment(data.journey, q);
    return {
      json: result,
      csv: [
        'cart',
        ['carts', 'checkouts', 'purchases', 'abandonment_rate'],
        [[result.carts, result.checkouts, result.purchases, result.abandonmentRate]],
      ],
    };
  }),

  'GET /v1/metrics/visitors': readRoute('GET /v1/metrics/visitors', { sections: ['journey'] }, (data, q) => {
    const result = visitorsSummary(data.journey, q);
    const { from: _from, to: _to, ...figures } = result;
    return {
      json: result,
      csv: ['visitors', Object.keys(figures).map(snakeCase), [Object.values(figures)]],
    };
  }),

  'GET /v1/metrics/funnel': readRoute(
    'GET /v1/metrics/funnel',
    { sections: ['metrics', 'journey'] },
    (data, q) => {
      const result = funnel(data.metrics, data.journey, q);
      return {
        json: result,
        csv: [
          'funnel',
          ['stage', 'users', 'from_previous', 'median_days_from_previous'],
          result.stages.map((r) => [r.stage, r.users, r.fromPrevious, r.medianDaysFromPrevious]),
        ],
      };
    },
  ),

  'GET /v1/journeys/paths': readRoute('GET /v1/journeys/paths', { sections: ['paths'] }, (data, q) => {
    const result = journeyPaths(data.journey, q);
    return {
      json: result,
      csv: [
        `paths-${q.converting === 'all' ? 'all' : q.converting === 'true' ? 'converting' : 'non-converting'}`,
        ['path', 'journeys', 'conversions', 'value'],
        result.paths.map((r) => [r.path.join(' > '), r.journeys, r.conversions, r.value]),
      ],
    };
  }),

  'GET /v1/journeys/summary': readRoute('GET /v1/journeys/summary', { sections: ['paths'] }, (data, q) => {
    const result = journeySummary(data.journey, q);
    // One table in CSV: each breakdown's rows under a `measure` column.
    return {
      json: result,
      csv: [
        'journey-summary',
        ['measure', 'key', 'conversions', 'assisted'],
        [
          ...result.touchesToConvert.map((r) => ['touches_to_convert', r.touches, r.conversions, null]),
          ...result.daysToConvert.map((r) => ['days_to_convert', r.days, r.conversions, null]),
          ...result.assisted.map((r) => ['last_touch_and_assisted', r.channel, r.lastTouch, r.assisted]),
        ],
      ],
    };
  }),

  async 'GET /v1/alerts'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/alerts'], pipeline.config.timeZone);
    const alerts = await pipeline.alerts.list(q.from, q.to);
    if (q.format === 'json') return jsonResponse(200, { from: q.from, to: q.to, alerts });
    return csvResponse(
      `alerts_${q.from}_${q.to}.csv`,
      ['date', 'kpi', 'value', 'baseline', 'change', 'direction'],
      alerts.map((a) => [a.date, a.kpi, a.value, a.baseline, a.change, a.direction]),
    );
  },

  'GET /v1/metrics/cohorts': readRoute(
    'GET /v1/metrics/cohorts',
    // A cohort follows its people: the people section is stored in single days only.
    { sections: ['people'] },
    (data, q) => {
      const result = cohorts(data.journey, q);
      const width = Math.max(0, ...result.cohorts.map((c) => c.retention.length));
      return {
        json: result,
        csv: [
          `cohorts-by-${q.period}`,
          [
            'cohort',
            'channel',
            'users',
            'revenue',
            'revenue_per_user',
            ...Array.from({ length: width }, (_, k) => `retention_${k}`),
          ],
          result.cohorts.map((c) => [
            c.cohort,
            c.channel,
            c.users,
            c.revenue,
            c.revenuePerUser,
            ...c.retention,
          ]),
        ],
      };
    },
  ),

  // Each point is read as its own range, so its days come in the fewest blocks inside it.
  async 'GET /v1/metrics/series'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/metrics/series'], pipeline.config.timeZone);
    const intervals = intervalsOf(q.from, q.to, q.interval);
    const reads = await pipeline.results.readRanges(intervals, { sections: SERIES_SECTIONS[q.metric] });
    const points = intervals.map((range, n) => ({
      ...range,
      value: seriesValue(toComputePartial(reads[n] ?? {}), q, range, pipeline),
    }));
    return respond(q, {
      json: { from: q.from, to: q.to, metric: q.metric, interval: q.interval, points },
      csv: [
        `series-${q.metric}-by-${q.interval}`,
        ['from', 'to', 'key', 'value'],
        points.flatMap((point) =>
          seriesCells(point.value).map(([key, value]) => [point.from, point.to, key, value]),
        ),
      ],
    });
  },

  'GET /v1/attribution': readRoute(
    'GET /v1/attribution',
    { sections: ['attribution'] },
    (data, q, pipeline) => {
      const result = attribute(data.attribution, {
        from: q.from,
        to: q.to,
        model: q.model,
        groupBy: q.groupBy,
      });
      return {
        json: { ...result, currency: pipeline.config.currency },
        csv: [
          `attribution-${q.model}-by-${q.groupBy}`,
          [q.groupBy, 'conversions', 'value', 'spend', 'cpa', 'roas'],
          result.rows.map((r) => [r.key, r.conversions, r.value, r.spend, r.cpa, r.roas]),
        ],
      };
    },
  ),

  'GET /v1/attribution/compare': readRoute(
    'GET /v1/attribution/compare',
    { sections: ['attribution', 'survey'] },
    (data, q, pipeline) => {
      const reported = selfReported(data.journey, { ...q, limit: 20 }, pipeline.config.surveyAnswers);
      const result = withSelfReported(compareModels(data.attribution, { from: q.from, to: q.to }), reported);
      return {
        json: { ...result, currency: pipeline.config.currency },
        csv: [
          'attribution-compare',
          // Each model's conversions first (as before), then its value, CPA and ROAS.
          [
            'channel',
            'spend',
            ...MODELS,
            'self_reported',
            ...MODELS.flatMap((model) => [`${model}_value`, `${model}_cpa`, `${model}_roas`]),
          ],
          result.rows.map((r) => [
            r.channel,
            r.spend,
            ...MODELS.map((model) => r.conversions[model]),
            r.selfReported,
            ...MODELS.flatMap((model) => [r.value[model], r.cpa[model], r.roas[model]]),
          ]),
        ],
      };
    },
  ),

  async 'GET /'() {
    return dashboardPage();
  },

  async 'GET /dashboard.js'() {
    return dashboardScript();
  },

  async 'GET /v1/openapi.json'() {
    return jsonResponse(200, openApiDocument(), { 'cache-control': 'public, max-age=300' });
  },

  async 'GET /v1/health'() {
    return jsonResponse(200, { status: 'ok', version: VERSION });
  },
};

/**
 * What a Lambda may return to API Gateway: 6 MB of invocation response, which holds the result
 * as JSON (its body escaped once more). Less a margin for the gateway's own envelope.
 */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 16 * 1024;
/** Room for a result's status and headers, ample for ours (a CSV file name, CORS, caching). */
const ENVELOPE_BYTES = 8 * 1024;

/**
 * An answer too large to return would reach the caller as the gateway's bare 5xx: it is refused
 * with a 400 that says how large it was and how to ask for less.
 */
function refuseOversized(result: HttpResult, maxBytes: number): HttpResult {
  // Escaping the body into the invocation's JSON at most sextuples it (a control character
  // becomes \u00XX): most answers are known to fit without serialising them a second time.
  const body = Buffer.byteLength(result.body ?? '', 'utf8');
  if (body * 6 + ENVELOPE_BYTES <= maxBytes) return result;
  const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (bytes <= maxBytes) return result;
  const size = (n: number) =>
    n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
  throw new ValidationError(
    `the answer is ${size(bytes)}, more than the ${size(maxBytes)} a response holds`,
    {
      issues: [
        {
          path: '(query)',
          message: 'ask for less: a shorter range (from, to), a coarser groupBy, or a smaller limit',
        },
      ],
    },
  );
}

/** The read side: `/v1/metrics/*` and `/v1/attribution*` (JSON or CSV), and `/v1/health`. */
export interface QueryHandlerProps {
  /** The largest answer returned (tests lower it); {@link MAX_RESPONSE_BYTES} by default. */
  readonly maxResponseBytes?: number;
}

export function createQueryHandler(pipeline: Pipeline, props: QueryHandlerProps = {}) {
  const maxBytes = props.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent) => {
    const route = ROUTES[event.routeKey];
    // API Gateway's `$default` route brings every unmatched request here, for our own 404 shape.
    if (!route)
      throw new NotFoundError(`no route for ${event.requestContext?.http?.method} ${event.rawPath}`);
    return refuseOversized(await route(event, pipeline), maxBytes);
  })
    .use(httpErrorHandler())
    .use(
      apiKeyAuth({
        keyStore: pipeline.keyStore,
        scopeFor: (event) => (PUBLIC_ROUTES.has(event.routeKey) ? undefined : 'query'),
      }),
    );
}

export const handler = lambdaEntry(async () => createQueryHandler(await createPipelineFromEnvironment()));

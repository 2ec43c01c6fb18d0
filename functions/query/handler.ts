import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { lazyHandler } from '#adapters/lazy.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { attribute, compareModels, MODELS } from '#domain/attribution/index.ts';
import { datesBetween } from '#domain/dates.ts';
import { type ComputePartial, toComputePartial } from '#domain/day-result.ts';
import { NotFoundError } from '#domain/errors.ts';
import { channelShare, cpaByStage, referralTraffic, shareOfVoice } from '#domain/metrics/index.ts';
import { QUERY_SHAPES } from '#http/api-schemas.ts';
import { dashboardPage, dashboardScript } from '#http/dashboard.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { openApiDocument } from '#http/openapi.ts';
import { type DateRange, parseQuery } from '#http/query-params.ts';
import { csvResponse, jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';

export const VERSION = '0.1.0';
/** Routes anyone may call. */
const PUBLIC_ROUTES = new Set(['GET /', 'GET /dashboard.js', 'GET /v1/health', 'GET /v1/openapi.json']);

type MetricRoute = (event: HttpEvent, pipeline: Pipeline) => Promise<HttpResult>;

/** Reads the stored day results of a range. */
async function loadRange(pipeline: Pipeline, range: DateRange): Promise<ComputePartial> {
  return toComputePartial(await pipeline.results.readDays(datesBetween(range.from, range.to)));
}

function fileName(metric: string, range: DateRange): string {
  return `${metric}_${range.from}_${range.to}.csv`;
}

const ROUTES: Readonly<Record<string, MetricRoute>> = {
  async 'GET /v1/metrics/channel-share'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/metrics/channel-share'], pipeline.config.timeZone);
    const result = channelShare((await loadRange(pipeline, q)).metrics, {
      from: q.from,
      to: q.to,
      basis: q.basis,
    });
    if (q.format === 'json') return jsonResponse(200, result);
    return csvResponse(
      fileName('channel-share', q),
      ['channel', 'count', 'share'],
      result.channels.map((row) => [row.channel, row.count, row.share]),
    );
  },

  async 'GET /v1/metrics/share-of-voice'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/metrics/share-of-voice'], pipeline.config.timeZone);
    const result = shareOfVoice((await loadRange(pipeline, q)).metrics, {
      from: q.from,
      to: q.to,
      source: q.source,
      brand: pipeline.config.brand.name,
      competitors: pipeline.config.competitors.map((c) => c.name),
    });
    if (q.format === 'json') return jsonResponse(200, result);
    return csvResponse(
      fileName('share-of-voice', q),
      ['name', 'is_brand', 'count', 'share'],
      result.entries.map((row) => [row.name, row.isBrand, row.count, row.share]),
    );
  },

  async 'GET /v1/metrics/referral-traffic'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/metrics/referral-traffic'], pipeline.config.timeZone);
    const result = referralTraffic((await loadRange(pipeline, q)).metrics, {
      from: q.from,
      to: q.to,
      limit: q.limit,
    });
    if (q.format === 'json') return jsonResponse(200, result);
    return csvResponse(
      fileName('referral-traffic', q),
      ['domain', 'category', 'visits', 'share', 'conversions'],
      result.domains.map((row) => [row.domain, row.category, row.visits, row.share, row.conversions]),
    );
  },

  async 'GET /v1/metrics/cpa-by-stage'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/metrics/cpa-by-stage'], pipeline.config.timeZone);
    const result = cpaByStage((await loadRange(pipeline, q)).metrics, {
      from: q.from,
      to: q.to,
      channel: q.channel,
      currency: pipeline.config.currency,
    });
    if (q.format === 'json') return jsonResponse(200, result);
    return csvResponse(
      fileName('cpa-by-stage', q),
      ['stage', 'events', 'users', 'spend', 'cost_per_event', 'cost_per_user', 'currency'],
      result.stages.map((row) => [
        row.stage,
        row.events,
        row.users,
        result.spend,
        row.costPerEvent,
        row.costPerUser,
        result.currency,
      ]),
    );
  },

  async 'GET /v1/attribution'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/attribution'], pipeline.config.timeZone);
    const result = attribute((await loadRange(pipeline, q)).attribution, {
      from: q.from,
      to: q.to,
      model: q.model,
      groupBy: q.groupBy,
    });
    if (q.format === 'json') return jsonResponse(200, { ...result, currency: pipeline.config.currency });
    return csvResponse(
      fileName(`attribution-${q.model}-by-${q.groupBy}`, q),
      [q.groupBy, 'conversions', 'value', 'spend', 'cpa', 'roas'],
      result.rows.map((row) => [row.key, row.conversions, row.value, row.spend, row.cpa, row.roas]),
    );
  },

  async 'GET /v1/attribution/compare'(event, pipeline) {
    const q = parseQuery(event, QUERY_SHAPES['GET /v1/attribution/compare'], pipeline.config.timeZone);
    const result = compareModels((await loadRange(pipeline, q)).attribution, { from: q.from, to: q.to });
    if (q.format === 'json') return jsonResponse(200, { ...result, currency: pipeline.config.currency });
    return csvResponse(
      fileName('attribution-compare', q),
      ['channel', 'spend', ...MODELS],
      result.rows.map((row) => [row.channel, row.spend, ...MODELS.map((model) => row.conversions[model])]),
    );
  },

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

/** The read side: `/v1/metrics/*` and `/v1/attribution*` (JSON or CSV), and `/v1/health`. */
export function createQueryHandler(pipeline: Pipeline) {
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent) => {
    const route = ROUTES[event.routeKey];
    if (!route) throw new NotFoundError(`no route ${event.routeKey}`);
    return route(event, pipeline);
  })
    .use(httpErrorHandler())
    .use(
      apiKeyAuth({
        keyStore: pipeline.keyStore,
        scopeFor: (event) => (PUBLIC_ROUTES.has(event.routeKey) ? undefined : 'query'),
      }),
    );
}

export const handler = lazyHandler(async () => createQueryHandler(await createPipelineFromEnvironment()));

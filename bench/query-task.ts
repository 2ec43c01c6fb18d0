/**
 * Child process: the query function over stored day results (90 days of a 10M-event lake with
 * 5,000 campaigns): each route over the last 7, 30 and 90 days, repeated, through the real handler
 * (auth, DynamoDB reads of the day results, zod, finalisers, JSON). Its peak RSS is the query
 * function's memory need.
 */
import { z } from 'zod';
import { DynamoResultsStore } from '#adapters/results-store.ts';
import { addDays } from '#domain/dates.ts';
import { STORED_SECTIONS } from '#domain/day-result.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { localDocumentClient } from '#local/servers.ts';
import { median, percentile } from './stats.ts';
import { benchContext, benchPipeline, childInput, type Endpoints, httpEvent, report } from './support.ts';

export interface QueryTaskInput {
  readonly endpoints: Endpoints;
  readonly workDir: string;
  /** Last day with results; ranges end here. */
  readonly last: string;
  readonly ranges: readonly number[];
  readonly repeats: number;
}

export interface QueryTiming {
  readonly route: string;
  readonly days: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly responseBytes: number;
  readonly rows: number;
  /** What a route answering one set of figures (visitors, cart) said, so its timing is of real data. */
  readonly figures?: Record<string, number>;
}

export interface QueryRead {
  readonly days: number;
  /** `results.readDays` of the range as the handler does it. */
  readonly readMs: number;
  /** The same with a schema that checks nothing. */
  readonly readWithoutZodMs: number;
  /** Days and blocks of days read (the range's cover). */
  readonly items: number;
  /** Read capacity the read consumed (heads, versions items and chunks; eventually consistent). */
  readonly rru: number;
}

export interface QueryTaskResult {
  readonly reads: readonly QueryRead[];
  readonly timings: readonly QueryTiming[];
  /** The first request of the process (cold: modules, clients, key lookup). */
  readonly firstRequestMs: number;
}

export const QUERY_ROUTES: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
  ['channel share', '/v1/metrics/channel-share', { basis: 'touches' }],
  ['cpa by stage', '/v1/metrics/cpa-by-stage', {}],
  ['attribution last_touch by campaign', '/v1/attribution', { model: 'last_touch', groupBy: 'campaign' }],
  ['attribution markov by campaign', '/v1/attribution', { model: 'markov', groupBy: 'campaign' }],
  ['attribution compare (all seven models)', '/v1/attribution/compare', {}],
  // Journey analytics: from blocks of days like the above, or from single days (NPS and cohorts
  // keep people, which blocks do not).
  ['ads by campaign', '/v1/metrics/ads', { groupBy: 'campaign' }],
  ['e-mail funnel by campaign', '/v1/metrics/email', { groupBy: 'campaign' }],
  ['e-mail funnel by day', '/v1/metrics/email', { groupBy: 'day' }],
  ['funnel', '/v1/metrics/funnel', {}],
  ['visitors', '/v1/metrics/visitors', {}],
  ['cart', '/v1/metrics/cart', {}],
  ['paths', '/v1/journeys/paths', { limit: '20' }],
  ['journey summary', '/v1/journeys/summary', {}],
  ['nps (single days)', '/v1/metrics/nps', {}],
  ['cohorts by week (single days)', '/v1/metrics/cohorts', { period: 'week' }],
  [
    'series: channel share by week (each week its own range)',
    '/v1/metrics/series',
    { metric: 'channel-share', interval: 'week' },
  ],
];

const input = childInput<QueryTaskInput>();
const pipeline = benchPipeline({ endpoints: input.endpoints, workDir: input.workDir });
const handler = createQueryHandler(pipeline);

async function call(
  path: string,
  query: Record<string, string>,
): Promise<{ ms: number; bytes: number; rows: number; figures?: Record<string, number> }> {
  const started = performance.now();
  const response = await handler(httpEvent({ method: 'GET', path, query }), benchContext('query'));
  const ms = performance.now() - started;
  if (response.statusCode !== 200)
    throw new Error(`${path} answered ${response.statusCode}: ${response.body}`);
  const body = JSON.parse(response.body ?? '{}') as Record<string, unknown>;
  // The answer's list (rows, channels, stages, paths, cohorts, points; the journey summary's
  // assists); an answer that is one set of figures (visitors, cart) is one row.
  const list = ['rows', 'channels', 'stages', 'paths', 'cohorts', 'points', 'assisted']
    .map((key) => body[key])
    .find(Array.isArray);
  return {
    ms,
    bytes: Buffer.byteLength(response.body ?? ''),
    rows: list ? list.length : 1,
    ...(list ? {} : { figures: numbersOf(body) }),
  };
}

/** The numeric fields of an answer that is one set of figures. */
function numbersOf(body: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(body).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}

const first = await call('/v1/metrics/channel-share', { from: addDays(input.last, -6), to: input.last });
const timings: QueryTiming[] = [];
for (const days of input.ranges) {
  const range = { from: addDays(input.last, 1 - days), to: input.last };
  for (const [route, path, query] of QUERY_ROUTES) {
    await call(path, { ...range, ...query });
    const samples: number[] = [];
    let bytes = 0;
    let rows = 0;
    let figures: Record<string, number> | undefined;
    for (let r = 0; r < input.repeats; r++) {
      const answer = await call(path, { ...range, ...query });
      samples.push(answer.ms);
      bytes = answer.bytes;
      rows = answer.rows;
      figures = answer.figures;
    }
    timings.push({
      route,
      days,
      p50Ms: median(samples),
      p95Ms: percentile(samples, 95),
      maxMs: Math.max(...samples),
      responseBytes: bytes,
      rows,
      ...(figures ? { figures } : {}),
    });
  }
}
/** The stored sections without their zod check. */
function uncheckedSections() {
  return Object.fromEntries(
    Object.entries(STORED_SECTIONS).map(([name, section]) => [name, { ...section, schema: z.any() }]),
  ) as unknown as typeof STORED_SECTIONS;
}
// Where a query's time goes: reading the range's day results (DynamoDB, gunzip, JSON, zod), the
// same read without the zod check, and the rest (merge + finalise + JSON) by difference.
const unchecked = new DynamoResultsStore({
  client: localDocumentClient(input.endpoints.dynamo),
  table: pipeline.env.RESULTS_TABLE,
  sections: uncheckedSections(),
});
// What a read consumes, as DynamoDB counts it (dynalite sizes items the same way).
let rru = 0;
const counted = localDocumentClient(input.endpoints.dynamo);
counted.middlewareStack.add(
  (next) => async (args) => {
    (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
    const result = await next(args);
    const output = result.output as { ConsumedCapacity?: Array<{ CapacityUnits?: number }> };
    for (const capacity of output.ConsumedCapacity ?? []) rru += capacity.CapacityUnits ?? 0;
    return result;
  },
  { step: 'initialize', name: 'consumed-capacity' },
);
const metered = new DynamoResultsStore({
  client: counted,
  table: pipeline.env.RESULTS_TABLE,
  sections: uncheckedSections(),
});
const reads: QueryRead[] = [];
for (const days of input.ranges) {
  const from = addDays(input.last, 1 - days);
  const checked: number[] = [];
  const plain: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    await pipeline.results.readRange(from, input.last);
    checked.push(performance.now() - t);
    t = performance.now();
    await unchecked.readRange(from, input.last);
    plain.push(performance.now() - t);
  }
  rru = 0;
  const items = Object.values(await metered.readRange(from, input.last)).reduce(
    (n, parts) => n + parts.size,
    0,
  );
  reads.push({ days, readMs: median(checked), readWithoutZodMs: median(plain), items, rru });
}
report({ timings, firstRequestMs: first.ms, reads } satisfies QueryTaskResult);

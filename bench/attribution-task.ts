/**
 * One attribution measurement in its own process (for its own peak memory):
 * `node bench/attribution-task.ts ours|duckdb` prints one JSON line.
 * Data: 1,000,000 touches of 100,000 users over 20 channels and 40 days, 50,000 conversions.
 * - ours: the compute map step (AttributionMapper) over all events, then all seven models
 *   (`compareModels`), timed from the first event to the last model.
 * - duckdb: the same journeys loaded into DuckDB with its appender (timed apart), then one SQL
 *   query computing the five heuristic models per channel (timed, after one warm-up run).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { AttributionMapper, compareModels, mergeAttribution } from '#domain/attribution/index.ts';
import type { ChannelId } from '#domain/channel-ids.ts';
import { CHANNEL_IDS } from '#domain/channel-ids.ts';
import type { NormalisedEvent } from '#domain/normalised-event.ts';
import { seededRandom } from '#local/demo-data.ts';

const TOUCHES = 1_000_000;
const USERS = 100_000;
const CONVERSIONS = 50_000;
const DAYS = 40;
const LOOKBACK_DAYS = 30;
const HALF_LIFE_DAYS = 7;
const START = Date.parse('2026-02-01T00:00:00Z');
const CHANNELS = [...CHANNEL_IDS, 'partner' as ChannelId];

interface Data {
  readonly userOf: Int32Array;
  readonly ts: Float64Array;
  readonly channel: Uint8Array;
  readonly conversionUser: Int32Array;
  readonly conversionTs: Float64Array;
}

/** Touches ordered by user, then time; every other user converts once, after some touches. */
function generate(): Data {
  const random = seededRandom(11);
  const perUser = TOUCHES / USERS;
  const userOf = new Int32Array(TOUCHES);
  const ts = new Float64Array(TOUCHES);
  const channel = new Uint8Array(TOUCHES);
  const conversionUser = new Int32Array(CONVERSIONS);
  const conversionTs = new Float64Array(CONVERSIONS);
  let c = 0;
  for (let u = 0; u < USERS; u++) {
    let t = START + Math.floor(random() * 20 * 86_400_000);
    for (let i = 0; i < perUser; i++) {
      const k = u * perUser + i;
      userOf[k] = u;
      ts[k] = t;
      channel[k] = Math.floor(random() * CHANNELS.length);
      t += Math.floor(random() * 2 * 86_400_000);
    }
    if (u % 2 === 0 && c < CONVERSIONS) {
      conversionUser[c] = u;
      // After a random number of the user's touches.
      const after = u * perUser + Math.floor(random() * perUser);
      conversionTs[c] = (ts[after] ?? START) + 3_600_000;
      c++;
    }
  }
  return { userOf, ts, channel, conversionUser, conversionTs };
}

function* events(data: Data): Generator<NormalisedEvent> {
  let c = 0;
  for (let k = 0; k < TOUCHES; k++) {
    const user = data.userOf[k] ?? 0;
    const t = data.ts[k] ?? 0;
    yield {
      eventId: `t${k}`,
      type: 'page_view',
      occurredAt: '',
      ts: t,
      receivedAt: '',
      userKey: `u${user}`,
      channel: CHANNELS[data.channel[k] ?? 0] as ChannelId,
      stage: 'consideration',
      touch: true,
      count: 1,
    };
    // A user's conversion right after the user's last touch, as a scan keeps a user together.
    if (c < CONVERSIONS && data.conversionUser[c] === user && data.userOf[k + 1] !== user) {
      yield {
        eventId: `c${c}`,
        type: 'conversion',
        occurredAt: '',
        ts: data.conversionTs[c] ?? 0,
        receivedAt: '',
        userKey: `u${user}`,
        channel: 'direct',
        stage: 'decision',
        touch: false,
        count: 1,
        valueMicros: 25_000_000,
      };
      c++;
    }
  }
}

const range = { from: '2026-01-01', to: '2026-12-31' };

async function ours(data: Data) {
  const started = performance.now();
  const mapper = new AttributionMapper({
    ...range,
    timeZone: 'UTC',
    lookbackDays: LOOKBACK_DAYS,
    halfLifeDays: HALF_LIFE_DAYS,
  });
  for (const event of events(data)) mapper.add(event);
  const comparison = compareModels(mergeAttribution([mapper.finish()]), range);
  const ms = performance.now() - started;
  const linear = Object.fromEntries(comparison.rows.map((row) => [row.channel, row.conversions.linear]));
  return { ms, conversions: comparison.conversions, linear };
}

async function duckdb(data: Data) {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const loading = performance.now();
  await connection.run('CREATE TABLE touches (user_id INTEGER, ts BIGINT, seq INTEGER, channel VARCHAR)');
  await connection.run('CREATE TABLE conversions (conv_id INTEGER, user_id INTEGER, ts BIGINT)');
  const touches = await connection.createAppender('touches');
  for (let k = 0; k < TOUCHES; k++) {
    touches.appendInteger(data.userOf[k] ?? 0);
    touches.appendBigInt(BigInt(data.ts[k] ?? 0));
    touches.appendInteger(k);
    touches.appendVarchar(CHANNELS[data.channel[k] ?? 0] ?? '');
    touches.endRow();
  }
  touches.closeSync();
  const conversions = await connection.createAppender('conversions');
  for (let c = 0; c < CONVERSIONS; c++) {
    conversions.appendInteger(c);
    conversions.appendInteger(data.conversionUser[c] ?? 0);
    conversions.appendBigInt(BigInt(data.conversionTs[c] ?? 0));
    conversions.endRow();
  }
  conversions.closeSync();
  const loadMs = performance.now() - loading;
  const lookbackMs = LOOKBACK_DAYS * 86_400_000;
  const halfLifeMs = HALF_LIFE_DAYS * 86_400_000;
  // The five heuristic models per channel, as a warehouse attribution package computes them
  // (position based over touches, without collapsing repeated channels).
  const sql = `
    WITH journey AS (
      SELECT c.conv_id, t.channel,
             row_number() OVER (PARTITION BY c.conv_id ORDER BY t.ts, t.seq) AS pos,
             count(*) OVER (PARTITION BY c.conv_id) AS n,
             pow(2, -(c.ts - t.ts) / ${halfLifeMs}.0) AS w
      FROM conversions c
      JOIN touches t ON t.user_id = c.user_id AND t.ts <= c.ts AND t.ts >= c.ts - ${lookbackMs}
    ), weighted AS (
      SELECT *, w / sum(w) OVER (PARTITION BY conv_id) AS decay FROM journey
    )
    SELECT channel,
           sum(CASE WHEN pos = 1 THEN 1 ELSE 0 END) AS first_touch,
           sum(CASE WHEN pos = n THEN 1 ELSE 0 END) AS last_touch,
           sum(1.0 / n) AS linear,
           sum(decay) AS time_decay,
           sum(CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5 WHEN pos = 1 OR pos = n THEN 0.4 ELSE 0.2 / (n - 2) END) AS position_based
    FROM weighted GROUP BY channel ORDER BY channel`;
  await connection.run(sql); // warm-up
  const started = performance.now();
  const result = await connection.runAndReadAll(sql);
  const ms = performance.now() - started;
  const linear = Object.fromEntries(
    result.getRowObjects().map((row) => [String(row.channel), Number(row.linear)]),
  );
  connection.closeSync();
  instance.closeSync();
  return { ms, loadMs, linear };
}

const mode = process.argv[2] ?? 'ours';
const data = generate();
const result = mode === 'duckdb' ? await duckdb(data) : await ours(data);
console.log(
  JSON.stringify({
    mode,
    touches: TOUCHES,
    conversions: CONVERSIONS,
    ...result,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);

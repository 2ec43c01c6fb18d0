/** The yardstick's SQL (bench/baseline-task.ts runs it; run.ts prints it). */
/** The SQL: who is who, the window's events, then the two answers. */
export const BASELINE_SQL = {
  events: `CREATE OR REPLACE TEMP TABLE ev AS
SELECT coalesce(p.person, e.user_key) AS person, e.ts, e.type, e.channel, e.touch, e.count
FROM read_parquet($events) e
LEFT JOIN (SELECT from_key, arg_min(to_key, ts) AS person FROM read_parquet($identities) GROUP BY from_key) p
  ON p.from_key = e.user_key
WHERE e.ts BETWEEN $lo AND $hi`,
  channelShare: `SELECT channel, sum(count) AS touches
FROM ev WHERE touch AND ts >= $from_ms
GROUP BY channel`,
  lastTouch: `SELECT CASE WHEN t.ts >= c.ts - $lookback_ms THEN t.channel ELSE 'direct' END AS channel,
       count(*) AS conversions
FROM (SELECT person, ts FROM ev WHERE type = 'conversion' AND ts >= $from_ms) c
ASOF LEFT JOIN (SELECT person, ts, channel FROM ev WHERE touch AND person IS NOT NULL) t
  ON c.person = t.person AND c.ts >= t.ts
GROUP BY ALL`,
};

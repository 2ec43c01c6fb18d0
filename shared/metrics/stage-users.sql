-- CPA by stage: events and distinct users per local day, stage and channel. A touch counts on its
-- own channel, a conversion on its last touch's. Users are kept as mergeable sketches: the exact
-- 64-bit user hashes while a cell has at most $exact_limit, else HyperLogLog registers (4096,
-- one character each), so any range merges in bounded time.
WITH rows AS (
  SELECT day, stage, channel, user_hash, count FROM tch WHERE stage IS NOT NULL AND day BETWEEN $from AND $to
  UNION ALL
  SELECT c.day, c.stage, coalesce(l.channel, 'direct'), c.user_hash, c.count
  FROM conv c
  LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = n) l ON l.conversion_id = c.event_id
  WHERE c.stage IS NOT NULL
),
cells AS (
  SELECT day, stage, channel, sum(count) AS events, count(DISTINCT user_hash) AS users
  FROM rows GROUP BY ALL
),
users AS (SELECT DISTINCT day, stage, channel, user_hash FROM rows WHERE user_hash IS NOT NULL),
registers AS (
  SELECT u.day, u.stage, u.channel, {{register_index}} AS idx, max({{register_rank}}) AS rank
  FROM users u JOIN cells c USING (day, stage, channel)
  WHERE c.users > $exact_limit
  GROUP BY ALL
),
dense AS (
  SELECT c.day, c.stage, c.channel,
         string_agg(chr(48 + coalesce(r.rank, 0)::INTEGER), '' ORDER BY i.idx) AS registers
  FROM cells c CROSS JOIN range(4096) i(idx)
  LEFT JOIN registers r ON r.day = c.day AND r.stage = c.stage AND r.channel = c.channel AND r.idx = i.idx
  WHERE c.users > $exact_limit
  GROUP BY ALL
),
exact AS (
  SELECT u.day, u.stage, u.channel, list(u.user_hash ORDER BY u.user_hash) AS hashes
  FROM users u JOIN cells c USING (day, stage, channel)
  WHERE c.users <= $exact_limit
  GROUP BY ALL
)
SELECT c.day, c.stage, c.channel, c.events, e.hashes, d.registers
FROM cells c
LEFT JOIN exact e USING (day, stage, channel)
LEFT JOIN dense d USING (day, stage, channel);

-- CPA by stage: events and distinct users per local day, stage and channel. A touch counts on its
-- own channel, a conversion on its last touch's. Users are kept as mergeable sketches
-- (user-sketches.sql), so any range merges in bounded time. The rows are summed per user once,
-- with each cell known by a number (millions of groups keyed by text are several times slower);
-- a cell's events and users are counted from those sums.
WITH rows AS (
  SELECT day, stage, channel, user_hash, count FROM tch WHERE stage IS NOT NULL AND day BETWEEN $from AND $to
  UNION ALL
  SELECT c.day, c.stage, coalesce(l.channel, 'direct'), c.user_hash, c.count
  FROM conv c
  LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = n) l ON l.conversion_id = c.event_id
  WHERE c.stage IS NOT NULL
),
cell_keys AS (
  SELECT day, stage, channel, row_number() OVER () AS cell FROM (SELECT DISTINCT day, stage, channel FROM rows)
),
per_user AS (
  SELECT k.cell, r.user_hash, sum(r.count) AS events
  FROM rows r JOIN cell_keys k USING (day, stage, channel)
  GROUP BY ALL
),
{{user_sketches}}
SELECT k.day, k.stage, k.channel, c.events, e.hashes, d.registers
FROM cells c
JOIN cell_keys k USING (cell)
LEFT JOIN exact e USING (cell)
LEFT JOIN dense d USING (cell);

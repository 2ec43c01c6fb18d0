-- CPA by stage: events and distinct users per local day, stage (k1) and channel (k2). A touch
-- (or a share) counts on its own channel, a conversion on its last touch's. Users are kept as mergeable
-- sketches (user-sketches.sql), so any range merges in bounded time.
WITH rows AS (
  SELECT day, stage AS k1, channel AS k2, user_hash, count FROM tch WHERE stage IS NOT NULL AND day BETWEEN $from AND $to
  UNION ALL
  SELECT c.day, c.stage, coalesce(l.channel, 'direct'), c.user_hash, c.count
  FROM conv c
  LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = n) l ON l.conversion_id = c.conversion_id
  WHERE c.stage IS NOT NULL
  UNION ALL
  -- Shares are advocacy but no touch (never a last touch), so they are not in tch.
  SELECT day, stage, channel, user_hash, count FROM other_events
  WHERE type = 'share' AND stage IS NOT NULL AND day BETWEEN $from AND $to
),
{{user_sketches}}
SELECT * FROM sketch_rows;

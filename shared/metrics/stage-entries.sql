-- Funnel: how long people take from one stage to the next. A stage entry is a person's first event
-- of a stage on a day with no event of that stage in the lookback before it; for each entry on a
-- local day of the range, the whole days since the person's first event of the previous stage
-- (funnel order) in the lookback before it, counted per day, stage, channel (the entry's: a
-- touch's own, a conversion's last touch's) and days. Entries without a previous-stage event are
-- not counted. Events are first folded into one row per person, stage and day (its first and last
-- instants, the first one's channel), so the window and the join run over person-days.
WITH staged AS (
  SELECT person_id, ts, event_id, stage, channel, day FROM tch WHERE stage IS NOT NULL AND person_id IS NOT NULL
  UNION ALL
  SELECT c.person_id, c.ts, c.event_id, c.stage, coalesce(l.channel, 'direct'), c.day
  FROM conversions c
  LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = n) l ON l.conversion_id = c.conversion_id
  WHERE c.stage IS NOT NULL AND c.person_id IS NOT NULL
  UNION ALL
  SELECT person_id, ts, event_id, stage, channel, day FROM other_events
  WHERE type = 'share' AND stage IS NOT NULL AND person_id IS NOT NULL
),
person_days AS (
  SELECT person_id, stage, day, min(ts) AS first_ts, max(ts) AS last_ts, arg_min(channel, (ts, event_id)) AS channel
  FROM staged GROUP BY person_id, stage, day
),
entries AS (
  SELECT person_id, first_ts AS ts, stage, channel, day,
         CASE stage WHEN 'consideration' THEN 'awareness' WHEN 'decision' THEN 'consideration'
                    WHEN 'retention' THEN 'decision' WHEN 'advocacy' THEN 'retention' END AS previous_stage
  FROM (SELECT *, lag(last_ts) OVER (PARTITION BY person_id, stage ORDER BY first_ts) AS previous FROM person_days)
  WHERE day BETWEEN $from AND $to AND (previous IS NULL OR first_ts - previous > $lookback_ms)
),
waits AS (
  SELECT e.day, e.stage, e.channel, e.person_id, e.ts, min(p.first_ts) AS since
  FROM person_days p
  JOIN entries e -- the hash table on the entries, a sixth of the person-days (joins build on their right side)
    ON p.person_id = e.person_id AND p.stage = e.previous_stage
    AND p.first_ts <= e.ts AND p.last_ts >= e.ts - $lookback_ms
  GROUP BY ALL
)
SELECT day, stage, channel, floor((ts - greatest(since, ts - $lookback_ms)) / 86400000)::INTEGER AS days,
       count(*) AS people
FROM waits
GROUP BY ALL;

-- Funnel: how long people take from one stage to the next. A stage entry is a person's event of a
-- stage with no event of that stage in the lookback before it; for each entry on a local day of
-- the range, the whole days since the person's first event of the previous stage (funnel order)
-- in the lookback before it, counted per day, stage, channel (a touch's own, a conversion's last
-- touch's) and days. Entries without a previous-stage event are not counted.
WITH staged AS (
  SELECT person_id, ts, event_id, stage, channel, day FROM tch WHERE stage IS NOT NULL AND person_id IS NOT NULL
  UNION ALL
  SELECT c.person_id, c.ts, c.event_id, c.stage, coalesce(l.channel, 'direct'), c.day
  FROM conversions c
  LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = n) l ON l.conversion_id = c.event_id
  WHERE c.stage IS NOT NULL AND c.person_id IS NOT NULL
  UNION ALL
  SELECT person_id, ts, event_id, stage, channel, day FROM ev
  WHERE type = 'share' AND stage IS NOT NULL AND person_id IS NOT NULL
),
entries AS (
  SELECT person_id, ts, stage, channel, day,
         CASE stage WHEN 'consideration' THEN 'awareness' WHEN 'decision' THEN 'consideration'
                    WHEN 'retention' THEN 'decision' WHEN 'advocacy' THEN 'retention' END AS previous_stage
  FROM (SELECT *, lag(ts) OVER (PARTITION BY person_id, stage ORDER BY ts, event_id) AS previous FROM staged)
  WHERE day BETWEEN $from AND $to AND (previous IS NULL OR ts - previous > $lookback_ms)
),
waits AS (
  SELECT e.day, e.stage, e.channel, e.person_id, e.ts, min(p.ts) AS since
  FROM entries e
  JOIN staged p ON p.person_id = e.person_id AND p.stage = e.previous_stage
    AND p.ts <= e.ts AND p.ts >= e.ts - $lookback_ms
  GROUP BY ALL
)
SELECT day, stage, channel, floor((ts - since) / 86400000)::INTEGER AS days, count(*) AS people
FROM waits
GROUP BY ALL;

-- Markov chain counts: the first-order transitions of every collapsed path (consecutive
-- same-channel touches are one state). A converting path per conversion ends in (conversion)
-- on the conversion's day; a person's touches after their last conversion (at most lookback
-- before the final one) end in (null) on the day of that final touch.
WITH null_after AS (
  SELECT t.person, t.ts, t.event_id, t.day, t.channel
  FROM tch t
  LEFT JOIN (SELECT person, max(ts) AS ts FROM ev WHERE type = 'conversion' AND person IS NOT NULL GROUP BY person) l
    USING (person)
  WHERE t.person IS NOT NULL AND (l.ts IS NULL OR t.ts > l.ts)
),
null_final AS (
  SELECT person, max(ts) AS final_ts, arg_max(day, (ts, event_id)) AS day FROM null_after GROUP BY person
),
paths AS (
  SELECT conversion_id AS path_id, day, pos AS ord, channel, conversions AS weight, '(conversion)' AS ending
  FROM journey
  UNION ALL
  SELECT a.person, f.day, row_number() OVER (PARTITION BY a.person ORDER BY a.ts, a.event_id), a.channel, 1, '(null)'
  FROM null_after a JOIN null_final f USING (person)
  WHERE f.day BETWEEN $from AND $to AND a.ts >= f.final_ts - $lookback_ms
),
collapsed AS (
  SELECT * FROM (
    SELECT *, lag(channel) OVER (PARTITION BY ending, path_id ORDER BY ord) AS previous_channel FROM paths
  ) WHERE previous_channel IS NULL OR previous_channel <> channel
),
states AS (
  SELECT *, coalesce(lag(channel) OVER (PARTITION BY ending, path_id ORDER BY ord), '(start)') AS from_state,
         row_number() OVER (PARTITION BY ending, path_id ORDER BY ord DESC) AS from_end
  FROM collapsed
)
SELECT day, from_state, channel AS to_state, sum(weight) AS count FROM states GROUP BY ALL
UNION ALL
SELECT day, channel, ending, sum(weight) FROM states WHERE from_end = 1 GROUP BY ALL;

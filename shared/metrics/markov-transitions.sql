-- Markov chain counts: the first-order transitions of every collapsed path (consecutive
-- same-channel touches are one state). A converting path per conversion ends in (conversion)
-- on the conversion's day; a person's touches after their last conversion (at most lookback
-- before the final one) end in (null) on the day of that final touch.
--
-- One window pass per kind of path: a touch starts a new state when the touch before it in the
-- path is on another channel, and that channel is the state it comes from; a path's last touch
-- is in its last state.
WITH null_after AS (
  SELECT t.person_id, t.ts, t.event_id, t.day, t.channel
  FROM tch t
  LEFT JOIN (SELECT person_id, max(ts) AS ts FROM conversions WHERE person_id IS NOT NULL GROUP BY person_id) l
    USING (person_id)
  WHERE t.person_id IS NOT NULL AND (l.ts IS NULL OR t.ts > l.ts)
),
null_touches AS (
  -- Over all of a person's touches after their last conversion, so the final one is known
  -- without a second pass; the path is those at most lookback before it.
  SELECT channel, ts, lag(channel) OVER w AS previous_channel, lag(ts) OVER w AS previous_ts,
         lead(ts) OVER w IS NULL AS last, last_value(ts) OVER whole AS final_ts,
         last_value(day) OVER whole AS final_day
  FROM null_after
  WINDOW w AS (PARTITION BY person_id ORDER BY ts, event_id),
         whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
steps AS (
  SELECT day, channel, conversions AS weight, '(conversion)' AS ending,
         lag(channel) OVER w AS previous_channel, lead(pos) OVER w IS NULL AS last
  FROM journey
  WINDOW w AS (PARTITION BY conversion_id ORDER BY pos)
  UNION ALL
  SELECT final_day, channel, 1, '(null)',
         CASE WHEN previous_ts >= final_ts - $lookback_ms THEN previous_channel END, last
  FROM null_touches
  WHERE final_day BETWEEN $from AND $to AND ts >= final_ts - $lookback_ms
)
SELECT day, coalesce(previous_channel, '(start)') AS from_state, channel AS to_state, sum(weight) AS count
FROM steps WHERE previous_channel IS NULL OR previous_channel <> channel GROUP BY ALL
UNION ALL
SELECT day, channel, ending, sum(weight) FROM steps WHERE last GROUP BY ALL;

-- Markov chain counts: the first-order transitions of every collapsed path (consecutive
-- same-channel touches are one state). A converting path per conversion ends in (conversion)
-- on the conversion's day; a person's touches after their last conversion (at most lookback
-- before the final one) end in (null) on the day of that final touch.
--
-- One window pass per kind of path: a touch starts a new state when the touch before it in the
-- path is on another channel, and that channel is the state it comes from; a path's last touch
-- is in its last state. A null path is the tail of its person's touches, so it is cut from them
-- before the window pass: its first touch has no state before it in the path.
WITH null_after AS (
  SELECT t.person_id, t.ts, t.event_id, t.day, t.channel
  FROM tch t
  LEFT JOIN (SELECT person_id, max(ts) AS ts FROM conversions WHERE person_id IS NOT NULL GROUP BY person_id) l
    USING (person_id)
  WHERE t.person_id IS NOT NULL AND (l.ts IS NULL OR t.ts > l.ts)
),
final_touch AS (
  -- A person's final touch: every touch at its instant is on the same local day.
  SELECT person_id, max(ts) AS final_ts, arg_max(day, ts) AS final_day FROM null_after GROUP BY person_id
),
null_touches AS (
  -- The path: the touches at most lookback before the final one, of finals on the days computed.
  SELECT f.final_day, n.channel, lag(n.channel) OVER w AS previous_channel, lead(n.ts) OVER w IS NULL AS last
  FROM null_after n JOIN final_touch f USING (person_id)
  WHERE f.final_day BETWEEN $from AND $to AND n.ts >= f.final_ts - $lookback_ms
  WINDOW w AS (PARTITION BY n.person_id ORDER BY n.ts, n.event_id)
),
steps AS (
  SELECT day, channel, conversions AS weight, '(conversion)' AS ending,
         lag(channel) OVER w AS previous_channel, lead(pos) OVER w IS NULL AS last
  FROM journey
  WINDOW w AS (PARTITION BY conversion_id ORDER BY pos)
  UNION ALL
  SELECT final_day, channel, 1, '(null)', previous_channel, last FROM null_touches
)
SELECT day, coalesce(previous_channel, '(start)') AS from_state, channel AS to_state, sum(weight) AS count
FROM steps WHERE previous_channel IS NULL OR previous_channel <> channel GROUP BY ALL
UNION ALL
SELECT day, channel, ending, sum(weight) FROM steps WHERE last GROUP BY ALL;

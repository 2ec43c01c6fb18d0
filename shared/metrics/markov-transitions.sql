-- Markov chain counts: the first-order transitions of every collapsed path (consecutive
-- same-channel touches are one state). A converting path per conversion ends in (conversion)
-- on the conversion's day; a journey that ended without a conversion (no touch or conversion
-- within lookback after its final touch: journeys.sql) ends in (null) on the day of that touch.
--
-- A touch starts a new state when the touch before it in the path is on another channel, and that
-- channel is the state it comes from; a path's last touch is in its last state. The null paths
-- come cut and ordered from journeys.sql (null_journey).
WITH steps AS (
  SELECT day, channel, conversions AS weight, '(conversion)' AS ending,
         lag(channel) OVER w AS previous_channel, lead(pos) OVER w IS NULL AS last
  FROM journey
  WINDOW w AS (PARTITION BY conversion_id ORDER BY pos)
  UNION ALL
  SELECT final_day, channel, 1, '(null)', previous_channel, last FROM null_journey
)
SELECT day, coalesce(previous_channel, '(start)') AS from_state, channel AS to_state, sum(weight) AS count
FROM steps WHERE previous_channel IS NULL OR previous_channel <> channel GROUP BY ALL
UNION ALL
SELECT day, channel, ending, sum(weight) FROM steps WHERE last GROUP BY ALL;

-- Paths: the journeys the Markov model sees (markov-transitions.sql), each as its collapsed list
-- of channels joined by '>' (consecutive same-channel touches are one step): a converting journey
-- per conversion, on its day, with its conversions and value; a non-converting one per person's
-- tail (null_journey), on the day of its final touch. Conversions without a touch have no path.
-- Only the steps where the channel changes reach the (ordered, memory-bound) aggregation.
WITH steps AS (
  SELECT day, conversion_id, pos, channel
  FROM (SELECT day, conversion_id, pos, channel,
               lag(channel) OVER (PARTITION BY conversion_id ORDER BY pos) AS previous_channel
        FROM journey)
  WHERE previous_channel IS NULL OR previous_channel <> channel
),
converting AS (
  SELECT s.day, s.conversion_id, string_agg(s.channel, '>' ORDER BY s.pos) AS path
  FROM steps s GROUP BY s.day, s.conversion_id
),
tails AS (
  SELECT final_day, person_id, string_agg(channel, '>' ORDER BY ts, event_id) AS path
  FROM null_journey WHERE previous_channel IS NULL OR previous_channel <> channel
  GROUP BY final_day, person_id
)
SELECT c.day, true AS converting, c.path, count(*) AS journeys, sum(j.conversions) AS conversions,
       sum(j.value_micros) AS value_micros
FROM converting c
JOIN (SELECT conversion_id, conversions, value_micros FROM journey WHERE pos = 1) j USING (conversion_id)
GROUP BY c.day, c.path
UNION ALL
SELECT final_day, false, path, count(*), 0, 0 FROM tails GROUP BY final_day, path;

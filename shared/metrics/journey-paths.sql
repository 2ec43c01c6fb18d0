-- Paths: the journeys the Markov model sees (markov-transitions.sql), each as its collapsed list
-- of channels joined by '>' (consecutive same-channel touches are one step): a converting journey
-- per conversion, on its day, with its conversions and value; a non-converting one per person's
-- tail (null_journey), on the day of its final touch. Conversions without a touch have no path.
WITH steps AS (
  SELECT day, conversion_id, conversions, value_micros, pos, channel,
         lag(channel) OVER (PARTITION BY conversion_id ORDER BY pos) AS previous_channel
  FROM journey
),
paths AS (
  SELECT day, true AS converting, any_value(conversions) AS conversions, any_value(value_micros) AS value_micros,
         string_agg(channel, '>' ORDER BY pos) FILTER (WHERE previous_channel IS NULL OR previous_channel <> channel) AS path
  FROM steps GROUP BY day, conversion_id
  UNION ALL
  SELECT final_day, false, 0, 0,
         string_agg(channel, '>' ORDER BY ts, event_id) FILTER (WHERE previous_channel IS NULL OR previous_channel <> channel)
  FROM null_journey GROUP BY final_day, person_id
)
SELECT day, converting, path, count(*) AS journeys, sum(conversions) AS conversions, sum(value_micros) AS value_micros
FROM paths
GROUP BY day, converting, path;

-- Shapley: converting journeys (and their value) per set of distinct channels, sorted and joined by ','.
SELECT day, channel_set, sum(conversions) AS conversions, sum(value_micros) AS value_micros
FROM (
  SELECT conversion_id, any_value(day) AS day, any_value(conversions) AS conversions,
         any_value(value_micros) AS value_micros,
         array_to_string(list_sort(list_distinct(list(channel))), ',') AS channel_set
  FROM journey GROUP BY conversion_id
)
GROUP BY ALL;

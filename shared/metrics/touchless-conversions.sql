-- Conversions with no touch in their lookback window (or no person to follow): credited to direct.
SELECT day, sum(count) AS conversions, sum(value_micros) AS value_micros
FROM conv c
WHERE NOT EXISTS (SELECT 1 FROM journey j WHERE j.conversion_id = c.conversion_id)
GROUP BY day;

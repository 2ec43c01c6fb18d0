-- Journey summary, per local day of a conversion: conversions by their journey's touches (not
-- collapsed; 0 without a touch) and by whole days from its first touch (none without a touch),
-- and per channel the conversions whose journey has it but not as its last touch (assisted) and
-- those it is the last touch of (a conversion without a touch: direct, as channel share credits it).
-- Each journey is summed once (one row per conversion) before the conversions meet it.
WITH shapes AS (SELECT conversion_id, max(n) AS touches, min(ts) AS first_ts FROM journey GROUP BY conversion_id),
per_conversion AS (
  SELECT c.day, c.count AS conversions, coalesce(s.touches, 0) AS touches,
         floor((c.ts - s.first_ts) / 86400000)::INTEGER AS days
  FROM conv c LEFT JOIN shapes s ON s.conversion_id = c.conversion_id
)
SELECT day, 'touches' AS kind, touches::VARCHAR AS key, sum(conversions) AS conversions
FROM per_conversion GROUP BY ALL
UNION ALL
SELECT day, 'days', days::VARCHAR, sum(conversions) FROM per_conversion WHERE days IS NOT NULL GROUP BY ALL
UNION ALL
SELECT day, 'last', channel, sum(conversions) FROM journey WHERE pos = n GROUP BY ALL
UNION ALL
SELECT day, 'last', 'direct', sum(conversions) FROM per_conversion WHERE touches = 0 GROUP BY ALL
UNION ALL
SELECT j.day, 'assisted', j.channel, sum(j.conversions)
FROM (SELECT DISTINCT conversion_id, day, conversions, channel FROM journey) j
JOIN (SELECT conversion_id, channel AS last_channel FROM journey WHERE pos = n) l USING (conversion_id)
WHERE j.channel <> l.last_channel
GROUP BY ALL;

-- Cohorts: every conversion on a local day of the range, with its person (user hash), its value
-- (net of refunds), whether it is the person's first (no conversion of theirs in the lookback
-- before it) and its journey's first touch's channel (direct without a touch). Kept per
-- conversion, not summed: a cohort follows its people from period to period (journey/cohorts.ts).
WITH ranked AS (
  SELECT conversion_id, user_hash, day, ts, value_micros,
         lag(ts) OVER (PARTITION BY person_id ORDER BY ts, event_id) AS previous
  FROM conversions WHERE person_id IS NOT NULL
)
SELECT r.day, r.user_hash, r.ts, (r.previous IS NULL OR r.ts - r.previous > $lookback_ms) AS first,
       r.value_micros, coalesce(f.channel, 'direct') AS channel
FROM ranked r
LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = 1) f ON f.conversion_id = r.conversion_id
WHERE r.day BETWEEN $from AND $to;

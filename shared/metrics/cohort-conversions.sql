-- Cohorts: every conversion on a local day of the range, with its person (user hash), its value
-- (net of refunds), whether it is the person's first ever (none of theirs before it in the window,
-- nor before the window: seen_before) and its journey's first touch's channel (direct
-- without a touch). Kept per conversion, not summed: a cohort follows its people from period to
-- period (journey/cohorts.ts).
WITH ranked AS (
  SELECT conversion_id, person_id, user_hash, day, ts, value_micros,
         lag(ts) OVER (PARTITION BY person_id ORDER BY ts, event_id) AS previous
  FROM conversions WHERE person_id IS NOT NULL
)
SELECT r.day, r.user_hash, r.ts, (r.previous IS NULL AND NOT coalesce(b.converted, false)) AS first,
       r.value_micros, coalesce(f.channel, 'direct') AS channel
FROM ranked r
LEFT JOIN seen_before b ON b.person_id = r.person_id
LEFT JOIN (SELECT conversion_id, channel FROM journey WHERE pos = 1) f ON f.conversion_id = r.conversion_id
WHERE r.day BETWEEN $from AND $to;

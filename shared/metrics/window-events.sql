-- The events one compute task reads: the range widened by the lookback before it; one row per
-- event_id across every day read (the copy received last wins, whoever it names); each user key
-- resolved to its person; each instant to its local day; only the persons of this task's bucket
-- (events without a person belong to bucket 0). Robots' events count nowhere.
CREATE OR REPLACE TEMP TABLE ev AS
WITH deduplicated AS (
  SELECT e.event_id, e.type, e.ts, e.count, e.channel, e.stage, e.touch, e.bot,
         coalesce(e.campaign, '(none)') AS campaign, coalesce(e.value_micros, 0) AS value_micros,
         e.voices, e.voice_source, e.referral_domain, e.referral_category,
         coalesce(p.person, e.user_key) AS person
  FROM lake_events e LEFT JOIN people p ON p.from_key = e.user_key
  -- Before the time filter: a correction that moved an event within the days read wins there too.
  QUALIFY row_number() OVER (PARTITION BY e.event_id ORDER BY e.received_at DESC, e.ts DESC) = 1
)
SELECT d.*, l.day, {{user_hash}} AS user_hash
FROM deduplicated d JOIN local_days l ON l.bucket = floor(d.ts / 900000)::BIGINT
WHERE d.ts BETWEEN $lo AND $hi AND NOT coalesce(d.bot, false) AND CASE WHEN d.person IS NULL THEN 0 ELSE {{user_hash}} % $buckets END = $bucket;

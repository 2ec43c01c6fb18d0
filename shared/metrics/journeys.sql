-- Conversions on the days computed, touches of the window, and each conversion's journey: the
-- touches of its person at most lookback before it (touches at its own instant included),
-- oldest first (ties by event id). The last touch of a journey is the row with pos = n.
-- Every conversion of the window is kept once (Markov paths end after a person's last one),
-- so the window's events are read once for them.
-- A conversion's value is net of its refunds (never below 0); a refund is no conversion itself.
-- Each conversion is known by a number in the task (conversion_id): the journey's windows and
-- joins run on it several times faster than on the text event id.
CREATE OR REPLACE TEMP TABLE conversions AS
SELECT row_number() OVER ()::INTEGER AS conversion_id, e.event_id, e.person_id, e.user_hash, e.ts, e.day, e.stage, e.count,
       e.conversion,
       CASE WHEN r.whole THEN 0 ELSE greatest(0, e.value_micros - coalesce(r.micros, 0)) END AS value_micros
FROM ev e LEFT JOIN refunded r ON r.refund_of = e.event_id
WHERE e.type = 'conversion' AND e.refund_of IS NULL;

CREATE OR REPLACE TEMP TABLE conv AS
SELECT * FROM conversions WHERE day BETWEEN $from AND $to;

-- This task's persons who viewed a page or converted before the window (the lake's visitor and
-- conversion indexes, every day before it; a conversion where its latest copy puts it), so a new
-- visitor and a first conversion (cohorts) are firsts ever. The indexes' keys are resolved
-- through the same links as the window's and looked up among the task's persons (the join's
-- built side), so an index that grows with history is scanned once and never grouped whole.
CREATE OR REPLACE TEMP TABLE seen_before AS
WITH persons AS (
  SELECT k.person_id, coalesce(p.person, k.user_key) AS person
  FROM user_keys k LEFT JOIN people p ON p.from_key = k.user_key
),
earlier AS (
  SELECT user_key, false AS converted FROM lake_visitors WHERE first_ts < $lo
  UNION ALL
  SELECT user_key, true FROM (
    SELECT user_key, ts FROM lake_conversions
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY {{latest_copy_first}}) = 1)
  WHERE ts < $lo AND user_key IS NOT NULL
)
SELECT s.person_id, bool_or(e.converted) AS converted, bool_or(NOT e.converted) AS visited
FROM earlier e
LEFT JOIN people p ON p.from_key = e.user_key
JOIN persons s ON s.person = coalesce(p.person, e.user_key)
GROUP BY s.person_id;

-- The widest table of a task (a row per touch of the window): its columns are only those the
-- queries read; the credit key is made from channel and campaign where it is needed.
CREATE OR REPLACE TEMP TABLE tch AS
SELECT event_id, person_id, user_hash, ts, day, stage, channel, campaign, referral_domain,
       referral_category, count
FROM ev WHERE touch AND type <> 'conversion';

CREATE OR REPLACE TEMP TABLE journey AS
SELECT c.conversion_id, c.day, c.ts AS conversion_ts, c.count AS conversions,
       c.value_micros, t.ts, t.event_id, t.channel, {{credit_key}} AS credit_key, t.referral_domain,
       t.referral_category,
       row_number() OVER (PARTITION BY c.conversion_id ORDER BY t.ts, t.event_id) AS pos,
       count(*) OVER (PARTITION BY c.conversion_id) AS n
FROM tch t JOIN conv c -- the hash table on the conversions (joins build on their right side)
  ON t.person_id = c.person_id AND t.ts <= c.ts AND t.ts >= c.ts - $lookback_ms;

-- The non-converting journeys: a person's touches after their last conversion of the window, at
-- most lookback before the final one, for final touches on the days computed, in order (pos, from
-- 1); each on the local day of its final touch. Markov's paths to (null) and the paths report read
-- them. A narrow table made once for both: the ordering by (ts, event_id) is done here, once.
CREATE OR REPLACE TEMP TABLE null_journey AS
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
)
SELECT n.person_id, f.final_day, n.channel, row_number() OVER w AS pos, lag(n.channel) OVER w AS previous_channel,
       lead(n.ts) OVER w IS NULL AS last
FROM null_after n JOIN final_touch f USING (person_id)
WHERE f.final_day BETWEEN $from AND $to AND n.ts >= f.final_ts - $lookback_ms
WINDOW w AS (PARTITION BY n.person_id ORDER BY n.ts, n.event_id);

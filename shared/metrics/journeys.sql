-- Conversions on the days computed, touches of the window, and each conversion's journey: the
-- touches of its person at most lookback before it (touches at its own instant included),
-- oldest first (ties by event id). The last touch of a journey is the row with pos = n.
-- Every conversion of the window is kept once (a journey without one starts after the person's
-- last conversion before it), so the window's events are read once for them.
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

-- The first touch or conversion of each of this task's persons after the window, up to lookback
-- after it (lake_later: the days after the range that have begun): whether a journey without a
-- conversion ended by then. Keys are resolved as the window's are; copies are not told apart
-- (whether any event follows is all that is asked).
CREATE OR REPLACE TEMP TABLE later AS
WITH persons AS (
  SELECT k.person_id, coalesce(p.person, k.user_key) AS person
  FROM user_keys k LEFT JOIN people p ON p.from_key = k.user_key
)
SELECT s.person_id, min(e.ts) AS ts
FROM lake_later e
LEFT JOIN people p ON p.from_key = e.user_key
JOIN persons s ON s.person = coalesce(p.person, e.user_key)
WHERE e.ts > $hi AND e.ts <= $horizon AND NOT coalesce(e.bot, false)
  AND ((e.touch AND e.type <> 'conversion') OR (e.type = 'conversion' AND e.refund_of IS NULL))
GROUP BY s.person_id;

-- The non-converting journeys: a journey ends without a conversion at a person's touch that is
-- followed by no touch and no conversion within lookback (in the window or after it, up to the
-- horizon); it holds the touches at most lookback before that final touch and after the
-- person's last conversion before it, in order (pos, from 1), on the local day of the final
-- touch, for final touches on the days computed. A day's journeys therefore depend only on events
-- up to lookback after it, whatever range is computed; a person can have several. Markov's paths
-- to (null) and the paths report read them. A narrow table made once for both: the ordering by
-- (ts, event_id) is done here, once. A journey is known by its person and final instant (a
-- numbering of the final touches cost 1.5 s at 10M events).
CREATE OR REPLACE TEMP TABLE null_journey AS
WITH person_events AS (
  SELECT person_id, ts, event_id, day, true AS touch FROM tch WHERE person_id IS NOT NULL
  UNION ALL
  SELECT person_id, ts, event_id, day, false FROM conversions WHERE person_id IS NOT NULL
),
ordered AS (
  -- At one instant touches come first: a touch at a conversion's instant is that conversion's.
  SELECT *, lead(ts) OVER w AS next_ts,
         max(CASE WHEN NOT touch THEN ts END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_conversion
  FROM person_events
  -- (The order among touches of one instant changes neither their next instant nor the
  -- conversions before them: no tie-break by event id, whose text sort cost a second at 10M.)
  WINDOW w AS (PARTITION BY person_id ORDER BY ts, touch DESC)
),
final_touch AS (
  SELECT o.person_id, o.ts AS final_ts, o.day AS final_day, o.last_conversion
  FROM ordered o LEFT JOIN later l ON l.person_id = o.person_id
  WHERE o.touch AND o.day BETWEEN $from AND $to
    AND (coalesce(o.next_ts, l.ts) IS NULL OR coalesce(o.next_ts, l.ts) > o.ts + $lookback_ms)
)
SELECT f.person_id, f.final_ts, f.final_day, t.channel, row_number() OVER w AS pos,
       lag(t.channel) OVER w AS previous_channel, lead(t.ts) OVER w IS NULL AS last
FROM tch t
JOIN final_touch f -- the hash table on the final touches (joins build on their right side)
  ON t.person_id = f.person_id AND t.ts <= f.final_ts AND t.ts >= f.final_ts - $lookback_ms
  AND (f.last_conversion IS NULL OR t.ts > f.last_conversion)
WINDOW w AS (PARTITION BY f.person_id, f.final_ts ORDER BY t.ts, t.event_id);

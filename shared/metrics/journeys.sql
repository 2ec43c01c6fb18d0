-- Conversions on the days computed, touches of the window, and each conversion's journey: the
-- touches of its person at most lookback before it (touches at its own instant included),
-- oldest first (ties by event id). The last touch of a journey is the row with pos = n.
CREATE OR REPLACE TEMP TABLE conv AS
SELECT event_id, person, user_hash, ts, day, stage, count, value_micros
FROM ev WHERE type = 'conversion' AND day BETWEEN $from AND $to;

CREATE OR REPLACE TEMP TABLE tch AS
SELECT event_id, person, user_hash, ts, day, stage, channel, campaign, referral_domain,
       referral_category, count,
       channel || chr(31) || replace(campaign, chr(31), ' ') AS credit_key
FROM ev WHERE touch AND type <> 'conversion';

CREATE OR REPLACE TEMP TABLE journey AS
SELECT c.event_id AS conversion_id, c.day, c.ts AS conversion_ts, c.count AS conversions,
       c.value_micros, t.ts, t.event_id, t.channel, t.credit_key, t.referral_domain,
       t.referral_category,
       row_number() OVER (PARTITION BY c.event_id ORDER BY t.ts, t.event_id) AS pos,
       count(*) OVER (PARTITION BY c.event_id) AS n
FROM tch t JOIN conv c -- the hash table on the conversions (joins build on their right side)
  ON t.person = c.person AND t.ts <= c.ts AND t.ts >= c.ts - $lookback_ms;

-- Conversions on the days computed, touches of the window, and each conversion's journey: the
-- touches of its person at most lookback before it (touches at its own instant included),
-- oldest first (ties by event id). The last touch of a journey is the row with pos = n.
-- Every conversion of the window is kept once (Markov paths end after a person's last one),
-- so the window's events are read once for them.
CREATE OR REPLACE TEMP TABLE conversions AS
SELECT event_id, person_id, user_hash, ts, day, stage, count, value_micros
FROM ev WHERE type = 'conversion';

CREATE OR REPLACE TEMP TABLE conv AS
SELECT * FROM conversions WHERE day BETWEEN $from AND $to;

-- The widest table of a task (a row per touch of the window): its columns are only those the
-- queries read; the credit key is made from channel and campaign where it is needed.
CREATE OR REPLACE TEMP TABLE tch AS
SELECT event_id, person_id, user_hash, ts, day, stage, channel, campaign, referral_domain,
       referral_category, count
FROM ev WHERE touch AND type <> 'conversion';

CREATE OR REPLACE TEMP TABLE journey AS
SELECT c.event_id AS conversion_id, c.day, c.ts AS conversion_ts, c.count AS conversions,
       c.value_micros, t.ts, t.event_id, t.channel, {{credit_key}} AS credit_key, t.referral_domain,
       t.referral_category,
       row_number() OVER (PARTITION BY c.event_id ORDER BY t.ts, t.event_id) AS pos,
       count(*) OVER (PARTITION BY c.event_id) AS n
FROM tch t JOIN conv c -- the hash table on the conversions (joins build on their right side)
  ON t.person_id = c.person_id AND t.ts <= c.ts AND t.ts >= c.ts - $lookback_ms;

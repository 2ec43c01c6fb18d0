-- The events one compute task reads: the range widened by the lookback before it; one row per
-- event_id across every day read (the copy received last wins, whoever it names); each user key
-- resolved to its person; each instant to its local day; only the persons of this task's bucket
-- (events without a person belong to bucket 0). Robots' events count nowhere.
--
-- ev is a view: the statements after it read only the rows and columns they need (a filter on
-- touch or type reaches the Parquet scan), and no wide copy of the window is held in memory.
-- What must be decided once (which copy wins, each key's person) is kept in small tables.

-- Every copy of a repeated event_id but the winner. A day's partition holds an id once, so
-- copies are few: found by a narrow aggregate, then ranked among themselves. Before the time
-- filter: a correction that moved an event within the days read wins there too. The aggregate
-- groups the ids' hashes (integers group several times faster than text); a hash shared by
-- different ids only makes them candidates, and the ranking by id keeps each one's first copy.
CREATE OR REPLACE TEMP TABLE superseded AS
SELECT file_index, file_row_number FROM lake_events
WHERE hash(event_id) IN (SELECT hash(event_id) FROM lake_events GROUP BY ALL HAVING count(*) > 1)
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY {{latest_copy_first}}) > 1;

-- The user keys of this task's persons, each with its person and the person's hash, once per key
-- instead of once per event (MD5 is costly); the bucket is taken in UBIGINT, as HUGEINT
-- arithmetic is several times slower. Only this bucket's keys are kept: every read of ev joins
-- them, and joining all the window's keys made bucket 0 of 13 over 122.6M events take 155 s
-- instead of 104 s (docs/decisions.md). The statements after this one know a person by a number
-- (person_id): joins and windows over integers are several times faster than over text.
CREATE OR REPLACE TEMP TABLE user_keys AS
SELECT user_key, dense_rank() OVER (ORDER BY person)::INTEGER AS person_id, user_hash
FROM (SELECT user_key, person, {{user_hash}} AS user_hash
      FROM (SELECT k.user_key, coalesce(p.person, k.user_key) AS person
            FROM (SELECT DISTINCT user_key FROM lake_events WHERE user_key IS NOT NULL) k
            LEFT JOIN people p ON p.from_key = k.user_key))
WHERE user_hash % $buckets::UBIGINT = {{bucket}};

CREATE OR REPLACE TEMP VIEW ev AS
SELECT e.event_id, e.type, e.ts, e.count, e.channel, e.stage, e.touch,
       coalesce(e.campaign, '(none)') AS campaign, coalesce(e.value_micros, 0) AS value_micros,
       e.voices, e.voice_source, e.referral_domain, e.referral_category, k.person_id, l.day, k.user_hash,
       e.email_action, e.platform, e.creative, coalesce(e.cost_micros, 0) AS cost_micros, e.survey, e.score,
       e.answer, e.cart_action, e.conversion, e.visit_id, e.refund_of
FROM lake_events e
ANTI JOIN superseded s ON s.file_index = e.file_index AND s.file_row_number = e.file_row_number
LEFT JOIN user_keys k ON k.user_key = e.user_key
JOIN local_days l ON l.bucket = floor(e.ts / 900000)::BIGINT
WHERE e.ts BETWEEN {{lo}} AND {{hi}} AND NOT coalesce(e.bot, false)
  AND (k.person_id IS NOT NULL OR (e.user_key IS NULL AND {{bucket}} = 0));

-- The window's carts, e-mails, surveys and shares: fewer than its page views and ad events (about
-- a seventh of the bench's window, e-mails most of it), and read by six queries. Kept once in a
-- narrow table, so those queries do not each scan the window again.
CREATE OR REPLACE TEMP TABLE other_events AS
SELECT event_id, type, person_id, user_hash, ts, day, count, stage, channel, campaign, email_action, cart_action,
       survey, score, answer
FROM ev WHERE type IN ('cart', 'email', 'survey', 'share');

-- Refunds of every day the lake holds (a refund can come long after its conversion), one per
-- refund id (the copy received last), summed per refunded conversion; a refund without a value
-- refunds the whole conversion.
CREATE OR REPLACE TEMP TABLE refunded AS
SELECT refund_of, bool_or(value_micros IS NULL) AS whole, sum(value_micros) AS micros
FROM (SELECT * FROM lake_refunds QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY {{latest_copy_first}}) = 1)
GROUP BY refund_of;

-- Paths: the journeys the Markov model sees (markov-transitions.sql), each as its collapsed list
-- of channels joined by '>' (consecutive same-channel touches are one step), its last
-- MAX_PATH_STEPS steps kept (journey-day.ts): a converting journey per conversion, on its day,
-- with its conversions and value; a non-converting one per journey that ended without one
-- (null_journey), on the day of its final touch. Conversions without a touch have no path.
-- An ordered string aggregation per journey held every journey's steps in memory at once (past
-- DuckDB's limit at 10M events): instead each step is a channel code (its place in CHANNEL_IDS,
-- 1…19: 5 bits) shifted by its place from the end, so a path is the bit_or of its steps, a
-- HUGEINT of 20 × 5 bits (a unit test holds the constants to what fits: ≤ 31 channels, ≤ 25
-- steps); journeys are counted per code with plain aggregates, and only distinct codes are spelled.
WITH steps AS (
  SELECT day, conversion_id, pos, list_position({{channel_ids}}, channel) AS code
  FROM (SELECT day, conversion_id, pos, channel,
               lag(channel) OVER (PARTITION BY conversion_id ORDER BY pos) AS previous_channel
        FROM journey)
  WHERE previous_channel IS NULL OR previous_channel <> channel
),
converting AS (
  SELECT day, conversion_id, bit_or(code::HUGEINT << (5 * from_end)) AS path_code
  FROM (SELECT *, row_number() OVER (PARTITION BY conversion_id ORDER BY pos DESC) - 1 AS from_end FROM steps)
  WHERE from_end < {{max_path_steps}}
  GROUP BY day, conversion_id
),
tail_steps AS (
  SELECT final_day, person_id, final_ts, list_position({{channel_ids}}, channel) AS code,
         row_number() OVER (PARTITION BY person_id, final_ts ORDER BY pos DESC) - 1 AS from_end
  FROM null_journey WHERE previous_channel IS NULL OR previous_channel <> channel
),
tails AS (
  SELECT final_day, person_id, final_ts, bit_or(code::HUGEINT << (5 * from_end)) AS path_code
  FROM tail_steps WHERE from_end < {{max_path_steps}}
  GROUP BY final_day, person_id, final_ts
),
counted AS (
  SELECT c.day, true AS converting, c.path_code, count(*) AS journeys, sum(j.conversions) AS conversions,
         sum(j.value_micros) AS value_micros
  FROM converting c
  JOIN (SELECT conversion_id, conversions, value_micros FROM journey WHERE pos = 1) j USING (conversion_id)
  GROUP BY c.day, c.path_code
  UNION ALL
  SELECT final_day, false, path_code, count(*), 0, 0 FROM tails GROUP BY final_day, path_code
),
spelled AS (
  -- Each distinct code once: its 5-bit groups from the first step (the highest) to the last.
  SELECT path_code,
         string_agg({{channel_ids}}[((path_code >> (5 * k)) & 31)::INTEGER], '>' ORDER BY k DESC) AS path
  FROM (SELECT DISTINCT path_code FROM counted) d, range({{max_path_steps}}) r(k)
  WHERE path_code >> (5 * k) > 0
  GROUP BY path_code
)
SELECT c.day, c.converting, s.path, c.journeys, c.conversions, c.value_micros
FROM counted c JOIN spelled s USING (path_code);

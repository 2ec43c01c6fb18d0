-- Net Promoter Score: each person's latest nps answer of each local day in the range, with the
-- channel of their first touch in the lookback before it (direct without one). The query keeps
-- each person's latest answer over the whole range (journey/nps.ts), so the answers are kept per
-- person, not summed. The answers (few) are the build side of the join with the touches.
WITH answers AS (
  SELECT person_id, user_hash, ts, day, score FROM other_events
  WHERE type = 'survey' AND survey = 'nps' AND person_id IS NOT NULL AND day BETWEEN $from AND $to
  QUALIFY row_number() OVER (PARTITION BY person_id, day ORDER BY ts DESC, event_id DESC) = 1
),
firsts AS (
  SELECT a.person_id, a.ts, arg_min(t.channel, (t.ts, t.event_id)) AS channel
  FROM tch t
  JOIN answers a ON t.person_id = a.person_id AND t.ts <= a.ts AND t.ts >= a.ts - $lookback_ms
  GROUP BY a.person_id, a.ts
)
SELECT a.day, a.user_hash, a.ts, a.score::INTEGER AS score, coalesce(f.channel, 'direct') AS channel
FROM answers a
LEFT JOIN firsts f ON f.person_id = a.person_id AND f.ts = a.ts;

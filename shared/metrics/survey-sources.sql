-- Self-reported attribution: "how did you hear about us" answers (survey = 'source') per local
-- day, trimmed and lower-cased, each person counted once a day (their latest answer that day).
-- Shown beside the models in the comparison (journey/self-reported.ts).
SELECT day, answer, count(*) AS responses
FROM (
  SELECT day, lower(trim(answer)) AS answer FROM other_events
  WHERE type = 'survey' AND survey = 'source' AND answer IS NOT NULL AND day BETWEEN $from AND $to
  QUALIFY row_number() OVER (PARTITION BY person_id, day ORDER BY ts DESC, event_id DESC) = 1
)
GROUP BY ALL;

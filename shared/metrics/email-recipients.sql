-- The e-mail funnel: distinct recipients per local day, campaign and action (sent, delivered,
-- bounce, open, click, unsubscribe, complaint, subscribe), kept as mergeable user sketches
-- (user-sketches.sql): three opens by one recipient are one opened. Rates are worked out when
-- a range is asked for (journey/email-funnel.ts).
WITH rows AS (
  SELECT day, campaign, email_action AS action, user_hash, count FROM ev
  WHERE type = 'email' AND email_action IS NOT NULL AND day BETWEEN $from AND $to
),
cell_keys AS (
  SELECT day, campaign, action, row_number() OVER () AS cell FROM (SELECT DISTINCT day, campaign, action FROM rows)
),
per_user AS (
  SELECT k.cell, r.user_hash, sum(r.count) AS events
  FROM rows r JOIN cell_keys k USING (day, campaign, action)
  GROUP BY ALL
),
{{user_sketches}}
SELECT k.day, k.campaign, k.action, e.hashes, d.registers
FROM cells c
JOIN cell_keys k USING (cell)
LEFT JOIN exact e USING (cell)
LEFT JOIN dense d USING (cell);

-- The e-mail funnel: distinct recipients per local day, campaign (k1) and action (k2: sent,
-- delivered, bounce, open, click, unsubscribe, complaint, subscribe), kept as mergeable user
-- sketches (user-sketches.sql): three opens by one recipient are one opened. Rates are worked
-- out when a range is asked for (journey/email-funnel.ts).
WITH rows AS (
  SELECT day, campaign AS k1, email_action AS k2, user_hash, count FROM other_events
  WHERE type = 'email' AND email_action IS NOT NULL AND day BETWEEN $from AND $to
),
{{user_sketches}}
SELECT * FROM sketch_rows;

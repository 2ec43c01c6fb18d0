-- Visitors: per local day, user sketches (user-sketches.sql) of the people with a page view
-- (internal navigation included) and of the new ones among them (k1: all, new): a page view with
-- no page view of the same person in the lookback before it. A range's new visitors are the union
-- of its days' (journey/visitors.ts), so "new" means no page view in the lookback before the
-- range's first.
WITH pv AS (
  SELECT person_id, user_hash, ts, day, lag(ts) OVER (PARTITION BY person_id ORDER BY ts) AS previous
  FROM ev WHERE type = 'page_view' AND person_id IS NOT NULL
),
rows AS (
  SELECT day, 'all' AS k1, '' AS k2, user_hash, 1 AS count FROM pv WHERE day BETWEEN $from AND $to
  UNION ALL
  SELECT day, 'new', '', user_hash, 1 FROM pv
  WHERE day BETWEEN $from AND $to AND (previous IS NULL OR ts - previous > $lookback_ms)
),
{{user_sketches}}
SELECT * FROM sketch_rows;

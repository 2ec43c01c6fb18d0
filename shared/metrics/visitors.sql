-- Visitors: per local day, user sketches (user-sketches.sql) of the people with a page view
-- (internal navigation included) and of the new ones among them: a page view with no page view
-- of the same person in the lookback before it. A range's new visitors are the union of its
-- days' (journey/visitors.ts), so "new" means no page view in the lookback before the range's first.
WITH pv AS (
  SELECT person_id, user_hash, ts, day, lag(ts) OVER (PARTITION BY person_id ORDER BY ts) AS previous
  FROM ev WHERE type = 'page_view' AND person_id IS NOT NULL
),
rows AS (
  SELECT day, 'all' AS kind, user_hash, 1 AS count FROM pv WHERE day BETWEEN $from AND $to
  UNION ALL
  SELECT day, 'new', user_hash, 1 FROM pv
  WHERE day BETWEEN $from AND $to AND (previous IS NULL OR ts - previous > $lookback_ms)
),
cell_keys AS (SELECT day, kind, row_number() OVER () AS cell FROM (SELECT DISTINCT day, kind FROM rows)),
per_user AS (
  SELECT k.cell, r.user_hash, sum(r.count) AS events
  FROM rows r JOIN cell_keys k USING (day, kind)
  GROUP BY ALL
),
{{user_sketches}}
SELECT k.day, k.kind, e.hashes, d.registers
FROM cells c
JOIN cell_keys k USING (cell)
LEFT JOIN exact e USING (cell)
LEFT JOIN dense d USING (cell);

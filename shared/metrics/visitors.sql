-- Visitors: per local day, user sketches (user-sketches.sql) of the people with a page view
-- (internal navigation included) and of the new ones among them (k1: all, new): people whose
-- first page view ever is on the day (none of theirs before it in the window, nor before the
-- window: seen_before). A range's new visitors are the union of its days' (journey/visitors.ts). Page views (page-visits.sql) are folded
-- into one row per person and day, so the window runs over person-days, not page views.
WITH person_days AS (
  SELECT person_id, any_value(user_hash) AS user_hash, day, min(first_ts) AS first_ts, max(last_ts) AS last_ts
  FROM page_visits WHERE person_id IS NOT NULL
  GROUP BY person_id, day
),
pv AS (
  SELECT person_id, user_hash, day, first_ts, lag(last_ts) OVER (PARTITION BY person_id ORDER BY first_ts) AS previous
  FROM person_days
),
rows AS (
  SELECT day, 'all' AS k1, '' AS k2, user_hash, 1 AS count FROM pv WHERE day BETWEEN $from AND $to
  UNION ALL
  SELECT day, 'new', '', user_hash, 1 FROM pv LEFT JOIN seen_before b USING (person_id)
  WHERE day BETWEEN $from AND $to AND previous IS NULL AND NOT coalesce(b.visited, false)
),
{{user_sketches}}
SELECT * FROM sketch_rows;

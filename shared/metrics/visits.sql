-- Visits: per local day, the visits with a page view (the lake's visit_id: the sender's session,
-- else sessionTimeoutMinutes of inactivity), their page views, the visits with a single page view
-- (bounces) and the milliseconds from each visit's first page view to its last. Rows written
-- before visits existed (no visit_id) are left out.
WITH per_visit AS (
  -- A sender's session ids may repeat across people (RudderStack's are start times): a visit is a person's.
  SELECT day, person_id, visit_id, count(*) AS pages, max(ts) - min(ts) AS duration_ms
  FROM ev WHERE type = 'page_view' AND visit_id IS NOT NULL AND day BETWEEN $from AND $to
  GROUP BY day, person_id, visit_id
)
SELECT day, count(*) AS visits, sum(pages) AS page_views, count(*) FILTER (WHERE pages = 1) AS bounces,
       sum(duration_ms) AS visit_ms
FROM per_visit
GROUP BY day;

-- Visits: per local day, the visits with a page view (the lake's visit_id: the sender's session,
-- else sessionTimeoutMinutes of inactivity), their page views, the visits with a single page view
-- (bounces) and the milliseconds from each visit's first page view to its last. Rows written
-- before visits existed (no visit_id) are left out.
SELECT day, count(*) AS visits, sum(pages) AS page_views, count(*) FILTER (WHERE pages = 1) AS bounces,
       sum(last_ts - first_ts) AS visit_ms
FROM page_visits
WHERE visit IS NOT NULL AND day BETWEEN $from AND $to
GROUP BY day;

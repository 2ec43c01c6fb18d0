-- Page views folded once per person, local day and visit (the lake's visit_id; NULL for rows
-- written before visits existed): their count and first and last instants. Visitors and visits
-- both read page views, the most numerous events; folded here they are scanned once. A visit is a
-- person's: a sender's session ids may repeat across people (RudderStack's are start times).
CREATE OR REPLACE TEMP TABLE page_visits AS
SELECT person_id, any_value(user_hash) AS user_hash, day, visit_id, count(*) AS pages, min(ts) AS first_ts,
       max(ts) AS last_ts
FROM ev WHERE type = 'page_view'
GROUP BY person_id, day, visit_id;

-- Page views folded once per person, local day and visit (the lake's visit_id; NULL for rows
-- written before visits existed): their count and first and last instants. Visitors and visits
-- both read page views, the most numerous events; folded here they are scanned once. A visit is a
-- person's: a sender's session ids may repeat across people (RudderStack's are start times).
-- The visit is grouped by its id's 64-bit hash: grouping millions of text ids took 1.6 of 4 s at
-- 10M events. Two visits of one person and day would have to share a hash to count as one; the
-- bench's 4,742,210 distinct visit ids have 4,742,210 distinct hashes.
CREATE OR REPLACE TEMP TABLE page_visits AS
SELECT person_id, any_value(user_hash) AS user_hash, day, CASE WHEN visit_id IS NOT NULL THEN hash(visit_id) END AS visit,
       count(*) AS pages, min(ts) AS first_ts, max(ts) AS last_ts
FROM ev WHERE type = 'page_view'
GROUP BY person_id, day, visit;

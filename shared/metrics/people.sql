-- Who is who: every user key that was linked to another (identify, a message with both ids,
-- an alias) resolved to the key at the end of its chain of links. The first link of a key wins
-- (a second user claiming the same device does not take its journey); chains are followed up to
-- 16 hops. A chain that does not end there (a cycle) resolves to the smallest key it reaches, the
-- same key from every member of the cycle.
CREATE OR REPLACE TEMP TABLE people AS
WITH RECURSIVE first_link AS (
  SELECT from_key, arg_min(to_key, (ts, event_id)) AS to_key
  FROM lake_identities
  WHERE from_key <> to_key
  GROUP BY from_key
),
walk (from_key, person, hops) AS (
  SELECT from_key, to_key, 1 FROM first_link
  UNION ALL
  SELECT w.from_key, f.to_key, w.hops + 1
  FROM walk w JOIN first_link f ON f.from_key = w.person
  WHERE w.hops < 16
),
ends AS (
  SELECT w.from_key, w.person, f.from_key IS NULL AS terminal
  FROM walk w LEFT JOIN first_link f ON f.from_key = w.person
)
SELECT from_key, coalesce(max(person) FILTER (WHERE terminal), min(person)) AS person
FROM ends GROUP BY from_key;

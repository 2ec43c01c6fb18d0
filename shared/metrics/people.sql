-- Who is who: every user key that was linked to another (identify, a message with both ids,
-- an alias) resolved to the key at the end of its chain of links. The first link of a key wins
-- (a second user claiming the same device does not take its journey); chains are followed up to
-- 16 hops. A chain that does not end there (a cycle) resolves to the smallest key of the cycle,
-- the same key from every member of the cycle and from every key that leads into it.
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
  SELECT w.from_key, w.person, w.hops, f.from_key IS NULL AS terminal
  FROM walk w LEFT JOIN first_link f ON f.from_key = w.person
),
resolved AS (
  SELECT from_key, max(person) FILTER (WHERE terminal) AS person, arg_max(person, hops) AS far
  FROM ends GROUP BY from_key
),
-- The smallest key each key's walk reaches: looked up from the key a cycle's walk is at after 16
-- hops (inside the cycle), so keys leading into a cycle resolve like the cycle's own members.
reached AS (SELECT from_key, min(person) AS person FROM walk GROUP BY from_key)
SELECT r.from_key, coalesce(r.person, f.person, least(r.far, c.person)) AS person
FROM resolved r
LEFT JOIN reached c ON c.from_key = r.far
-- A chain longer than 16 hops goes on from where it stopped: where that key's own walk ends.
LEFT JOIN resolved f ON f.from_key = r.far;

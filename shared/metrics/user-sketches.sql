-- A fragment, not a query: the common table expressions that turn rows(day, k1, k2, user_hash,
-- count), a query's events each under the two-part key of its cell (k2 '' when one part is
-- enough), into sketch_rows(day, k1, k2, events, hashes, registers): each cell's events and the
-- sketch of its users (user-sketch.ts), the exact 64-bit user hashes while a cell has at most
-- $exact_limit users, else HyperLogLog registers (4096, one character each). The rows are summed
-- per user once, with each cell known by a number (millions of groups keyed by text are several
-- times slower). Placed as the user_sketches fragment after a WITH that defines rows.
cell_keys AS (
  SELECT day, k1, k2, row_number() OVER () AS cell FROM (SELECT DISTINCT day, k1, k2 FROM rows)
),
per_user AS (
  SELECT k.cell, r.user_hash, sum(r.count) AS events
  FROM rows r JOIN cell_keys k USING (day, k1, k2)
  GROUP BY ALL
),
cells AS (SELECT cell, sum(events) AS events, count(user_hash) AS users FROM per_user GROUP BY cell),
users AS (SELECT cell, user_hash FROM per_user WHERE user_hash IS NOT NULL),
registers AS (
  SELECT u.cell, {{register_index}} AS idx, max({{register_rank}}) AS rank
  FROM users u JOIN cells c USING (cell)
  WHERE c.users > $exact_limit
  GROUP BY ALL
),
dense AS (
  SELECT c.cell, string_agg(chr(48 + coalesce(r.rank, 0)::INTEGER), '' ORDER BY i.idx) AS registers
  FROM cells c CROSS JOIN range(4096) i(idx)
  LEFT JOIN registers r ON r.cell = c.cell AND r.idx = i.idx
  WHERE c.users > $exact_limit
  GROUP BY ALL
),
exact AS (
  SELECT u.cell, list(u.user_hash ORDER BY u.user_hash) AS hashes
  FROM users u JOIN cells c USING (cell)
  WHERE c.users <= $exact_limit
  GROUP BY ALL
),
sketch_rows AS (
  SELECT k.day, k.k1, k.k2, c.events, e.hashes, d.registers
  FROM cells c
  JOIN cell_keys k USING (cell)
  LEFT JOIN exact e USING (cell)
  LEFT JOIN dense d USING (cell)
)

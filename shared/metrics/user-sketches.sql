-- A fragment, not a query: the common table expressions that turn per_user(cell, user_hash,
-- events), a query's rows summed per user and numbered cell, into each cell's events and the
-- sketch of its users (user-sketch.ts): the exact 64-bit user hashes while a cell has at most
-- $exact_limit users, else HyperLogLog registers (4096, one character each). Placed as the
-- user_sketches fragment after a WITH that defines per_user; it defines cells, exact and dense.
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
)

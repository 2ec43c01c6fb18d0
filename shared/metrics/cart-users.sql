-- Cart abandonment: per local day, the users who added something to a cart, who started a
-- checkout, and who bought (a purchase conversion) at or after an add of theirs within the
-- lookback, on the day of the purchase (k1: adds, checkouts, purchases); kept as mergeable user
-- sketches (user-sketches.sql). The query intersects the range's adders with its buyers
-- (journey/cart.ts).
WITH rows AS (
  SELECT day, CASE cart_action WHEN 'add' THEN 'adds' ELSE 'checkouts' END AS k1, '' AS k2, user_hash, count
  FROM other_events WHERE type = 'cart' AND cart_action IN ('add', 'checkout') AND day BETWEEN $from AND $to
  UNION ALL
  SELECT p.day, 'purchases', '', p.user_hash, p.count
  FROM conv p
  WHERE p.conversion = 'purchase'
    AND EXISTS (
      SELECT 1 FROM other_events a
      WHERE a.type = 'cart' AND a.cart_action = 'add' AND a.person_id = p.person_id
        AND a.ts <= p.ts AND a.ts >= p.ts - $lookback_ms
    )
),
{{user_sketches}}
SELECT * FROM sketch_rows;

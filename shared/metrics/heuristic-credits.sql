-- First touch, last touch, linear, time decay and position based: each conversion's credit
-- (in billionths, $credit_unit per conversion) and value (micros) shared over its journey's
-- touches by the model's weights, exactly: floors first, then the remainder one by one to the
-- largest fractional parts (earlier touch first on ties), so every conversion's parts sum to it.
-- First and last touch give each conversion wholly to one touch, so they skip the sharing; the
-- weights of the others are worked out once per touch and summed in touch order (a re-run gives
-- the same floors), before the touches are repeated per model.
WITH steps AS (
  SELECT *, lag(channel) OVER (PARTITION BY conversion_id ORDER BY pos) AS previous_channel
  FROM journey
),
stepped AS (
  SELECT *, sum(CASE WHEN previous_channel IS NULL OR previous_channel <> channel THEN 1 ELSE 0 END)
              OVER (PARTITION BY conversion_id ORDER BY pos ROWS UNBOUNDED PRECEDING) AS step
  FROM steps
),
sized AS (
  SELECT *, max(step) OVER (PARTITION BY conversion_id) AS step_count,
            count(*) OVER (PARTITION BY conversion_id, step) AS step_touches,
            max(ts) OVER (PARTITION BY conversion_id) AS newest
  FROM stepped
),
weights AS (
  SELECT *,
    -- From the newest touch: the ratios are those from the conversion, and nothing underflows.
    pow(2.0, -((least(conversion_ts, newest) - ts)::DOUBLE) / $half_life_ms) AS decay_weight,
    (CASE WHEN step_count = 1 THEN 1.0
          WHEN step_count = 2 THEN 0.5
          WHEN step = 1 OR step = step_count THEN 0.4
          ELSE 0.2 / (step_count - 2) END) / step_touches AS position_weight
  FROM sized
),
totals AS (
  SELECT *, sum(decay_weight) OVER o AS decay_total, sum(position_weight) OVER o AS position_total
  FROM weights
  WINDOW o AS (PARTITION BY conversion_id ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
weighted AS (
  SELECT conversion_id, day, pos, credit_key, conversions, value_micros, m.model,
    CASE m.model WHEN 'linear' THEN 1.0 WHEN 'time_decay' THEN decay_weight ELSE position_weight END AS weight,
    CASE m.model WHEN 'linear' THEN n WHEN 'time_decay' THEN decay_total ELSE position_total END AS total
  FROM totals
  CROSS JOIN (VALUES ('linear'), ('time_decay'), ('position_based')) m(model)
),
exact AS (
  SELECT *,
    ($credit_unit * conversions) * weight / total AS exact_credit,
    value_micros::DOUBLE * weight / total AS exact_value
  FROM weighted
),
floored AS (
  SELECT *, floor(exact_credit) AS credit_floor, floor(exact_value) AS value_floor FROM exact
),
remainders AS (
  SELECT *,
    $credit_unit * conversions - sum(credit_floor) OVER c AS credit_rest,
    value_micros - sum(value_floor) OVER c AS value_rest,
    row_number() OVER (PARTITION BY conversion_id, model ORDER BY exact_credit - credit_floor DESC, pos) AS credit_rank,
    row_number() OVER (PARTITION BY conversion_id, model ORDER BY exact_value - value_floor DESC, pos) AS value_rank
  FROM floored
  WINDOW c AS (PARTITION BY conversion_id, model)
),
shares AS (
  SELECT day, model, credit_key,
         credit_floor + CASE WHEN credit_rank <= credit_rest THEN 1 ELSE 0 END AS credit,
         value_floor + CASE WHEN value_rank <= value_rest THEN 1 ELSE 0 END AS value_micros
  FROM remainders
  UNION ALL
  SELECT day, 'first_touch', credit_key, ($credit_unit * conversions)::DOUBLE, value_micros::DOUBLE
  FROM journey WHERE pos = 1
  UNION ALL
  SELECT day, 'last_touch', credit_key, ($credit_unit * conversions)::DOUBLE, value_micros::DOUBLE
  FROM journey WHERE pos = n
)
SELECT day, model, credit_key, sum(credit)::HUGEINT AS credit, sum(value_micros)::HUGEINT AS value_micros
FROM shares
GROUP BY ALL
HAVING credit <> 0 OR value_micros <> 0;

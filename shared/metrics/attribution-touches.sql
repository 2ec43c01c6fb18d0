-- Touches per local day and channel + campaign: spend on a key with no touch that day is
-- reported as unattributed.
SELECT day, credit_key, sum(count) AS touches
FROM tch WHERE day BETWEEN $from AND $to
GROUP BY ALL;

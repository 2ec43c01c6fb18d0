-- Touches per local day and channel + campaign: spend on a key with no touch that day is
-- reported as unattributed. Summed by channel and campaign first, so the key is made once per
-- pair (two campaigns can share a key: then the sums add up).
SELECT day, credit_key, sum(touches) AS touches
FROM (SELECT day, {{credit_key}} AS credit_key, sum(count) AS touches
      FROM tch WHERE day BETWEEN $from AND $to GROUP BY day, channel, campaign)
GROUP BY ALL;

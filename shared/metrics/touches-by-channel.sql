-- Channel share on the touches basis: touches per local day and channel, weighted by count.
SELECT day, channel, sum(count) AS touches
FROM tch WHERE day BETWEEN $from AND $to
GROUP BY day, channel;

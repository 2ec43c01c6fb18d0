-- Ads rates: impressions and clicks (weighted by count) and the cost the ad events carry, per
-- local day and platform, campaign and creative, each grouping apart. Aggregated rows without a
-- user count here (they are read in bucket 0), though never in journeys.
SELECT day,
       CASE WHEN grouping(platform) = 0 THEN 'platform' WHEN grouping(campaign) = 0 THEN 'campaign' ELSE 'creative' END AS grouping,
       CASE WHEN grouping(platform) = 0 THEN platform WHEN grouping(campaign) = 0 THEN campaign ELSE creative END AS key,
       coalesce(sum(count) FILTER (WHERE type = 'ad_impression'), 0) AS impressions,
       coalesce(sum(count) FILTER (WHERE type = 'ad_click'), 0) AS clicks,
       sum(cost_micros) AS cost_micros
FROM (SELECT day, type, count, cost_micros, platform, campaign, coalesce(creative, '(none)') AS creative
      FROM ev WHERE type IN ('ad_impression', 'ad_click') AND day BETWEEN $from AND $to)
GROUP BY GROUPING SETS ((day, platform), (day, campaign), (day, creative));

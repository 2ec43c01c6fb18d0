-- Ads rates: conversions whose last touch was an ad impression or click, per local day and that
-- ad's platform, campaign and creative, each grouping apart (last touch, as the contract says).
SELECT day,
       CASE WHEN grouping(platform) = 0 THEN 'platform' WHEN grouping(campaign) = 0 THEN 'campaign' ELSE 'creative' END AS grouping,
       CASE WHEN grouping(platform) = 0 THEN platform WHEN grouping(campaign) = 0 THEN campaign ELSE creative END AS key,
       sum(conversions) AS conversions
FROM (
  SELECT c.day, c.count AS conversions, a.platform, a.campaign, coalesce(a.creative, '(none)') AS creative
  FROM conv c
  JOIN (SELECT conversion_id, event_id FROM journey WHERE pos = n) l ON l.conversion_id = c.event_id
  JOIN (SELECT event_id, platform, campaign, creative FROM ev WHERE type IN ('ad_impression', 'ad_click')) a
    ON a.event_id = l.event_id
)
GROUP BY GROUPING SETS ((day, platform), (day, campaign), (day, creative));

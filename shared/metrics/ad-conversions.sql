-- Ads rates: conversions whose last touch was an ad impression or click, per local day and that
-- ad's platform, campaign and creative, each grouping apart (last touch, as the contract says).
-- The last touches (one per conversion) are the join's build side, written on its right.
SELECT day,
       CASE WHEN grouping(platform) = 0 THEN 'platform' WHEN grouping(campaign) = 0 THEN 'campaign' ELSE 'creative' END AS grouping,
       CASE WHEN grouping(platform) = 0 THEN platform WHEN grouping(campaign) = 0 THEN campaign ELSE creative END AS key,
       sum(conversions) AS conversions
FROM (
  SELECT l.day, l.conversions, a.platform, a.campaign, coalesce(a.creative, '(none)') AS creative
  FROM (SELECT event_id, platform, campaign, creative FROM ev WHERE type IN ('ad_impression', 'ad_click')) a
  JOIN (
    SELECT j.event_id, c.day, c.count AS conversions
    FROM (SELECT conversion_id, event_id FROM journey WHERE pos = n) j
    JOIN conv c ON c.conversion_id = j.conversion_id
  ) l ON l.event_id = a.event_id
)
GROUP BY GROUPING SETS ((day, platform), (day, campaign), (day, creative));

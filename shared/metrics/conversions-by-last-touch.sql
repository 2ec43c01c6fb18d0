-- Each conversion on the channel (and referring domain) of its last touch; direct without one.
-- Feeds channel share on the conversions basis, conversion value, referral conversions and the
-- decision/retention/advocacy stage counts.
SELECT c.day, coalesce(l.channel, 'direct') AS channel, c.stage, l.referral_domain,
       l.referral_category, sum(c.count) AS conversions, sum(c.value_micros) AS value_micros
FROM conv c
LEFT JOIN (SELECT conversion_id, channel, referral_domain, referral_category FROM journey WHERE pos = n) l
  ON l.conversion_id = c.conversion_id
GROUP BY ALL;

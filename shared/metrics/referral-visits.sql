-- Referral traffic: page views per local day and referring domain (external referrer, no UTM or
-- paid click id), weighted by count.
SELECT day, referral_domain AS domain, referral_category AS category, sum(count) AS visits
FROM ev WHERE referral_domain IS NOT NULL AND day BETWEEN $from AND $to
GROUP BY ALL;

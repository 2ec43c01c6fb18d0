-- Share of voice: per local day, source (ads, search) and name, weighted by count. A name listed
-- twice on one event is one voice.
SELECT day, voice_source AS source, name, sum(count) AS count
FROM (SELECT day, voice_source, count, unnest(list_distinct(voices)) AS name
      FROM ev WHERE voices IS NOT NULL AND voice_source IS NOT NULL AND day BETWEEN $from AND $to)
GROUP BY ALL;

-- Every context layer with its titles and how many features it has (in :park, when given;
-- features with no park count everywhere).
SELECT l.name, l.title_zh, l.title_en,
       count(f.id) AS features,
       coalesce(array_agg(DISTINCT f.kind ORDER BY f.kind)
                FILTER (WHERE f.kind IS NOT NULL), '{}') AS kinds
  FROM context_layer l
  LEFT JOIN context_feature f
         ON f.layer = l.name AND (CAST(:park AS text) IS NULL OR f.park IS NULL OR f.park = :park)
 GROUP BY l.name, l.title_zh, l.title_en
 ORDER BY l.name;

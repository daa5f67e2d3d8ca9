-- The context layers as OGC API collections (service/ogc/registry.py): name, titles and
-- the properties their features carry besides name/kind/park, each with its JSON type
-- (one type where every feature that has it agrees, else 'mixed'). :layer NULL: every
-- layer, else that one.
SELECT l.name,
       l.title_zh,
       l.title_en,
       coalesce((
           SELECT jsonb_object_agg(k.key, k.type ORDER BY k.key)
             FROM (
                   SELECT e.key,
                          CASE WHEN count(DISTINCT jsonb_typeof(e.value)) = 1
                               THEN min(jsonb_typeof(e.value)) ELSE 'mixed' END AS type
                     FROM context_feature f, jsonb_each(f.properties) AS e
                    WHERE f.layer = l.name AND jsonb_typeof(e.value) <> 'null'
                    GROUP BY e.key
                  ) k
       ), '{}'::jsonb) AS keys
  FROM context_layer l
 WHERE CAST(:layer AS text) IS NULL OR l.name = :layer
 ORDER BY l.name

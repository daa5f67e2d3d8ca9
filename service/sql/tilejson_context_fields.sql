-- The properties the tiles of one context layer (:layer) carry (tiles_context.sql): each
-- column that holds a value in some feature (ST_AsMVT leaves NULLs out), then each key of
-- the features' JSON properties with the JSON type most features give it. Objects, arrays
-- and nulls are not tile values: left out.
SELECT name, type
  FROM (VALUES (1, 'layer', 'string'), (2, 'name', 'string'),
               (3, 'kind', 'string'), (4, 'park', 'string')) AS c(n, name, type)
 WHERE EXISTS (SELECT 1 FROM context_feature f
                WHERE f.layer = :layer
                  AND CASE c.name WHEN 'layer' THEN TRUE
                                  WHEN 'name' THEN f.name IS NOT NULL
                                  WHEN 'kind' THEN f.kind IS NOT NULL
                                  ELSE f.park IS NOT NULL END)
UNION ALL
SELECT key, mode() WITHIN GROUP (ORDER BY jsonb_typeof(f.properties -> key))
  FROM context_feature f, jsonb_object_keys(f.properties) AS key
 WHERE f.layer = :layer
   AND jsonb_typeof(f.properties -> key) IN ('string', 'number', 'boolean')
 GROUP BY key;

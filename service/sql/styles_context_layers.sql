-- The context layers with their titles and the geometry types of their features
-- (POINT, LINESTRING, POLYGON, their MULTI forms), by name.
SELECT l.name, l.title_zh, l.title_en,
       coalesce(array_agg(DISTINCT GeometryType(f.geom)) FILTER (WHERE f.geom IS NOT NULL),
                '{}') AS geometry_types
  FROM context_layer l
  LEFT JOIN context_feature f ON f.layer = l.name
 GROUP BY l.name, l.title_zh, l.title_en
 ORDER BY l.name;

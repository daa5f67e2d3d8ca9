-- The features of one context layer (of :park, or of every park when it is NULL), as a
-- GeoJSON FeatureCollection text in EPSG:4326 with name, kind, park and own properties.
SELECT json_build_object(
         'type', 'FeatureCollection',
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', f.id,
           'geometry', ST_AsGeoJSON(ST_Transform(f.geom, 4326), :precision)::json,
           'properties', f.properties || jsonb_build_object(
             'layer', f.layer, 'name', f.name, 'kind', f.kind, 'park', f.park))
         ORDER BY f.id), '[]'::json)
       )::text
  FROM context_feature f
 WHERE f.layer = :layer AND (CAST(:park AS text) IS NULL OR f.park = :park);

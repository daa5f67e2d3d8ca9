-- One context layer as a GeoJSON FeatureCollection text in EPSG:4326.
-- {where} is composed from the fixed fragments in service/planning/layers.py.
SELECT json_build_object(
         'type', 'FeatureCollection',
         'name', CAST(:layer AS text),
         'numberReturned', count(*),
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', f.id,
           'geometry', ST_AsGeoJSON(ST_Transform(f.geom, 4326), :precision)::json,
           'properties', (f.properties - 'park' - 'name' - 'kind') || jsonb_build_object(
             'layer', f.layer,
             'park', f.park,
             'name', f.name,
             'kind', f.kind)
         ) ORDER BY f.id), '[]'::json)
       )::text
  FROM context_feature f
 WHERE f.layer = :layer {where};

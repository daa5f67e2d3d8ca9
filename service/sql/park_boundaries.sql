-- Park boundaries with their key figures, as a GeoJSON FeatureCollection text (EPSG:4326).
WITH figures AS (
    SELECT v.park, count(*) AS parcels,
           sum(v.area_m2) FILTER (WHERE c.is_manufacturing) AS manufacturing_m2
      FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
     WHERE v.valid_to IS NULL
     GROUP BY v.park
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', p.code,
           'geometry', ST_AsGeoJSON(ST_Transform(p.boundary, 4326), :precision)::json,
           'properties', json_build_object(
             'code', p.code,
             'name_zh', p.name_zh,
             'name_en', p.name_en,
             'area_m2', round(p.area_m2::numeric, 2),
             'parcels', coalesce(f.parcels, 0),
             'manufacturing_m2', round(coalesce(f.manufacturing_m2, 0)::numeric, 2))
         ) ORDER BY p.code), '[]'::json)
       )::text
  FROM park p LEFT JOIN figures f ON f.park = p.code
 WHERE TRUE {where};

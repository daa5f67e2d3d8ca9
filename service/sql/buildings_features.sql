-- Standard factory buildings with leased and vacant floor area (leases in force today:
-- the view lease_in_force), as a GeoJSON FeatureCollection text in EPSG:4326.
WITH leased AS (
    SELECT building_code, sum(leased_m2) AS leased_m2
      FROM lease_in_force
     GROUP BY building_code
), b AS (
    SELECT fb.*, coalesce(l.leased_m2, 0) AS leased_m2,
           fb.floor_area_m2 - coalesce(l.leased_m2, 0) AS vacant_m2
      FROM factory_building fb LEFT JOIN leased l USING (building_code)
     WHERE TRUE {where}
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'numberReturned', count(*),
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', b.building_code,
           'geometry', ST_AsGeoJSON(ST_Transform(b.footprint, 4326), :precision)::json,
           'properties', json_build_object(
             'building_code', b.building_code,
             'park', b.park,
             'parcel_code', b.parcel_code,
             'name', b.name,
             'storeys', b.storeys,
             'footprint_m2', round(b.footprint_m2::numeric, 2),
             'floor_area_m2', round(b.floor_area_m2::numeric, 2),
             'leased_m2', round(b.leased_m2::numeric, 2),
             'vacant_m2', round(b.vacant_m2::numeric, 2))
         ) ORDER BY b.building_code), '[]'::json)
       )::text
  FROM b;

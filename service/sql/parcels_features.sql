-- A page of current parcels as a GeoJSON FeatureCollection text (EPSG:4326, RFC 7946,
-- unless :out_srid asks for another CRS).
-- {where} is composed from the fixed fragments in service/reads/queries.py.
SELECT json_build_object(
         'type', 'FeatureCollection',
         'numberReturned', count(*),
         'limit', CAST(:limit AS integer),
         'offset', CAST(:offset AS integer),
         -- a full page may have a successor; a short one is the last (no COUNT(*) per page)
         'next_offset', CASE WHEN count(*) = :limit THEN :offset + :limit END,
         'features', coalesce(json_agg(f.feature ORDER BY f.parcel_code), '[]'::json)
       )::text
  FROM (
        SELECT v.parcel_code,
               json_build_object(
                 'type', 'Feature',
                 'id', v.parcel_code,
                 'geometry', ST_AsGeoJSON(ST_Transform(v.geom, :out_srid), :precision)::json,
                 'properties', json_build_object(
                   'parcel_code', v.parcel_code,
                   'park', v.park,
                   'land_use_code', v.land_use_code,
                   'land_use_name', c.name_zh,
                   'land_use_name_en', c.name_en,
                   'is_manufacturing', c.is_manufacturing,
                   'status', v.status,
                   'holder', v.holder,
                   'supply_mode', v.supply_mode,
                   'supplied_on', v.supplied_on,
                   'area_m2', round(v.area_m2::numeric, 2),
                   'area_mu', round((v.area_m2 * 15 / 10000)::numeric, 4),
                   'area_ha', round((v.area_m2 / 10000)::numeric, 4),
                   'valid_from', v.valid_from,
                   'change_set_id', v.change_set_id)
               ) AS feature
          FROM parcel_version v
          JOIN land_use_class c ON c.code = v.land_use_code
         WHERE v.valid_to IS NULL {where}
         ORDER BY v.parcel_code
         LIMIT :limit OFFSET :offset
       ) f;

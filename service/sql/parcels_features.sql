-- A page of current parcels as a GeoJSON FeatureCollection text (EPSG:4326, RFC 7946,
-- unless :out_srid asks for another CRS).
-- {where} is composed from the fixed fragments in service/reads/queries.py; {stored} is
-- parcel_feature (the API's CRS and precision) or an empty relation of its shape.
--
-- A version never changes, so the text of its feature is made once, when it is inserted,
-- and stored in parcel_feature (migration 0008): the page is then put together from text
-- — the stored parts, and what may change or depends on the session (the class's names
-- and manufacturing flag, valid_from in the session's time zone, change_set_id). A
-- version without a stored row, or another CRS or precision, has its feature made here
-- with json_build_object; the stored parts are spelled the same way.
SELECT '{"type" : "FeatureCollection", "numberReturned" : ' || count(*)
       || ', "limit" : ' || CAST(:limit AS integer)
       || ', "offset" : ' || CAST(:offset AS integer)
       -- a full page may have a successor; a short one is the last (no COUNT(*) per page)
       || ', "next_offset" : '
       || coalesce(CASE WHEN count(*) = :limit THEN (:offset + :limit)::text END, 'null')
       || ', "features" : [' || coalesce(string_agg(f.feature, ', ' ORDER BY f.parcel_code), '')
       || ']}'
  FROM (
        SELECT p.parcel_code,
               CASE WHEN s.head IS NOT NULL THEN
                   s.head
                   || ', "land_use_name" : ' || to_json(p.land_use_name)
                   || ', "land_use_name_en" : ' || to_json(p.land_use_name_en)
                   || ', "is_manufacturing" : ' || p.is_manufacturing
                   || s.tail
                   || ', "valid_from" : ' || to_json(p.valid_from)
                   || ', "change_set_id" : ' || p.change_set_id
                   || '}}'
               ELSE json_build_object(
                 'type', 'Feature',
                 'id', p.parcel_code,
                 'geometry', ST_AsGeoJSON(ST_Transform(p.geom, :out_srid), :precision)::json,
                 'properties', json_build_object(
                   'parcel_code', p.parcel_code,
                   'park', p.park,
                   'land_use_code', p.land_use_code,
                   'land_use_name', p.land_use_name,
                   'land_use_name_en', p.land_use_name_en,
                   'is_manufacturing', p.is_manufacturing,
                   'status', p.status,
                   'holder', p.holder,
                   'supply_mode', p.supply_mode,
                   'supplied_on', p.supplied_on,
                   'area_m2', round(p.area_m2::numeric, 2),
                   'area_mu', round(m2_to_mu(p.area_m2)::numeric, 4),
                   'area_ha', round((p.area_m2 / 10000)::numeric, 4),
                   'valid_from', p.valid_from,
                   'change_set_id', p.change_set_id)
               )::text END AS feature
          FROM (
                SELECT v.version_id, v.parcel_code, v.park, v.land_use_code,
                       c.name_zh AS land_use_name, c.name_en AS land_use_name_en,
                       c.is_manufacturing, v.status, v.holder, v.supply_mode, v.supplied_on,
                       v.area_m2, v.valid_from, v.change_set_id, v.geom
                  FROM parcel_version v
                  JOIN land_use_class c ON c.code = v.land_use_code
                 WHERE v.valid_to IS NULL {where}
                 ORDER BY v.parcel_code
                 LIMIT :limit OFFSET :offset
               ) p
          LEFT JOIN {stored} s ON s.version_id = p.version_id
       ) f;

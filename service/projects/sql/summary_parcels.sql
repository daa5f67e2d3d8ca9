-- The current versions of a project's parcels, each with its land-use class's name, its
-- history (every version, oldest first, with the change set that made it) and, with
-- :with_shapes, its shape as GeoJSON in EPSG:4326 (6 decimals).
SELECT v.parcel_code, v.park, v.status, v.land_use_code, c.name_zh AS land_use_name,
       c.is_manufacturing, v.area_m2, v.holder,
       CASE WHEN :with_shapes THEN ST_AsGeoJSON(ST_Transform(v.geom, 4326), 6) END AS shape,
       (SELECT json_agg(json_build_object(
                   'version_id', h.version_id, 'valid_from', h.valid_from,
                   'valid_to', h.valid_to, 'status', h.status,
                   'land_use_code', h.land_use_code, 'holder', h.holder,
                   'area_m2', h.area_m2, 'change_set_id', h.change_set_id,
                   'change_kind', cs.kind, 'document_no', cs.document_no)
               ORDER BY h.valid_from, h.version_id)
          FROM parcel_version h
          JOIN change_set cs ON cs.id = h.change_set_id
         WHERE h.parcel_code = v.parcel_code) AS history
  FROM project_parcel pp
  JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
  JOIN land_use_class c ON c.code = v.land_use_code
 WHERE pp.project_code = :project_code
 ORDER BY v.parcel_code;

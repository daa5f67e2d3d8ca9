-- The GeoJSON features of an availability search's results (service/planning/
-- availability.py): each result's geometry is its parcel version's, or the union of its
-- members' versions, transformed to EPSG:4326; its properties come ready-made.
-- :results is a JSON array of {rank, id, versions: [version_id…], properties}.
SELECT coalesce(json_agg(json_build_object(
         'type', 'Feature',
         'id', r.id,
         'geometry', ST_AsGeoJSON(ST_Transform(g.geom, 4326), :precision)::json,
         'properties', r.properties
       ) ORDER BY r.rank), '[]'::json)::text
  FROM json_to_recordset(CAST(:results AS json))
       AS r(rank int, id text, versions bigint[], properties json)
  CROSS JOIN LATERAL (
        SELECT CASE WHEN count(*) = 1 THEN (array_agg(v.geom))[1]
                    ELSE ST_Union(v.geom) END AS geom
          FROM parcel_version v
         WHERE v.version_id = ANY(r.versions)
       ) g;

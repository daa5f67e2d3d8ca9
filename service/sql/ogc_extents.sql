-- The spatial extent (in the storage CRS: xmin, ymin, xmax, ymax) and the first moment of
-- each OGC API collection that holds data (service/ogc/extents.py); the caller turns the
-- boxes into CRS84. One pass over parcel_version gives both the current parcels' and
-- every version's extent and the first valid_from.
WITH versions AS (
    SELECT ST_Extent(v.geom) FILTER (WHERE v.valid_to IS NULL) AS current_box,
           ST_Extent(v.geom) AS every_box,
           min(v.valid_from) AS first_from
      FROM parcel_version v
), boxes AS (
    SELECT 'parcels' AS collection, current_box AS box, first_from FROM versions
    UNION ALL
    SELECT 'parcel_versions', every_box, first_from FROM versions
    UNION ALL
    SELECT 'buildings', ST_Extent(footprint), NULL FROM factory_building
    UNION ALL
    SELECT 'projects', ST_Extent(v.geom), NULL
      FROM parcel_version v
     WHERE v.valid_to IS NULL
       AND v.parcel_code IN (SELECT parcel_code FROM project_parcel)
    UNION ALL
    SELECT 'parks', ST_Extent(boundary), NULL FROM park
    UNION ALL
    SELECT 'context:' || f.layer, ST_Extent(f.geom), NULL FROM context_feature f GROUP BY f.layer
)
SELECT collection, ST_XMin(box) AS xmin, ST_YMin(box) AS ymin, ST_XMax(box) AS xmax,
       ST_YMax(box) AS ymax, first_from
  FROM boxes
 WHERE box IS NOT NULL OR first_from IS NOT NULL

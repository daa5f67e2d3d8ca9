-- The shapes of the parcel versions a dry run's operations name (service/changes/
-- dry_run.py), as GeoJSON in EPSG:4326 for the editor's map: run inside the dry run's
-- transaction, so the versions it made (and will roll back) are there too.
SELECT version_id, ST_AsGeoJSON(ST_Transform(geom, 4326), :precision) AS geojson
  FROM parcel_version
 WHERE version_id = ANY(:ids);

-- The standing geometry of the parcels codes (text[]) as GeoJSON text in EPSG:4326, to
-- precision decimal places: the idle-land map layer's shapes.
SELECT parcel_code, ST_AsGeoJSON(ST_Transform(geom, 4326), :precision) AS geometry
  FROM parcel_version
 WHERE valid_to IS NULL AND parcel_code = ANY(CAST(:codes AS text[]));

-- The parcels as they stand that an import is compared with, in one query: those whose
-- code is in the file, and every one in a park the file's features are in (the ones the
-- file leaves out are its "missing" parcels). Geometry as WKB in the storage CRS.
SELECT v.parcel_code, v.park, v.land_use_code, v.status, v.holder, v.supply_mode,
       v.supplied_on, v.area_m2, ST_AsBinary(v.geom) AS wkb
  FROM parcel_version v
 WHERE v.valid_to IS NULL
   AND (v.parcel_code IN (SELECT parcel_code FROM import_stage WHERE parcel_code IS NOT NULL)
        OR v.park IN (SELECT DISTINCT park FROM import_stage WHERE park IS NOT NULL))
 ORDER BY v.parcel_code;

-- The current version of a parcel, locked for this change set.
SELECT version_id, parcel_code, park, land_use_code, status, holder, supply_mode,
       supplied_on, area_m2, change_set_id, ST_AsBinary(geom) AS wkb
  FROM parcel_version
 WHERE parcel_code = :code AND valid_to IS NULL
   FOR UPDATE;

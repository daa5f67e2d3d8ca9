-- Amend, in place, a version this same change set made (it has never been seen outside
-- the change set, so there is no history to keep yet).
UPDATE parcel_version
   SET land_use_code = :land_use_code, status = :status, holder = :holder,
       supply_mode = :supply_mode, supplied_on = :supplied_on,
       geom = ST_SetSRID(ST_GeomFromWKB(:wkb), :srid)
 WHERE version_id = :version_id AND valid_to IS NULL
RETURNING version_id, parcel_code, park, land_use_code, status, holder, supply_mode,
          supplied_on, area_m2;

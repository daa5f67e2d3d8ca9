-- A new version of a parcel, valid from the change set's moment.
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, change_set_id)
VALUES (:parcel_code, :park, :land_use_code, :status, :holder, :supply_mode, :supplied_on,
        ST_SetSRID(ST_GeomFromWKB(:wkb), :srid), :at, :change_set_id)
RETURNING version_id, parcel_code, park, land_use_code, status, holder, supply_mode,
          supplied_on, area_m2;

-- Register the new parcels of a load as versions of the load's change set.
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, change_set_id)
SELECT parcel_code, park, land_use_code, status, holder, supply_mode, supplied_on, geom,
       :valid_from, :change_set_id
  FROM stage_parcel
 WHERE verdict = 'new'
 ORDER BY row_no;

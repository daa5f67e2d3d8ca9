-- The apply, 3 of 3: register the new codes, in the file's order. A status the file does
-- not give is the import's default; a supply without a date is dated the change set's
-- local day.
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, change_set_id)
SELECT f.parcel_code, f.park, f.land_use_code,
       coalesce(f.status, :default_status),
       f.holder, f.supply_mode,
       CASE WHEN f.supply_mode IS NOT NULL THEN coalesce(f.supplied_on, CAST(:today AS date))
            ELSE f.supplied_on END,
       f.geom, :at, :change_set_id
  FROM import_feature f
 WHERE f.import_id = :import_id AND f.verdict = 'new' AND NOT f.skipped
 ORDER BY f.row_no;

-- The apply, 2 of 3: the next version of each changed code, from the version this change
-- set just ended. What the file says where it says it and the change is of that kind;
-- what stood otherwise. The parcel keeps its park (a file that puts it elsewhere is
-- reported). As parks.imports.diff.compare judges it: a supply makes the parcel supplied
-- unless the file gives another status (then set_status); a supply without a date is dated
-- the change set's local day.
-- (The ended versions are read once, by the index on the change set that ended them, and
-- hash-joined: probing that index per feature would read all of them each time.)
WITH ended AS MATERIALIZED (
    SELECT parcel_code, park, land_use_code, status, holder, supply_mode, supplied_on, geom
      FROM parcel_version
     WHERE ended_by_change_set_id = :change_set_id
)
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, change_set_id)
SELECT f.parcel_code,
       v.park,
       CASE WHEN 'rezone' = ANY(f.kinds) THEN f.land_use_code ELSE v.land_use_code END,
       CASE WHEN 'set_status' = ANY(f.kinds) THEN f.status
            WHEN 'supply' = ANY(f.kinds) THEN 'supplied'
            ELSE v.status END,
       CASE WHEN 'supply' = ANY(f.kinds) THEN coalesce(f.holder, v.holder) ELSE v.holder END,
       CASE WHEN 'supply' = ANY(f.kinds) THEN coalesce(f.supply_mode, v.supply_mode)
            ELSE v.supply_mode END,
       CASE WHEN 'supply' = ANY(f.kinds) THEN coalesce(f.supplied_on, CAST(:today AS date))
            ELSE v.supplied_on END,
       CASE WHEN 'reshape' = ANY(f.kinds) THEN f.geom ELSE v.geom END,
       :at,
       :change_set_id
  FROM import_feature f
  JOIN ended v ON v.parcel_code = f.parcel_code
 WHERE f.import_id = :import_id AND f.verdict = 'changed' AND NOT f.skipped
 ORDER BY f.row_no;

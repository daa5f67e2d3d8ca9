-- Each change set's effect on manufacturing land per park, re-derived from the parcel
-- versions alone: + the versions it made, - the versions it ended.
SELECT change_set_id, park, sum(delta_m2) AS delta_m2
  FROM (
        SELECT v.change_set_id, v.park, v.area_m2 AS delta_m2
          FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
         WHERE c.is_manufacturing
        UNION ALL
        SELECT v.ended_by_change_set_id, v.park, -v.area_m2
          FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
         WHERE c.is_manufacturing AND v.ended_by_change_set_id IS NOT NULL
       ) d
 GROUP BY change_set_id, park;

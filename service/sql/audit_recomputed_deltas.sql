-- Each change set's effect on manufacturing land per park, re-derived from the parcel
-- versions and the land-use classes' flag history alone, each moment judged by the flags
-- in force then (land_use_class_flag): for a change set at time T,
--   + the versions it made (valid from T), counted by the flags in force from T on,
--   - the versions it ended (valid to T), counted by the flags in force until T,
--   ± for each class whose flag it flipped, the versions of that class standing across T
--     (valid from before T, to after T): + when the class became manufacturing, - when it
--     stopped being.
-- Cost: the flag rows are few (one per class and flip), so the first two terms are the
-- same two parallel scans a join to the class table was; the third looks up, per flip,
-- the versions standing at its time in the period index (nothing without a flip). No CTE
-- (a plan that reads one cannot run in parallel), and a version's period is tested in the
-- select list, not the join (a join filter the planner cannot estimate made it sort
-- millions of rows on disk instead of hashing them): a version of a class that counted
-- in some period only adds 0 outside it.
SELECT change_set_id, park, sum(delta_m2) AS delta_m2
  FROM (
        SELECT v.change_set_id, v.park,
               CASE WHEN v.valid_from >= m.valid_from AND v.valid_from < m.valid_to
                    THEN v.area_m2 ELSE 0 END AS delta_m2
          FROM parcel_version v
          JOIN (SELECT code, valid_from, coalesce(valid_to, 'infinity') AS valid_to
                  FROM land_use_class_flag WHERE is_manufacturing) m ON m.code = v.land_use_code
        UNION ALL
        SELECT v.ended_by_change_set_id, v.park,
               CASE WHEN v.valid_to > m.valid_from AND v.valid_to <= m.valid_to
                    THEN -v.area_m2 ELSE 0 END
          FROM parcel_version v
          JOIN (SELECT code, valid_from, coalesce(valid_to, 'infinity') AS valid_to
                  FROM land_use_class_flag WHERE is_manufacturing) m ON m.code = v.land_use_code
         WHERE v.ended_by_change_set_id IS NOT NULL
        UNION ALL
        SELECT x.change_set_id, v.park, x.sign * v.area_m2
          FROM (SELECT f.code, f.valid_from AS at, f.change_set_id,
                       CASE WHEN f.is_manufacturing THEN 1 ELSE -1 END AS sign
                  FROM land_use_class_flag f
                  JOIN land_use_class_flag p ON p.code = f.code AND p.valid_to = f.valid_from
                 WHERE p.is_manufacturing IS DISTINCT FROM f.is_manufacturing) x
          JOIN parcel_version v
            ON tstzrange(v.valid_from, v.valid_to) @> x.at
           AND v.valid_from <> x.at
           AND v.land_use_code = x.code
       ) d
 GROUP BY change_set_id, park;

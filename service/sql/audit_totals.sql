-- Land as it stood at :as_of, grouped by {keys}: the last snapshot cut at or before it plus
-- the effects of the change sets dated after that cut and at or before :as_of (both kept
-- by the database at every commit, service/db/sql/effects.sql) — a version stands at t when
-- the change set that made it is dated at or before t and the one that ended it (if any)
-- after t. What counts as manufacturing is each class's flag in force at :as_of (the flag
-- history, land_use_class_flag: a flag set by a change set at t is in force from t on).
WITH cut AS (
    SELECT max(cut_at) AS cut_at FROM totals_snapshot WHERE cut_at <= CAST(:as_of AS timestamptz)
), parts AS (
    SELECT s.park, s.land_use_code, s.status, s.parcels, s.area_m2
      FROM totals_snapshot s JOIN cut ON s.cut_at = cut.cut_at
    UNION ALL
    SELECT e.park, e.land_use_code, e.status, e.parcels_delta, e.area_delta_m2
      FROM totals_effect e, cut
     WHERE e.at <= CAST(:as_of AS timestamptz) AND e.at > coalesce(cut.cut_at, '-infinity')
), v AS (
    SELECT park, land_use_code, status, sum(parcels) AS parcels, sum(area_m2) AS area_m2
      FROM parts
     GROUP BY park, land_use_code, status
    HAVING sum(parcels) <> 0
)
SELECT {select_keys}
       sum(v.parcels)::bigint AS parcels,
       sum(v.area_m2)::float8 AS area_m2,
       coalesce(sum(v.area_m2) FILTER (WHERE f.is_manufacturing), 0)::float8 AS manufacturing_m2
  FROM v
  LEFT JOIN land_use_class_flag f
    ON f.code = v.land_use_code AND f.valid_from <= CAST(:as_of AS timestamptz)
   AND (f.valid_to IS NULL OR f.valid_to > CAST(:as_of AS timestamptz))
 {group_by}
 {order_by};

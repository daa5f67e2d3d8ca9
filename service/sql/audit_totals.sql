-- Land as it stood at :as_of, from the parcel versions valid then, grouped by {keys}.
-- A version is valid at t when valid_from <= t < valid_to (valid_to NULL: still standing).
SELECT {select_keys}
       count(*) AS parcels,
       sum(v.area_m2) AS area_m2,
       coalesce(sum(v.area_m2) FILTER (WHERE c.is_manufacturing), 0) AS manufacturing_m2
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code
 WHERE tstzrange(v.valid_from, v.valid_to) @> CAST(:as_of AS timestamptz)
 {group_by}
 {order_by};

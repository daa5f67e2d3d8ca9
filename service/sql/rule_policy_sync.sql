-- The application's policy written into the row the commit trigger judges by: the area
-- tolerance always (parks.units.AREA_TOLERANCE_M2 is its one home), the per-park floor
-- when :flag is not NULL. Nothing is written when the row says so already.
UPDATE rule_policy
   SET per_park_floor = coalesce(CAST(:flag AS boolean), per_park_floor),
       tolerance_m2 = CAST(:tolerance AS double precision)
 WHERE id
   AND (per_park_floor IS DISTINCT FROM coalesce(CAST(:flag AS boolean), per_park_floor)
        OR tolerance_m2 IS DISTINCT FROM CAST(:tolerance AS double precision));

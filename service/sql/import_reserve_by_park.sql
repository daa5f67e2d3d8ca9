-- Each park's reserve land (current parcels whose status is one of :statuses — reserve,
-- ready — any class), m², as the targets count it (planning_target_status.sql); with
-- the park's reserve target in 亩.
SELECT p.code AS park, coalesce(t.min_reserve_mu, 0) AS min_reserve_mu,
       t.park IS NOT NULL AS target_set,
       coalesce((SELECT sum(v.area_m2) FROM parcel_version v
                  WHERE v.valid_to IS NULL AND v.park = p.code
                    AND v.status = ANY(:statuses)), 0) AS reserve_m2
  FROM park p
  LEFT JOIN target t ON t.park = p.code
 ORDER BY p.code;

-- Each park's targets beside its actual figures (service/planning/targets.py): reserve land
-- = current parcels whose status is one of :statuses (reserve, ready), any class; vacant
-- floor = floor area of the standard factory buildings minus the leases in force today
-- (the view lease_in_force).
WITH reserve AS (
    SELECT v.park, sum(v.area_m2) AS reserve_m2
      FROM parcel_version v
     WHERE v.valid_to IS NULL AND v.status = ANY(:statuses)
     GROUP BY v.park
), leased AS (
    SELECT building_code, sum(leased_m2) AS leased_m2 FROM lease_in_force
     GROUP BY building_code
), floor AS (
    SELECT b.park, sum(b.floor_area_m2 - coalesce(l.leased_m2, 0)) AS vacant_m2
      FROM factory_building b LEFT JOIN leased l USING (building_code)
     GROUP BY b.park
)
SELECT p.code AS park, p.name_zh, p.name_en,
       t.park IS NOT NULL AS target_set,
       coalesce(t.min_reserve_mu, 0) AS min_reserve_mu,
       coalesce(t.min_vacant_floor_m2, 0) AS min_vacant_floor_m2,
       t.updated_at, t.updated_by,
       coalesce(r.reserve_m2, 0) AS reserve_m2,
       coalesce(f.vacant_m2, 0) AS vacant_floor_m2,
       current_date AS on_date
  FROM park p
  LEFT JOIN target t ON t.park = p.code
  LEFT JOIN reserve r ON r.park = p.code
  LEFT JOIN floor f ON f.park = p.code
 ORDER BY p.code;

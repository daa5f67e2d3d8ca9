-- The standard factory buildings of an export, ordered by code, with the floor area let by
-- the leases in force today (the view lease_in_force) and what is left vacant. Buildings
-- and leases keep no history: this is always the present. Footprint as WKB in the CRS asked for.
WITH leased AS (
    SELECT building_code, sum(leased_m2) AS leased_m2
      FROM lease_in_force
     GROUP BY building_code
)
SELECT b.building_code,
       b.park,
       b.parcel_code,
       b.name,
       b.storeys,
       b.floor_area_m2,
       b.footprint_m2,
       coalesce(l.leased_m2, 0) AS leased_m2,
       b.floor_area_m2 - coalesce(l.leased_m2, 0) AS vacant_m2,
       ST_AsBinary(ST_Transform(b.footprint, CAST(:srid AS integer))) AS wkb
  FROM factory_building b
  LEFT JOIN leased l USING (building_code)
 WHERE CAST(:park AS text) IS NULL OR b.park = CAST(:park AS text)
 ORDER BY b.building_code;

-- What each of :names has on the ground: the standing parcels it holds (holder = the
-- name; codes, parks, planar area in m² in the storage CRS) and the standard-factory floor
-- it leases (tenant = the name; leases in force on :day, its buildings and their parks).
-- Only names holding or leasing something. Hash joins over the names: no per-name query.
WITH names AS (
    SELECT DISTINCT n.name FROM unnest(CAST(:names AS text[])) AS n(name)
),
held AS (
    SELECT p.holder AS name,
           array_agg(p.parcel_code ORDER BY p.parcel_code) AS parcels,
           array_agg(DISTINCT p.park) AS parks,
           sum(p.area_m2) AS land_m2
      FROM parcel_version p
      JOIN names n ON p.holder = n.name
     WHERE p.valid_to IS NULL
     GROUP BY p.holder
),
leased AS (
    SELECT l.tenant AS name,
           sum(l.leased_m2) AS leased_floor_m2,
           array_agg(DISTINCT l.building_code) AS buildings,
           array_agg(DISTINCT b.park) AS parks
      FROM lease l
      JOIN names n ON l.tenant = n.name
      JOIN factory_building b ON b.building_code = l.building_code
     WHERE lease_in_force_on(l.start_date, l.end_date, CAST(:day AS date))
     GROUP BY l.tenant
)
SELECT n.name,
       h.parcels, h.parks AS land_parks, h.land_m2,
       s.leased_floor_m2, s.buildings, s.parks AS lease_parks
  FROM names n
  LEFT JOIN held h ON h.name = n.name
  LEFT JOIN leased s ON s.name = n.name
 WHERE h.name IS NOT NULL OR s.name IS NOT NULL

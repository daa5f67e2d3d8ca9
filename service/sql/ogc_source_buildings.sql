-- OGC API collection `buildings` (service/ogc/registry.py): standard factory buildings
-- with floor, leased and vacant area (leases in force today: the view lease_in_force), as
-- /api/buildings gives them.
SELECT fb.building_code,
       fb.park,
       fb.parcel_code,
       fb.name,
       fb.storeys,
       round(fb.footprint_m2::numeric, 2) AS footprint_m2,
       round(fb.floor_area_m2::numeric, 2) AS floor_area_m2,
       round(coalesce(l.leased_m2, 0)::numeric, 2) AS leased_m2,
       round((fb.floor_area_m2 - coalesce(l.leased_m2, 0))::numeric, 2) AS vacant_m2,
       fb.footprint AS geom
  FROM factory_building fb
  LEFT JOIN LATERAL (
        SELECT sum(li.leased_m2) AS leased_m2
          FROM lease_in_force li
         WHERE li.building_code = fb.building_code
       ) l ON TRUE

-- OGC API collection `leases` (service/ogc/registry.py): every lease of factory floor, with
-- its building's park and whether it is in force today. Leases have no geometry of their
-- own: their features' geometry is null (the building's footprint is in `buildings`).
SELECT l.lease_id,
       l.building_code,
       fb.park,
       l.tenant,
       l.floor,
       round(l.leased_m2::numeric, 2) AS leased_m2,
       l.start_date,
       l.end_date,
       lease_in_force_on(l.start_date, l.end_date, current_date) AS in_force,
       NULL::geometry AS geom
  FROM lease l
  JOIN factory_building fb ON fb.building_code = l.building_code

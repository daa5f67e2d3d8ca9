-- OGC API collection `buildings` (service/ogc/registry.py): standard factory buildings
-- with floor, leased and vacant area (leases in force today), read from the view
-- gis.buildings (service/db/sql/gis_views.sql), where those columns are defined; the OGC
-- API rounds the areas to the centiare here.
SELECT b.building_code,
       b.park,
       b.parcel_code,
       b.name,
       b.storeys,
       round(b.footprint_m2::numeric, 2) AS footprint_m2,
       round(b.floor_area_m2::numeric, 2) AS floor_area_m2,
       round(b.leased_m2::numeric, 2) AS leased_m2,
       round(b.vacant_m2::numeric, 2) AS vacant_m2,
       b.geom
  FROM gis.buildings b

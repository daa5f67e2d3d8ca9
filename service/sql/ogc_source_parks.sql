-- OGC API collection `parks` (service/ogc/registry.py): park boundaries with their parcel
-- count and manufacturing land (current parcels), read from the view gis.parks
-- (service/db/sql/gis_views.sql), where those columns are defined; the OGC API rounds the
-- areas here (m² to the centiare, 亩 to 4 decimals).
SELECT p.code,
       p.name_zh,
       p.name_en,
       round(p.area_m2::numeric, 2) AS area_m2,
       round(p.area_mu::numeric, 4) AS area_mu,
       p.parcels,
       round(p.manufacturing_m2::numeric, 2) AS manufacturing_m2,
       round(p.manufacturing_mu::numeric, 4) AS manufacturing_mu,
       p.geom
  FROM gis.parks p

-- OGC API collection `parks` (service/ogc/registry.py): park boundaries with their parcel
-- count and manufacturing land (current parcels).
SELECT p.code,
       p.name_zh,
       p.name_en,
       round(p.area_m2::numeric, 2) AS area_m2,
       round(m2_to_mu(p.area_m2)::numeric, 4) AS area_mu,
       coalesce(f.parcels, 0) AS parcels,
       round(coalesce(f.manufacturing_m2, 0)::numeric, 2) AS manufacturing_m2,
       round(m2_to_mu(coalesce(f.manufacturing_m2, 0))::numeric, 4) AS manufacturing_mu,
       p.boundary AS geom
  FROM park p
  LEFT JOIN LATERAL (
        SELECT count(*) AS parcels,
               sum(v.area_m2) FILTER (WHERE c.is_manufacturing) AS manufacturing_m2
          FROM parcel_version v
          JOIN land_use_class c ON c.code = v.land_use_code
         WHERE v.valid_to IS NULL AND v.park = p.code
       ) f ON TRUE

-- Decode the staged geometry and sort every staged parcel, against the parcels as they
-- currently stand, into: new / unchanged / differs (exists, other attributes or shape) /
-- retired (the code was used before; codes are not reused). Written in one pass: a
-- staging table rewritten by UPDATEs carries dead rows that slow the overlap join badly.
CREATE TEMP TABLE stage_parcel ON COMMIT DROP AS
SELECT r.row_no, r.parcel_code, r.park, r.land_use_code, r.status, r.holder, r.supply_mode,
       r.supplied_on, g.geom, ST_IsValid(g.geom) AS is_valid,
       CASE
         WHEN v.version_id IS NOT NULL
              AND v.park = r.park AND v.land_use_code = r.land_use_code
              AND v.status = r.status
              AND v.holder IS NOT DISTINCT FROM r.holder
              AND v.supply_mode IS NOT DISTINCT FROM r.supply_mode
              AND v.supplied_on IS NOT DISTINCT FROM r.supplied_on
              AND ST_OrderingEquals(v.geom, g.geom) THEN 'unchanged'
         WHEN v.version_id IS NOT NULL THEN 'differs'
         WHEN EXISTS (SELECT 1 FROM parcel_version h WHERE h.parcel_code = r.parcel_code)
           THEN 'retired'
         ELSE 'new' END AS verdict
  FROM stage_raw r
 CROSS JOIN LATERAL (SELECT ST_Multi(ST_SetSRID(ST_GeomFromWKB(r.wkb), :srid)) AS geom) g
  LEFT JOIN parcel_version v ON v.parcel_code = r.parcel_code AND v.valid_to IS NULL;
-- row_no has no index: it would lure the overlap join into a BitmapAnd.
CREATE INDEX ON stage_parcel USING gist (geom) WHERE verdict = 'new';
ANALYZE stage_parcel;

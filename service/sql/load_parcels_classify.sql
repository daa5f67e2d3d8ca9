-- Decode the staged geometry and sort every staged parcel, against the parcels as they
-- currently stand, into: new / unchanged / differs (exists, other attributes or shape) /
-- retired (the code was used before; codes are not reused).
UPDATE stage_parcel SET geom = ST_Multi(ST_SetSRID(ST_GeomFromWKB(wkb), :srid)), verdict = 'new';
UPDATE stage_parcel SET is_valid = ST_IsValid(geom);
UPDATE stage_parcel s
   SET verdict = CASE
        WHEN v.park = s.park AND v.land_use_code = s.land_use_code AND v.status = s.status
             AND v.holder IS NOT DISTINCT FROM s.holder
             AND v.supply_mode IS NOT DISTINCT FROM s.supply_mode
             AND v.supplied_on IS NOT DISTINCT FROM s.supplied_on
             AND ST_OrderingEquals(v.geom, s.geom) THEN 'unchanged'
        ELSE 'differs' END
  FROM parcel_version v
 WHERE v.parcel_code = s.parcel_code AND v.valid_to IS NULL;
UPDATE stage_parcel s SET verdict = 'retired'
 WHERE verdict = 'new'
   AND EXISTS (SELECT 1 FROM parcel_version h WHERE h.parcel_code = s.parcel_code);
CREATE INDEX ON stage_parcel USING gist (geom) WHERE verdict = 'new';
ANALYZE stage_parcel;

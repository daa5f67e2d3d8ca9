-- The parcels of an export, one row each, ordered by code: the current versions, or those
-- that stood at the moment asked for (the placeholder in the WHERE clause is one of the two
-- fragments in service/exports/parcels.py: a version stands at t when it began at or before
-- t and had not ended by t; valid_from and valid_to are the times of the change sets that
-- made and ended it). Geometry as WKB in the CRS asked for; the area is the planar one of
-- the stored geometry (the storage CRS).
SELECT v.parcel_code,
       v.park,
       v.land_use_code,
       c.name_zh AS land_use_name_zh,
       c.name_en AS land_use_name_en,
       v.status,
       v.holder,
       v.supply_mode,
       v.supplied_on,
       v.area_m2,
       m2_to_mu(v.area_m2) AS area_mu,
       v.valid_from,
       ST_AsBinary(ST_Transform(v.geom, CAST(:srid AS integer))) AS wkb
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code
 WHERE {standing}
   AND (CAST(:park AS text) IS NULL OR v.park = CAST(:park AS text))
 ORDER BY v.parcel_code;

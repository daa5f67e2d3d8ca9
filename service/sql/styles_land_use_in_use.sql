-- The land-use classes the current parcels have (of one park when :park is given), by
-- code: a probe of the index on (park, land_use_code) per park and class, however many
-- parcels there are.
SELECT c.code, c.name_zh, c.name_en, c.is_manufacturing
  FROM land_use_class c
 WHERE EXISTS (SELECT 1
                 FROM park p
                WHERE (CAST(:park AS text) IS NULL OR p.code = CAST(:park AS text))
                  AND EXISTS (SELECT 1 FROM parcel_version v
                               WHERE v.valid_to IS NULL AND v.park = p.code
                                 AND v.land_use_code = c.code))
 ORDER BY c.code;

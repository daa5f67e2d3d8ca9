-- The parcels :codes as they stood at :at: park, holder and area (m², EPSG:4545).
SELECT parcel_code, park, holder, area_m2
  FROM parcel_version
 WHERE parcel_code = ANY (CAST(:codes AS text[]))
   AND valid_from <= CAST(:at AS timestamptz)
   AND (valid_to IS NULL OR valid_to > CAST(:at AS timestamptz))

-- What a drawn boundary (:wkb in the storage CRS :srid) may snap onto: the boundaries of
-- the standing parcels within :tolerance metres of it, but those named in :exclude (the
-- parcel being reshaped), and the boundary of its park :park. The spatial index finds
-- the few neighbours; the rest of the city is never read.
WITH drawn AS (
    SELECT ST_SetSRID(ST_GeomFromWKB(:wkb), :srid) AS geom
)
SELECT ST_AsBinary(ST_Boundary(v.geom)) AS wkb
  FROM parcel_version v, drawn
 WHERE v.valid_to IS NULL
   AND NOT (v.parcel_code = ANY(CAST(:exclude AS text[])))
   AND ST_DWithin(v.geom, drawn.geom, :tolerance)
UNION ALL
SELECT ST_AsBinary(ST_Boundary(p.boundary)) AS wkb
  FROM park p, drawn
 WHERE p.code = :park
   AND ST_DWithin(ST_Boundary(p.boundary), drawn.geom, :tolerance)

-- Current parcels whose interior overlaps the geometry by more than the tolerance,
-- leaving out the parcels the operation itself replaces.
SELECT v.parcel_code, ST_Area(ST_Intersection(v.geom, g.geom)) AS overlap_m2
  FROM parcel_version v,
       (SELECT ST_SetSRID(ST_GeomFromWKB(:wkb), :srid) AS geom) g
 WHERE v.valid_to IS NULL
   AND v.geom && g.geom
   AND NOT (v.parcel_code = ANY(:exclude))
   -- CASE keeps the costly intersection for pairs whose interiors really meet
   AND CASE WHEN ST_Relate(v.geom, g.geom, '2********')
            THEN ST_Area(ST_Intersection(v.geom, g.geom)) > :tolerance
            ELSE false END
 ORDER BY overlap_m2 DESC
 LIMIT 10;

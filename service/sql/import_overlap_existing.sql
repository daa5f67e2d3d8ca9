-- Staged features whose interior overlaps a standing parcel the file does not carry (a
-- parcel the file carries is replaced by it, not overlapped) by more than the tolerance:
-- the other parcel, the area (m²) and a point of the overlap in EPSG:4326. Set-based:
-- the standing parcels' partial GiST index (parcel_current_geom) finds the candidates,
-- and the parcels the file carries (a resurvey: most of them) are dropped before any
-- geometry is intersected.
WITH f AS (
    SELECT row_no, parcel_code, geom
      FROM import_stage
     WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
       AND ST_IsValid(geom)
), candidates AS MATERIALIZED (
    SELECT f.row_no, f.parcel_code, f.geom, v.parcel_code AS other, v.geom AS other_geom
      FROM f
      JOIN parcel_version v ON v.valid_to IS NULL AND v.geom && f.geom
     WHERE v.parcel_code IS DISTINCT FROM f.parcel_code
       AND NOT EXISTS (SELECT 1 FROM import_stage x WHERE x.parcel_code = v.parcel_code)
), pairs AS (
    SELECT c.row_no, c.parcel_code, c.other, ST_Intersection(c.geom, c.other_geom) AS overlap
      FROM candidates c
     -- CASE keeps the costly intersection for pairs whose interiors really meet
     WHERE CASE WHEN ST_Relate(c.geom, c.other_geom, '2********')
                THEN ST_Area(ST_Intersection(c.geom, c.other_geom)) > :tolerance
                ELSE false END
)
SELECT p.row_no, p.parcel_code, p.other, ST_Area(p.overlap) AS area_m2,
       ST_X(c.pt) AS lon, ST_Y(c.pt) AS lat
  FROM pairs p
 CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.overlap), 4326) AS pt) c
 ORDER BY p.row_no, p.other;

-- Everything wrong with the new parcels of a load, one row per problem.
WITH fresh AS (SELECT * FROM stage_parcel WHERE verdict = 'new')
SELECT row_no, parcel_code, 'duplicate parcel_code in the file' AS problem
  FROM (SELECT row_no, parcel_code, count(*) OVER (PARTITION BY parcel_code) AS n FROM fresh) d
 WHERE n > 1
UNION ALL
SELECT row_no, parcel_code, 'parcel_code is empty' FROM fresh WHERE coalesce(parcel_code, '') = ''
UNION ALL
SELECT f.row_no, f.parcel_code, format('unknown park %L', f.park)
  FROM fresh f LEFT JOIN park p ON p.code = f.park WHERE p.code IS NULL
UNION ALL
SELECT f.row_no, f.parcel_code, format('unknown land_use_code %L', f.land_use_code)
  FROM fresh f LEFT JOIN land_use_class c ON c.code = f.land_use_code WHERE c.code IS NULL
UNION ALL
SELECT row_no, parcel_code, format('unknown status %L', status)
  FROM fresh WHERE status IS NULL OR status NOT IN (SELECT unnest(CAST(:statuses AS text[])))
UNION ALL
SELECT row_no, parcel_code, format('unknown supply_mode %L', supply_mode)
  FROM fresh WHERE supply_mode IS NOT NULL
   AND supply_mode NOT IN (SELECT unnest(CAST(:supply_modes AS text[])))
UNION ALL
SELECT row_no, parcel_code, 'geometry is not a polygon: ' || GeometryType(geom)
  FROM fresh WHERE GeometryType(geom) <> 'MULTIPOLYGON'
UNION ALL
SELECT row_no, parcel_code, 'geometry is not valid: ' || ST_IsValidReason(geom)
  FROM fresh WHERE NOT is_valid
UNION ALL
-- Placement as a change set judges it (change_outside_park.sql): some of the parcel in its
-- park's interior, no more than the tolerance outside, at least the minimum area.
SELECT f.row_no, f.parcel_code,
       format('lies %s m² outside park %s',
              round(ST_Area(ST_Difference(f.geom, p.boundary))::numeric, 2), p.code)
  FROM fresh f JOIN park p ON p.code = f.park
 WHERE f.is_valid AND NOT ST_CoveredBy(f.geom, p.boundary)
   AND (NOT ST_Relate(f.geom, p.boundary, 'T********')
        OR ST_Area(ST_Difference(f.geom, p.boundary)) > :tolerance)
UNION ALL
SELECT row_no, parcel_code,
       format('has an area of %s m²; a parcel needs at least %s m² (%s)',
              round(ST_Area(geom)::numeric, 2), CAST(:min_area_m2 AS float8),
              CAST(:min_area_setting AS text))
  FROM fresh WHERE is_valid AND ST_Area(geom) < :min_area_m2
UNION ALL
SELECT a.row_no, a.parcel_code, format('overlaps parcel %s of the file by %s m²', b.parcel_code,
       round(ST_Area(ST_Intersection(a.geom, b.geom))::numeric, 2))
  FROM stage_parcel a
  JOIN stage_parcel b ON b.verdict = 'new' AND a.row_no < b.row_no AND a.geom && b.geom
 WHERE a.verdict = 'new' AND a.is_valid AND b.is_valid
   -- CASE keeps the costly intersection for pairs whose interiors really meet
   AND CASE WHEN ST_Relate(a.geom, b.geom, '2********')
            THEN ST_Area(ST_Intersection(a.geom, b.geom)) > :tolerance
            ELSE false END
UNION ALL
SELECT a.row_no, a.parcel_code, format('overlaps existing parcel %s by %s m²', v.parcel_code,
       round(ST_Area(ST_Intersection(a.geom, v.geom))::numeric, 2))
  FROM fresh a JOIN parcel_version v ON v.valid_to IS NULL AND v.geom && a.geom
 WHERE a.is_valid AND v.parcel_code <> a.parcel_code
   -- CASE keeps the costly intersection for pairs whose interiors really meet
   AND CASE WHEN ST_Relate(a.geom, v.geom, '2********')
            THEN ST_Area(ST_Intersection(a.geom, v.geom)) > :tolerance
            ELSE false END
ORDER BY 1, 3
LIMIT 200;

-- Where each staged feature lies against the parks: the features the boundary assignment
-- left without a park (in no park at all: kind 'no_park'), the features whose park is
-- unknown ('unknown_park'), and the features partly or wholly outside their park by more
-- than the tolerance ('outside', with the area outside in m² and a point of it in
-- EPSG:4326). Skipped: empty and invalid geometries (reported as such already). A feature
-- of a standing parcel stays in that parcel's park whatever the file says (park_differs),
-- so it is judged against that park, as the database will judge it at commit.
WITH f AS (
    SELECT s.row_no, s.parcel_code, coalesce(v.park, s.park) AS park, s.geom
      FROM import_stage s
      LEFT JOIN parcel_version v ON v.parcel_code = s.parcel_code AND v.valid_to IS NULL
     WHERE s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom)
       AND ST_IsValid(s.geom)
)
SELECT 'no_park' AS what, f.row_no, f.parcel_code, f.park, NULL::float8 AS measure,
       ST_X(c.pt) AS lon, ST_Y(c.pt) AS lat
  FROM f CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(f.geom), 4326) AS pt) c
 WHERE f.park IS NULL
UNION ALL
SELECT 'unknown_park', f.row_no, f.parcel_code, f.park, NULL,
       ST_X(c.pt), ST_Y(c.pt)
  FROM f CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(f.geom), 4326) AS pt) c
 WHERE f.park IS NOT NULL AND NOT EXISTS (SELECT 1 FROM park p WHERE p.code = f.park)
UNION ALL
SELECT 'outside', o.row_no, o.parcel_code, o.park, ST_Area(o.outside),
       ST_X(c.pt), ST_Y(c.pt)
  FROM (SELECT f.row_no, f.parcel_code, f.park, ST_Difference(f.geom, p.boundary) AS outside
          FROM f JOIN park p ON p.code = f.park
         WHERE NOT ST_CoveredBy(f.geom, p.boundary)) o
 CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(o.outside), 4326) AS pt) c
 WHERE ST_Area(o.outside) > :tolerance
 ORDER BY 2, 1;

-- The park of each staged feature the file gives none (no --park, no park field, or an
-- empty value): the park whose boundary holds the most of it. A feature in no park keeps
-- none (the caller reports it). Invalid geometries are left alone: GEOS cannot intersect
-- them, and they are reported as invalid already.
UPDATE import_stage f
   SET park = best.code
  FROM (SELECT DISTINCT ON (s.row_no) s.row_no, p.code
          FROM import_stage s
          JOIN park p ON p.boundary && s.geom
         WHERE s.park IS NULL AND s.geom IS NOT NULL
           AND ST_IsValid(s.geom) AND ST_Intersects(p.boundary, s.geom)
         -- a feature its park covers (nearly all) needs no intersection to be measured
         ORDER BY s.row_no,
                  CASE WHEN ST_CoveredBy(s.geom, p.boundary) THEN ST_Area(s.geom)
                       ELSE ST_Area(ST_Intersection(p.boundary, s.geom)) END DESC,
                  p.code) best
 WHERE f.row_no = best.row_no
RETURNING f.row_no, f.park;

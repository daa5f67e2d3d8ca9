-- How much of the geometry lies outside the park (m²); NULL when the park is unknown.
SELECT CASE WHEN ST_CoveredBy(g.geom, p.boundary) THEN 0
            ELSE ST_Area(ST_Difference(g.geom, p.boundary)) END AS outside_m2
  FROM park p, (SELECT ST_SetSRID(ST_GeomFromWKB(:wkb), :srid) AS geom) g
 WHERE p.code = :park;

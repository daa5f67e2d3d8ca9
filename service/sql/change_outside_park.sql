-- Where a geometry lies against its park: whether any of it is inside (its interior meets
-- the park's; touching the boundary from outside is not inside) and how much of it lies
-- outside (m²). No row when the park is unknown. The loader judges its parcels the same
-- way (load_parcels_problems.sql).
SELECT ST_Relate(g.geom, p.boundary, 'T********') AS in_park,
       CASE WHEN ST_CoveredBy(g.geom, p.boundary) THEN 0
            ELSE ST_Area(ST_Difference(g.geom, p.boundary)) END AS outside_m2
  FROM park p, (SELECT ST_SetSRID(ST_GeomFromWKB(:wkb), :srid) AS geom) g
 WHERE p.code = :park;

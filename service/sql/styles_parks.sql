-- Each park with its boundary's extent in the storage CRS, by code.
SELECT p.code, p.name_zh, p.name_en,
       ST_XMin(p.boundary) AS xmin, ST_YMin(p.boundary) AS ymin,
       ST_XMax(p.boundary) AS xmax, ST_YMax(p.boundary) AS ymax
  FROM park p
 ORDER BY p.code;

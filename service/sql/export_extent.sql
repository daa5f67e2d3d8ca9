-- The longitude/latitude box (EPSG:4326) of the parks an export covers (one park, or all):
-- an export's CRS must be one meant for that place.
SELECT ST_XMin(e) AS west, ST_YMin(e) AS south, ST_XMax(e) AS east, ST_YMax(e) AS north
  FROM (SELECT ST_Extent(ST_Transform(boundary, 4326)) AS e
          FROM park
         WHERE CAST(:park AS text) IS NULL OR code = CAST(:park AS text)) x;

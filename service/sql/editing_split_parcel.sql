-- The parts a line (:line, WKB in the storage CRS :srid) cuts the standing parcel :code
-- into: PostGIS ST_Split in the storage CRS, so the parts share the cut's vertices and
-- cover the parcel exactly. One row per part (none when no parcel :code stands), with
-- its planar area, and the parcel's own polygon count and area to judge the cut by.
-- West to east, then south to north, so the same cut always lists its parts alike.
WITH parent AS (
    SELECT geom
      FROM parcel_version
     WHERE parcel_code = :code AND valid_to IS NULL
), pieces AS (
    SELECT (ST_Dump(ST_Split(parent.geom, ST_SetSRID(ST_GeomFromWKB(:line), :srid)))).geom
           AS geom
      FROM parent
)
SELECT ST_AsBinary(pieces.geom) AS wkb,
       ST_Area(pieces.geom) AS area_m2,
       ST_NumGeometries(parent.geom) AS parent_polygons,
       ST_Area(parent.geom) AS parent_area_m2
  FROM pieces, parent
 ORDER BY ST_X(ST_Centroid(pieces.geom)), ST_Y(ST_Centroid(pieces.geom))

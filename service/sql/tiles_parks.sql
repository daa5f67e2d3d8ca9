-- One Mapbox Vector Tile (layer "parks") of the park boundaries with code and names.
-- See tiles_parcels.sql for the search box and :tolerance. {where}: service/maps/tiles.py.
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), features AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY p.code) AS id,
           ST_AsMVTGeom(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(ST_Transform(p.boundary, 3857), :tolerance)
                    ELSE ST_Transform(p.boundary, 3857) END,
               box.tile, :extent, :buffer, true) AS geom,
           p.code,
           p.name_zh,
           p.name_en,
           round(p.area_m2::numeric, 2)::float8 AS area_m2
      FROM park p CROSS JOIN box
     WHERE p.boundary && box.search {where}
)
SELECT coalesce(ST_AsMVT(features.*, 'parks', :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

-- One Mapbox Vector Tile of one context layer (roads, rail, river, ...), named after the
-- layer, with each feature's name, kind and park and its own properties (a JSONB object:
-- ST_AsMVT turns its keys into tile properties). See tiles_parcels.sql for the search box
-- and :tolerance. {where} holds fixed fragments (service/maps/tiles.py).
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), features AS MATERIALIZED (
    SELECT f.id,
           ST_AsMVTGeom(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(ST_Transform(f.geom, 3857), :tolerance)
                    ELSE ST_Transform(f.geom, 3857) END,
               box.tile, :extent, :buffer, true) AS geom,
           f.layer,
           f.name,
           f.kind,
           f.park,
           f.properties
      FROM context_feature f CROSS JOIN box
     WHERE f.layer = :layer AND f.geom && box.search {where}
)
SELECT coalesce(ST_AsMVT(features.*, :layer, :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

-- One Mapbox Vector Tile (layer "parcels") of the current parcels for the zooms where a
-- parcel is a pixel or two (service/maps/tiles.py, OVERVIEW_MAX_ZOOM): the tile is cut into
-- square cells of :cell units and each cell that holds parcels (by their centroid) is one
-- feature, carrying the land-use class and status most of its parcels have, their park,
-- how many there are and their area (the page knows which classes are manufacturing). Thousands of cells instead of tens
-- of thousands of parcels: the city map stays quick to serve and to draw.
-- A centroid goes to its cell by the affine map :a..:f (storage CRS -> tile units, v up;
-- gis.tiles.tile_affine), a few units off at worst: no projection per parcel.
-- {where} holds fixed fragments (service/maps/tiles.py).
WITH box AS (
    SELECT ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), cell AS MATERIALIZED (
    SELECT floor((:a * ST_X(p) + :b * ST_Y(p) + :c) / :cell)::int AS i,
           floor((:d * ST_X(p) + :e * ST_Y(p) + :f) / :cell)::int AS j,
           park, land_use_code, status, area_m2
      FROM (SELECT v.park, v.land_use_code, v.status, v.area_m2, ST_Centroid(v.geom) AS p
              FROM parcel_version v CROSS JOIN box
             WHERE v.valid_to IS NULL AND v.geom && box.search {where}) spot
), features AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY i, j) AS id,
           ST_AsMVTGeom(
               ST_MakeEnvelope(i * :cell, j * :cell, (i + 1) * :cell, (j + 1) * :cell),
               ST_MakeBox2D(ST_Point(0, 0), ST_Point(:extent, :extent)),
               :extent, :buffer, false) AS geom,
           mode() WITHIN GROUP (ORDER BY park) AS park,
           mode() WITHIN GROUP (ORDER BY land_use_code) AS land_use_code,
           mode() WITHIN GROUP (ORDER BY status) AS status,
           count(*)::int AS parcels,
           round(sum(area_m2)::numeric, 2)::float8 AS area_m2,
           true AS overview
      FROM cell
     GROUP BY i, j
)
SELECT coalesce(ST_AsMVT(features.*, 'parcels', :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

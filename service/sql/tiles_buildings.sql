-- One Mapbox Vector Tile (layer "buildings") of the standard factory buildings, with the
-- properties of GET /api/buildings (leases in force today: the view lease_in_force). See
-- tiles_parcels.sql for the search box and :tolerance. {where} holds fixed fragments
-- (service/maps/tiles.py).
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), b AS (
    SELECT fb.* FROM factory_building fb CROSS JOIN box
     WHERE fb.footprint && box.search {where}
), leased AS (
    SELECT l.building_code, sum(l.leased_m2) AS leased_m2
      FROM lease_in_force l JOIN b USING (building_code)
     GROUP BY l.building_code
), features AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY b.building_code) AS id,
           ST_AsMVTGeom(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(ST_Transform(b.footprint, 3857), :tolerance)
                    ELSE ST_Transform(b.footprint, 3857) END,
               box.tile, :extent, :buffer, true) AS geom,
           b.building_code,
           b.park,
           b.parcel_code,
           b.name,
           b.storeys::int AS storeys,
           round(b.footprint_m2::numeric, 2)::float8 AS footprint_m2,
           round(b.floor_area_m2::numeric, 2)::float8 AS floor_area_m2,
           round(coalesce(l.leased_m2, 0)::numeric, 2)::float8 AS leased_m2,
           round((b.floor_area_m2 - coalesce(l.leased_m2, 0))::numeric, 2)::float8 AS vacant_m2
      FROM b LEFT JOIN leased l USING (building_code) CROSS JOIN box
)
SELECT coalesce(ST_AsMVT(features.*, 'buildings', :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

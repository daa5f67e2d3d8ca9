-- One Mapbox Vector Tile (layer "parcels") of the current parcels, with the properties
-- of GET /api/parcels. The search box (:minlon..:maxlat, the tile and its buffer) is
-- transformed to the storage CRS so the partial GiST index on current geometry is used;
-- geometry is simplified by :tolerance (Web-Mercator metres; 0 = not at all) before
-- ST_AsMVTGeom snaps it to the tile grid. The features are MATERIALIZED: inlined, the
-- "geom IS NOT NULL" filter would make PostgreSQL run ST_AsMVTGeom twice per row.
-- {where} holds fixed fragments (service/maps/tiles.py).
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), features AS MATERIALIZED (
    SELECT v.version_id AS id,
           ST_AsMVTGeom(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(ST_Transform(v.geom, 3857), :tolerance)
                    ELSE ST_Transform(v.geom, 3857) END,
               box.tile, :extent, :buffer, true) AS geom,
           v.parcel_code,
           v.park,
           v.land_use_code,
           c.name_zh AS land_use_name,
           c.name_en AS land_use_name_en,
           c.is_manufacturing,
           v.status,
           v.holder,
           v.supply_mode,
           v.supplied_on::text AS supplied_on,
           round(v.area_m2::numeric, 2)::float8 AS area_m2,
           round(m2_to_mu(v.area_m2)::numeric, 4)::float8 AS area_mu,
           round((v.area_m2 / 10000)::numeric, 4)::float8 AS area_ha,
           to_json(v.valid_from) #>> '{}' AS valid_from,
           v.change_set_id
      FROM parcel_version v
      JOIN land_use_class c ON c.code = v.land_use_code
     CROSS JOIN box
     WHERE v.valid_to IS NULL AND v.geom && box.search {where}
)
SELECT coalesce(ST_AsMVT(features.*, 'parcels', :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

-- One Mapbox Vector Tile (layer "projects") of the key projects' sites (the union of each
-- project's current parcels), with the properties of GET /api/projects; milestones are
-- JSON text and parcel_codes a comma-separated list (MVT values are scalars).
-- See tiles_parcels.sql for the search box and :tolerance. {where}: service/maps/tiles.py.
WITH box AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_Segmentize(
               ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326), :step), :srid) AS search
), hit AS (
    SELECT DISTINCT pp.project_code
      FROM parcel_version v
      JOIN project_parcel pp ON pp.parcel_code = v.parcel_code
     CROSS JOIN box
     WHERE v.valid_to IS NULL AND v.geom && box.search
), site AS (
    SELECT pp.project_code, ST_Union(v.geom) AS geom, sum(v.area_m2) AS area_m2,
           string_agg(pp.parcel_code, ',' ORDER BY pp.parcel_code) AS parcel_codes
      FROM hit
      JOIN project_parcel pp USING (project_code)
      JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
     GROUP BY pp.project_code
), features AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY p.project_code) AS id,
           ST_AsMVTGeom(
               CASE WHEN :tolerance > 0
                    THEN ST_SimplifyPreserveTopology(ST_Transform(s.geom, 3857), :tolerance)
                    ELSE ST_Transform(s.geom, 3857) END,
               box.tile, :extent, :buffer, true) AS geom,
           p.project_code,
           p.name,
           p.park,
           p.investor,
           p.industry_chain,
           p.investment_yi::float8 AS investment_yi,
           p.status,
           p.milestones::text AS milestones,
           s.parcel_codes,
           round(s.area_m2::numeric, 2)::float8 AS site_area_m2
      FROM project p JOIN site s USING (project_code) CROSS JOIN box
     WHERE TRUE {where}
)
SELECT coalesce(ST_AsMVT(features.*, 'projects', :extent, 'geom', 'id'), ''::bytea)
  FROM features
 WHERE geom IS NOT NULL;

-- The read-only door into PostGIS: the schema `gis`, views a desktop GIS (QGIS, ArcGIS,
-- GDAL) reads straight from the database, with the columns the API gives its features.
-- Run by migration 0010 ({srid}: the storage CRS, PARKS_STORAGE_SRID); the role
-- parks_reader is granted SELECT on these views and nothing else (gis_reader_grants.sql).
--
-- * Views run with their owner's rights: the reader sees the base tables only through
--   them. Only gis.leases_in_force is a security barrier: its WHERE hides rows (leases not
--   in force today) that no other view shows, and the reader can make functions in
--   pg_temp that would otherwise see the rows a filter drops. The other views hide
--   nothing another view doesn't show (gis.parcels' past versions are in
--   gis.parcel_versions), so the planner stays free to push a client's bbox into the
--   GiST indexes.
-- * Every geometry column is typed (geometry(<type>, {srid})), directly from a typed base
--   column or by a cast, so geometry_columns lists it with its type and SRID. Context
--   features are of any type: one view per kind (points, lines, polygons), each made multi.
-- * Areas are unrounded m² (the API rounds what it prints); 亩 by m2_to_mu() (0006).
-- * A view depends on the columns it reads: a migration that changes one of them drops
--   and re-creates the views (this file) and re-runs the grants.

CREATE SCHEMA gis;
COMMENT ON SCHEMA gis IS
    'Read-only views for desktop GIS (QGIS): the role parks_reader sees these and nothing else';

-- Current parcels: the standing version of every parcel (the API's /api/parcels).
CREATE VIEW gis.parcels AS
SELECT v.parcel_code,
       v.park,
       v.land_use_code,
       c.name_zh AS land_use_name,
       c.name_en AS land_use_name_en,
       c.is_manufacturing,
       v.status,
       v.holder,
       v.supply_mode,
       v.supplied_on,
       v.area_m2,
       m2_to_mu(v.area_m2) AS area_mu,
       v.area_m2 / 10000 AS area_ha,
       v.valid_from,
       v.change_set_id,
       v.version_id,
       v.geom
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code
 WHERE v.valid_to IS NULL;
COMMENT ON VIEW gis.parcels IS
    'Current parcels (one row per parcel code): land use, status, holder, area in m2/mu/ha';

-- Every version of every parcel, with the change sets that made and ended it.
CREATE VIEW gis.parcel_versions AS
SELECT v.version_id,
       v.parcel_code,
       v.park,
       v.land_use_code,
       c.name_zh AS land_use_name,
       c.name_en AS land_use_name_en,
       c.is_manufacturing,
       v.status,
       v.holder,
       v.supply_mode,
       v.supplied_on,
       v.area_m2,
       m2_to_mu(v.area_m2) AS area_mu,
       v.area_m2 / 10000 AS area_ha,
       v.valid_from,
       v.valid_to,
       v.valid_to IS NULL AS is_current,
       v.change_set_id,
       v.ended_by_change_set_id,
       v.geom
  FROM parcel_version v
  JOIN land_use_class c ON c.code = v.land_use_code;
COMMENT ON VIEW gis.parcel_versions IS
    'Every parcel version, valid from valid_from until valid_to (NULL: current), with the '
    'change set that made it and the one that ended it';

-- Leases in force today (current_date, the session's date): the view lease_in_force (0006).
CREATE VIEW gis.leases_in_force WITH (security_barrier) AS
SELECT l.lease_id,
       l.building_code,
       b.park,
       b.parcel_code,
       l.tenant,
       l.floor,
       l.leased_m2,
       l.start_date,
       l.end_date
  FROM lease_in_force l
  JOIN factory_building b ON b.building_code = l.building_code;
COMMENT ON VIEW gis.leases_in_force IS
    'Leases of factory floor in force today (start_date <= today <= end_date; no end date: '
    'open-ended)';

-- Standard factory buildings with their floor, leased and vacant area (the API's
-- /api/buildings).
CREATE VIEW gis.buildings AS
SELECT b.building_code,
       b.park,
       b.parcel_code,
       b.name,
       b.storeys,
       b.footprint_m2,
       b.floor_area_m2,
       coalesce(l.leased_m2, 0) AS leased_m2,
       b.floor_area_m2 - coalesce(l.leased_m2, 0) AS vacant_m2,
       coalesce(l.leases, 0) AS leases,
       b.footprint AS geom
  FROM factory_building b
  LEFT JOIN LATERAL (
        SELECT sum(f.leased_m2) AS leased_m2, count(*) AS leases
          FROM lease_in_force f
         WHERE f.building_code = b.building_code
       ) l ON true;
COMMENT ON VIEW gis.buildings IS
    'Standard factory buildings: floor area, floor area leased today (leases in force) and '
    'vacant (floor area - leased)';

-- Key projects; a project's site is the union of the current versions of its parcels
-- (the API's /api/projects). No parcels: no site (geom NULL).
CREATE VIEW gis.projects AS
SELECT p.project_code,
       p.name,
       p.park,
       p.investor,
       p.industry_chain,
       p.investment_yi,
       p.status,
       p.milestones,
       coalesce(s.parcel_codes, '{}'::text[]) AS parcel_codes,
       coalesce(s.area_m2, 0) AS site_area_m2,
       m2_to_mu(coalesce(s.area_m2, 0)) AS site_area_mu,
       s.geom
  FROM project p
  LEFT JOIN LATERAL (
        SELECT array_agg(pp.parcel_code ORDER BY pp.parcel_code) AS parcel_codes,
               sum(v.area_m2) AS area_m2,
               ST_Multi(ST_Union(v.geom))::geometry(MultiPolygon, {srid}) AS geom
          FROM project_parcel pp
          JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
         WHERE pp.project_code = p.project_code
       ) s ON true;
COMMENT ON VIEW gis.projects IS
    'Key projects (重点项目) with their site: the union of the current parcels they use';

-- Parks with their area, current parcels and manufacturing land (the API's /api/parks).
CREATE VIEW gis.parks AS
SELECT p.code,
       p.name_zh,
       p.name_en,
       p.area_m2,
       m2_to_mu(p.area_m2) AS area_mu,
       coalesce(f.parcels, 0) AS parcels,
       coalesce(f.manufacturing_m2, 0) AS manufacturing_m2,
       m2_to_mu(coalesce(f.manufacturing_m2, 0)) AS manufacturing_mu,
       p.boundary AS geom
  FROM park p
  LEFT JOIN LATERAL (
        SELECT count(*) AS parcels,
               sum(v.area_m2) FILTER (WHERE c.is_manufacturing) AS manufacturing_m2
          FROM parcel_version v
          JOIN land_use_class c ON c.code = v.land_use_code
         WHERE v.park = p.code AND v.valid_to IS NULL
       ) f ON true;
COMMENT ON VIEW gis.parks IS
    'Industrial parks: boundary, area, current parcels and manufacturing land';

-- Context layers (roads, rail, river, flood_zone, utilities, eco_redline, ...): the list,
-- and their features in one view per kind of geometry (a layer may hold several kinds).
CREATE VIEW gis.context_layers AS
SELECT l.name,
       l.title_zh,
       l.title_en,
       count(f.id) AS features,
       coalesce(array_agg(DISTINCT f.kind ORDER BY f.kind) FILTER (WHERE f.kind IS NOT NULL),
                '{}'::text[]) AS kinds
  FROM context_layer l
  LEFT JOIN context_feature f ON f.layer = l.name
 GROUP BY l.name;
COMMENT ON VIEW gis.context_layers IS
    'Context layers: name, titles, feature count and kinds (features in gis.context_points, '
    'gis.context_lines and gis.context_polygons)';

CREATE VIEW gis.context_points AS
SELECT f.id, f.layer, l.title_zh AS layer_title_zh, l.title_en AS layer_title_en,
       f.park, f.name, f.kind, f.properties,
       ST_Multi(ST_CollectionExtract(f.geom, 1))::geometry(MultiPoint, {srid}) AS geom
  FROM context_feature f
  JOIN context_layer l ON l.name = f.layer
 WHERE NOT ST_IsEmpty(ST_CollectionExtract(f.geom, 1));
COMMENT ON VIEW gis.context_points IS 'Point features of the context layers (column layer)';

CREATE VIEW gis.context_lines AS
SELECT f.id, f.layer, l.title_zh AS layer_title_zh, l.title_en AS layer_title_en,
       f.park, f.name, f.kind, f.properties,
       ST_Multi(ST_CollectionExtract(f.geom, 2))::geometry(MultiLineString, {srid}) AS geom
  FROM context_feature f
  JOIN context_layer l ON l.name = f.layer
 WHERE NOT ST_IsEmpty(ST_CollectionExtract(f.geom, 2));
COMMENT ON VIEW gis.context_lines IS 'Line features of the context layers (column layer)';

CREATE VIEW gis.context_polygons AS
SELECT f.id, f.layer, l.title_zh AS layer_title_zh, l.title_en AS layer_title_en,
       f.park, f.name, f.kind, f.properties,
       ST_Multi(ST_CollectionExtract(f.geom, 3))::geometry(MultiPolygon, {srid}) AS geom
  FROM context_feature f
  JOIN context_layer l ON l.name = f.layer
 WHERE NOT ST_IsEmpty(ST_CollectionExtract(f.geom, 3));
COMMENT ON VIEW gis.context_polygons IS 'Polygon features of the context layers (column layer)';

-- The ledger: one row per committed change set, its effect on manufacturing land (city and
-- per park, m²) and the hash chain; with the change set's reason.
CREATE VIEW gis.ledger AS
SELECT g.seq,
       g.at,
       g.actor,
       g.change_set_id,
       g.kind,
       g.document_no,
       s.reason,
       g.delta_city_m2,
       m2_to_mu(g.delta_city_m2) AS delta_city_mu,
       g.total_city_m2,
       m2_to_mu(g.total_city_m2) AS total_city_mu,
       g.high_water_city_m2,
       g.delta_parks AS delta_parks_m2,
       g.total_parks AS total_parks_m2,
       g.high_water_parks AS high_water_parks_m2,
       g.prev_hash,
       g.hash
  FROM ledger g
  JOIN change_set s ON s.id = g.change_set_id;
COMMENT ON VIEW gis.ledger IS
    'The manufacturing-land ledger: every committed change set, its delta and running '
    'totals (city and per park) and the hash chain';

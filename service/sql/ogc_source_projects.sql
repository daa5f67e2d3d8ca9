-- OGC API collection `projects` (service/ogc/registry.py): key projects, read from the
-- view gis.projects (service/db/sql/gis_views.sql), where a project's site is defined: the
-- union of the current versions of its parcels (null when it has none), as /api/projects
-- gives it. The OGC API rounds the site's area here.
SELECT p.project_code,
       p.name,
       p.park,
       p.investor,
       p.industry_chain,
       p.investment_yi,
       p.status,
       p.milestones,
       p.parcel_codes,
       round(p.site_area_m2::numeric, 2) AS site_area_m2,
       p.geom
  FROM gis.projects p

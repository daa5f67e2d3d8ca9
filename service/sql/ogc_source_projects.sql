-- OGC API collection `projects` (service/ogc/registry.py): key projects; a project's site
-- is the union of the current versions of its parcels (null when it has none), as
-- /api/projects gives it.
SELECT p.project_code,
       p.name,
       p.park,
       p.investor,
       p.industry_chain,
       p.investment_yi,
       p.status,
       p.milestones,
       coalesce(s.parcel_codes, '{}'::text[]) AS parcel_codes,
       round(coalesce(s.area_m2, 0)::numeric, 2) AS site_area_m2,
       s.geom
  FROM project p
  LEFT JOIN LATERAL (
        SELECT ST_Multi(ST_Union(v.geom)) AS geom,
               sum(v.area_m2) AS area_m2,
               array_agg(pp.parcel_code ORDER BY pp.parcel_code) AS parcel_codes
          FROM project_parcel pp
          JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
         WHERE pp.project_code = p.project_code
       ) s ON TRUE

-- The key projects of an export, ordered by code: each with its site, the union of the
-- current versions of its parcels (NULL when it has none standing), their codes and summed
-- area, and its milestones. Projects keep no history: this is always the present.
WITH site AS (
    SELECT pp.project_code,
           ST_Multi(ST_Union(v.geom)) AS geom,
           sum(v.area_m2) AS area_m2,
           string_agg(pp.parcel_code, ',' ORDER BY pp.parcel_code) AS parcel_codes
      FROM project_parcel pp
      JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
     GROUP BY pp.project_code
)
SELECT p.project_code,
       p.name,
       p.park,
       p.investor,
       p.industry_chain,
       p.investment_yi::float8 AS investment_yi,
       p.status,
       s.parcel_codes,
       coalesce(s.area_m2, 0) AS site_area_m2,
       m2_to_mu(coalesce(s.area_m2, 0)) AS site_area_mu,
       p.milestones,
       ST_AsBinary(ST_Transform(s.geom, CAST(:srid AS integer))) AS wkb
  FROM project p
  LEFT JOIN site s USING (project_code)
 WHERE CAST(:park AS text) IS NULL OR p.park = CAST(:park AS text)
 ORDER BY p.project_code;

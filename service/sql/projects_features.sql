-- Key projects; a project's site is the union of the current versions of its parcels.
WITH site AS (
    SELECT pp.project_code, ST_Union(v.geom) AS geom, sum(v.area_m2) AS area_m2,
           array_agg(pp.parcel_code ORDER BY pp.parcel_code) AS parcel_codes
      FROM project_parcel pp
      JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
     GROUP BY pp.project_code
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'numberReturned', count(*),
         'features', coalesce(json_agg(json_build_object(
           'type', 'Feature',
           'id', p.project_code,
           'geometry', ST_AsGeoJSON(ST_Transform(s.geom, 4326), :precision)::json,
           'properties', json_build_object(
             'project_code', p.project_code,
             'name', p.name,
             'park', p.park,
             'investor', p.investor,
             'industry_chain', p.industry_chain,
             'investment_yi', p.investment_yi,
             'status', p.status,
             'milestones', p.milestones,
             'parcel_codes', coalesce(to_json(s.parcel_codes), '[]'::json),
             'site_area_m2', round(coalesce(s.area_m2, 0)::numeric, 2))
         ) ORDER BY p.project_code), '[]'::json)
       )::text
  FROM project p
  LEFT JOIN site s USING (project_code)
 WHERE TRUE {where};

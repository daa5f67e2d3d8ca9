-- The park map's marks (GET /api/projects/alerts): the projects of progress_rows.sql
-- (put in place of the rows placeholder below) behind plan or with an overdue problem, each with its site — the union of the
-- standing versions of its parcels, as projects_features.sql makes it — in EPSG:4326
-- (null for a project with no parcel), as one GeoJSON FeatureCollection text.
WITH measured AS (
{rows}
), marked AS (
    SELECT * FROM measured WHERE behind OR overdue_problems > 0
), site AS (
    SELECT pp.project_code, ST_Union(v.geom) AS geom
      FROM project_parcel pp
      JOIN parcel_version v ON v.parcel_code = pp.parcel_code AND v.valid_to IS NULL
     WHERE pp.project_code IN (SELECT project_code FROM marked)
     GROUP BY pp.project_code
)
SELECT json_build_object(
         'type', 'FeatureCollection',
         'year', CAST(:year AS integer),
         'month', CAST(:month AS integer),
         'as_of', CAST(:as_of AS date),
         'behind_share', CAST(:behind_share AS numeric),
         'numberReturned', count(*),
         'features', coalesce(json_agg(json_build_object(
             'type', 'Feature',
             'id', m.project_code,
             'geometry', ST_AsGeoJSON(ST_Transform(s.geom, 4326), :precision)::json,
             'properties', json_build_object(
                 'project_code', m.project_code,
                 'name', m.name,
                 'park', m.park,
                 'status', m.status,
                 'behind', m.behind,
                 'planned_to_date_wan', m.planned_to_date_wan,
                 'completed_to_date_wan', m.completed_to_date_wan,
                 'completion_to_date_pct', m.completion_to_date_pct,
                 'shortfall_share', m.shortfall_share,
                 'overdue_problems', m.overdue_problems,
                 'max_days_overdue', m.max_days_overdue,
                 'milestones_late', m.milestones_late,
                 'page', '/projects/' || m.project_code))
             ORDER BY m.project_code COLLATE "C"), '[]'::json)
       )::text
  FROM marked m
  LEFT JOIN site s USING (project_code)

-- The key-project list (GET /api/projects/progress) as one JSON text: the rows of
-- progress_rows.sql (put in place of the rows placeholder below) that pass the filters,
-- in the order asked (the order placeholder: a column of the row and a direction, chosen
-- from a fixed list by service/projects/progress.py; nulls last, then the project code),
-- and their totals, in one pass over them. A filter given as NULL is not applied.
WITH measured AS (
{rows}
)
SELECT json_build_object(
         'year', CAST(:year AS integer),
         'month', CAST(:month AS integer),
         'as_of', CAST(:as_of AS date),
         'behind_share', CAST(:behind_share AS numeric),
         'projects', coalesce(json_agg(r ORDER BY {order_by} NULLS LAST,
                                       r.project_code COLLATE "C"), '[]'::json),
         'totals', json_build_object(
             'projects', count(r.project_code),
             'planned_year_wan', coalesce(sum(r.planned_year_wan), 0),
             'planned_to_date_wan', coalesce(sum(r.planned_to_date_wan), 0),
             'completed_to_date_wan', coalesce(sum(r.completed_to_date_wan), 0),
             'behind', count(r.project_code) FILTER (WHERE r.behind),
             'milestones_late', coalesce(sum(r.milestones_late), 0),
             'open_problems', coalesce(sum(r.open_problems), 0),
             'overdue_problems', coalesce(sum(r.overdue_problems), 0))
       )::text
  FROM (
    -- a project's row of the list, its members in the order the answer gives them
    SELECT project_code, name, park, park_name, industry_chain, status,
           CAST(:status_names AS jsonb) ->> status AS status_zh,
           officials, planned_year_wan, planned_to_date_wan, completed_to_date_wan,
           completion_of_year_pct, completion_to_date_pct, shortfall_share, behind,
           milestones_late, milestones_due, open_problems, overdue_problems,
           max_days_overdue, last_visit_on, '/projects/' || project_code AS page
      FROM measured
     WHERE (CAST(:chain AS text) IS NULL OR industry_chain = :chain)
       AND (CAST(:statuses AS text[]) IS NULL OR status = ANY (CAST(:statuses AS text[])))
       AND (CAST(:official AS text) IS NULL OR CAST(:official AS text) = ANY (official_codes))
       AND (CAST(:behind AS boolean) IS NULL OR behind = CAST(:behind AS boolean))
       AND (CAST(:overdue AS boolean) IS NULL
            OR (overdue_problems > 0) = CAST(:overdue AS boolean))
  ) r

-- A project's standing plan for one year: the investment planned by month (万元), the
-- milestones' planned dates and the image-progress targets by quarter, each as JSON.
SELECT
    (SELECT coalesce(json_agg(json_build_object('month', i.month, 'planned_wan', i.planned_wan)
                              ORDER BY i.month), '[]'::json)
       FROM project_plan_investment i
      WHERE i.project_code = :project_code AND i.year = :year AND i.valid_to IS NULL)
        AS investment,
    (SELECT coalesce(json_agg(json_build_object('milestone', m.milestone,
                                                'planned_on', m.planned_on)
                              ORDER BY m.planned_on, m.milestone), '[]'::json)
       FROM project_plan_milestone m
      WHERE m.project_code = :project_code AND m.year = :year AND m.valid_to IS NULL)
        AS milestones,
    (SELECT coalesce(json_agg(json_build_object('quarter', q.quarter, 'target_pct', q.target_pct,
                                                'target_text', q.target_text)
                              ORDER BY q.quarter), '[]'::json)
       FROM project_plan_progress q
      WHERE q.project_code = :project_code AND q.year = :year AND q.valid_to IS NULL)
        AS progress_targets;

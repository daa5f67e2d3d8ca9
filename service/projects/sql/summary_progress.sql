-- A project's image-progress (形象进度) targets of :year by quarter, and its latest
-- standing monthly report of a month up to :year-:as_of_month that says how far the site
-- is (image progress text or %), as JSON: {targets: [...], latest: {...} or null}.
SELECT json_build_object(
    'targets', coalesce((
        SELECT json_agg(json_build_object(
                   'quarter', t.quarter, 'target_pct', t.target_pct,
                   'target_text', t.target_text) ORDER BY t.quarter)
          FROM project_plan_progress t
         WHERE t.project_code = :project_code AND t.year = :year AND t.valid_to IS NULL
    ), '[]'::json),
    'latest', (
        SELECT json_build_object(
                   'year', r.year, 'month', r.month,
                   'image_progress_text', r.image_progress_text,
                   'image_progress_pct', r.image_progress_pct,
                   'cumulative_investment_wan', r.cumulative_investment_wan,
                   'employment', r.employment, 'output_wan', r.output_wan,
                   'reported_on', r.reported_on)
          FROM project_report r
         WHERE r.project_code = :project_code AND r.valid_to IS NULL
           AND (r.year, r.month) <= (:year, :as_of_month)
           AND (r.image_progress_text IS NOT NULL OR r.image_progress_pct IS NOT NULL)
         ORDER BY r.year DESC, r.month DESC
         LIMIT 1
    )
) AS progress;

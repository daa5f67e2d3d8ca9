-- Each project of the monthly dispatch report (月调度) of month :month of :year, for the
-- city (or :park): one row per project, every figure aggregated here (no query per
-- project). Money 万元, shares fractions of 1, percentages 0..100.
--
-- A project is in the month's dispatch when it has a standing plan of :year (investment,
-- a milestone or an image-progress target), a standing report of a month 1..:month of
-- :year, or a problem listed (raised in the month, or overdue as of :as_of).
--   month_planned_wan / month_completed_wan  the plan and the report of the month
--       (month_completed_wan null when no report of the month stands: reported false);
--   plan_to_date_wan / completed_to_date_wan  Σ of months 1..:month;
--   planned_year_wan  Σ of the 12 months;
--   completion_to_date_pct = completed / plan to date × 100, completion_of_year_pct =
--       completed to date / the year's plan × 100 (null when the plan is 0);
--   shortfall_share = (plan − completed) / plan to date (0 when the plan is 0);
--   behind = parks.projects.rules.is_behind_plan with :behind_share;
--   milestones_due / _met / _overdue and new_problems / overdue_problems: counts of
--       the rows of dispatch_milestones.sql and dispatch_problems.sql (put in below);
--       met = due in the month and reached on or before its planned date.
-- Ordered: projects behind plan first, the largest shortfall first; then by park and code.
WITH scope AS (
    SELECT p.project_code, p.name, p.park, k.name_zh AS park_name_zh, p.industry_chain,
           p.status
    FROM project p
    JOIN park k ON k.code = p.park
    WHERE CAST(:park AS text) IS NULL OR p.park = CAST(:park AS text)
),
plan AS (
    SELECT project_code,
           coalesce(sum(planned_wan) FILTER (WHERE month = CAST(:month AS integer)), 0)
               AS month_planned_wan,
           coalesce(sum(planned_wan) FILTER (WHERE month <= CAST(:month AS integer)), 0)
               AS plan_to_date_wan,
           sum(planned_wan) AS planned_year_wan
    FROM project_plan_investment
    WHERE valid_to IS NULL AND year = CAST(:year AS integer)
    GROUP BY project_code
),
done AS (
    SELECT project_code,
           sum(investment_wan) FILTER (WHERE month = CAST(:month AS integer))
               AS month_completed_wan,
           sum(investment_wan) AS completed_to_date_wan,
           bool_or(month = CAST(:month AS integer)) AS reported
    FROM project_report
    WHERE valid_to IS NULL AND year = CAST(:year AS integer) AND month <= CAST(:month AS integer)
    GROUP BY project_code
),
planned AS (
    SELECT project_code FROM project_plan_investment
    WHERE valid_to IS NULL AND year = CAST(:year AS integer)
    UNION
    SELECT project_code FROM project_plan_milestone
    WHERE valid_to IS NULL AND year = CAST(:year AS integer)
    UNION
    SELECT project_code FROM project_plan_progress
    WHERE valid_to IS NULL AND year = CAST(:year AS integer)
),
milestones AS MATERIALIZED ({milestones}),
milestone_counts AS (
    SELECT project_code,
           count(*) FILTER (WHERE kind = 'due') AS milestones_due,
           count(*) FILTER (WHERE kind = 'due' AND state = 'on_time') AS milestones_met,
           count(*) FILTER (WHERE kind = 'overdue') AS milestones_overdue
    FROM milestones
    GROUP BY project_code
),
problems AS MATERIALIZED ({problems}),
problem_counts AS (
    SELECT project_code,
           count(*) FILTER (WHERE is_new) AS new_problems,
           count(*) FILTER (WHERE is_overdue) AS overdue_problems
    FROM problems
    GROUP BY project_code
),
officials AS (
    SELECT a.project_code,
           array_agg(coalesce(o.name, a.official_code)
                     ORDER BY a.assigned_on, coalesce(o.name, a.official_code)) AS officials
    FROM project_assignment a
    LEFT JOIN project_official o ON o.official_code = a.official_code AND o.valid_to IS NULL
    WHERE a.valid_to IS NULL AND a.role = 'lead'
    GROUP BY a.project_code
),
figures AS (
    SELECT s.project_code, s.name, s.park, s.park_name_zh, s.industry_chain, s.status,
           coalesce(f.officials, ARRAY[]::text[]) AS officials,
           CAST(coalesce(pl.month_planned_wan, 0) AS double precision) AS month_planned_wan,
           CAST(d.month_completed_wan AS double precision) AS month_completed_wan,
           coalesce(pl.plan_to_date_wan, 0) AS plan_to_date,
           coalesce(d.completed_to_date_wan, 0) AS completed_to_date,
           coalesce(pl.planned_year_wan, 0) AS planned_year,
           coalesce(d.reported, false) AS reported,
           coalesce(mc.milestones_due, 0) AS milestones_due,
           coalesce(mc.milestones_met, 0) AS milestones_met,
           coalesce(mc.milestones_overdue, 0) AS milestones_overdue,
           coalesce(pc.new_problems, 0) AS new_problems,
           coalesce(pc.overdue_problems, 0) AS overdue_problems
    FROM scope s
    LEFT JOIN plan pl ON pl.project_code = s.project_code
    LEFT JOIN done d ON d.project_code = s.project_code
    LEFT JOIN milestone_counts mc ON mc.project_code = s.project_code
    LEFT JOIN problem_counts pc ON pc.project_code = s.project_code
    LEFT JOIN officials f ON f.project_code = s.project_code
    WHERE s.project_code IN (SELECT project_code FROM planned)
       OR d.project_code IS NOT NULL
       OR pc.project_code IS NOT NULL
),
judged AS (
    SELECT x.project_code, x.name, x.park, x.park_name_zh, x.industry_chain, x.status,
           x.officials,
           x.month_planned_wan,
           x.month_completed_wan,
           CAST(x.plan_to_date AS double precision) AS plan_to_date_wan,
           CAST(x.completed_to_date AS double precision) AS completed_to_date_wan,
           CASE WHEN x.plan_to_date > 0
                THEN CAST(x.completed_to_date AS double precision)
                     / CAST(x.plan_to_date AS double precision) * 100
           END AS completion_to_date_pct,
           CAST(x.planned_year AS double precision) AS planned_year_wan,
           CASE WHEN x.planned_year > 0
                THEN CAST(x.completed_to_date AS double precision)
                     / CAST(x.planned_year AS double precision) * 100
           END AS completion_of_year_pct,
           CASE WHEN x.plan_to_date > 0
                THEN CAST(x.plan_to_date - x.completed_to_date AS double precision)
                     / CAST(x.plan_to_date AS double precision)
                ELSE 0
           END AS shortfall_share,
           -- is_behind_plan: short by more than behind_share of the plan (to a millionth)
           x.plan_to_date > 0
               AND CAST(x.plan_to_date - x.completed_to_date AS double precision)
                   - CAST(:behind_share AS double precision)
                     * CAST(x.plan_to_date AS double precision) > 1e-6 AS behind,
           x.reported,
           x.milestones_due, x.milestones_met, x.milestones_overdue,
           x.new_problems, x.overdue_problems
    FROM figures x
)
SELECT j.*
FROM judged j
ORDER BY j.behind DESC,
         CASE WHEN j.behind THEN j.shortfall_share END DESC NULLS LAST,
         j.park, j.project_code

-- Every key project's progress through month m of year Y (parameters month, year), judged
-- on day D (as_of: the month's last day, or today while it runs), one row per project of
-- the park asked for (every park: NULL). The rhythm's shared definitions and the rules of
-- parks/projects/rules.py, which tests hold this query to:
--   plan to date = Σ planned_wan of months 1..m of Y; the year's plan = Σ of all 12;
--   completed to date = Σ investment_wan of the standing reports of months 1..m;
--   behind (is_behind_plan) = plan to date > 0 and (plan − completed) − share × plan > 1e-6;
--   a planned milestone of Y is late (judge_milestone: late or overdue) when it was
--   reached by D after its planned day, or is not reached by D and D is past that day;
--   a problem raised by D is open when not solved by D; overdue (problem_is_overdue) when
--   open and D is past its due day, by D − due_on days (problem_overdue_days).
-- Only standing versions (valid_to IS NULL) count. Money 万元.
WITH plan AS (
    SELECT project_code,
           sum(planned_wan) AS planned_year_wan,
           coalesce(sum(planned_wan) FILTER (WHERE month <= :month), 0) AS planned_to_date_wan
      FROM project_plan_investment
     WHERE valid_to IS NULL AND year = :year
     GROUP BY project_code
), done AS (
    SELECT project_code, sum(investment_wan) AS completed_to_date_wan
      FROM project_report
     WHERE valid_to IS NULL AND year = :year AND month <= :month
     GROUP BY project_code
), milestone AS (
    SELECT m.project_code,
           count(*) FILTER (
               WHERE (r.reached_on <= :as_of AND r.reached_on > m.planned_on)
                  OR ((r.reached_on IS NULL OR r.reached_on > :as_of) AND :as_of > m.planned_on)
           ) AS milestones_late,
           count(*) FILTER (WHERE m.planned_on <= :as_of) AS milestones_due
      FROM project_plan_milestone m
      LEFT JOIN project_milestone_reached r
        ON r.project_code = m.project_code AND r.milestone = m.milestone AND r.valid_to IS NULL
     WHERE m.valid_to IS NULL AND m.year = :year
     GROUP BY m.project_code
), problem AS (
    SELECT project_code,
           count(*) FILTER (WHERE solved_on IS NULL OR solved_on > :as_of) AS open_problems,
           count(*) FILTER (
               WHERE (solved_on IS NULL OR solved_on > :as_of) AND :as_of > due_on
           ) AS overdue_problems,
           max(:as_of - due_on) FILTER (
               WHERE (solved_on IS NULL OR solved_on > :as_of) AND :as_of > due_on
           ) AS max_days_overdue
      FROM project_problem
     WHERE valid_to IS NULL AND raised_on <= :as_of
     GROUP BY project_code
), visit AS (
    SELECT project_code, max(visited_on) AS last_visit_on
      FROM project_visit
     WHERE valid_to IS NULL AND visited_on <= :as_of
     GROUP BY project_code
), official AS (
    SELECT a.project_code,
           json_agg(json_build_object('official_code', a.official_code, 'name', o.name,
                                      'role', a.role)
                    ORDER BY a.role <> 'lead', a.official_code) AS officials,
           array_agg(a.official_code) AS official_codes
      FROM project_assignment a
      LEFT JOIN project_official o ON o.official_code = a.official_code AND o.valid_to IS NULL
     WHERE a.valid_to IS NULL
     GROUP BY a.project_code
), measured AS (
    SELECT p.project_code, p.name, p.park, k.name_zh AS park_name, p.industry_chain,
           p.status,
           coalesce(f.officials, '[]'::json) AS officials,
           coalesce(f.official_codes, '{}'::text[]) AS official_codes,
           coalesce(pl.planned_year_wan, 0) AS planned_year_wan,
           coalesce(pl.planned_to_date_wan, 0) AS planned_to_date_wan,
           coalesce(d.completed_to_date_wan, 0) AS completed_to_date_wan,
           coalesce(m.milestones_late, 0) AS milestones_late,
           coalesce(m.milestones_due, 0) AS milestones_due,
           coalesce(q.open_problems, 0) AS open_problems,
           coalesce(q.overdue_problems, 0) AS overdue_problems,
           q.max_days_overdue,
           v.last_visit_on
      FROM project p
      JOIN park k ON k.code = p.park
      LEFT JOIN plan pl USING (project_code)
      LEFT JOIN done d USING (project_code)
      LEFT JOIN milestone m USING (project_code)
      LEFT JOIN problem q USING (project_code)
      LEFT JOIN visit v USING (project_code)
      LEFT JOIN official f USING (project_code)
     WHERE (CAST(:park AS text) IS NULL OR p.park = :park)
)
SELECT measured.*,
       round(100 * completed_to_date_wan / nullif(planned_year_wan, 0), 2)
           AS completion_of_year_pct,
       round(100 * completed_to_date_wan / nullif(planned_to_date_wan, 0), 2)
           AS completion_to_date_pct,
       coalesce(round((planned_to_date_wan - completed_to_date_wan)
                      / nullif(planned_to_date_wan, 0), 4), 0) AS shortfall_share,
       (planned_to_date_wan > 0
        AND (planned_to_date_wan - completed_to_date_wan)
            - CAST(:behind_share AS numeric) * planned_to_date_wan > 0.000001) AS behind
  FROM measured

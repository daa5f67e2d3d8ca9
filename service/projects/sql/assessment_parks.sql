-- The yearly assessment's (年考核) figures of every park for :year, judged as of :as_of:
--   investment_target_wan: Σ planned_wan of :year (all 12 months) of the park's projects;
--   investment_completed_wan: Σ investment_wan of the reports of months 1..:through_month
--     of :year (the month of :as_of);
--   projects_to_start / projects_to_produce: projects whose :year plan sets a day for
--     construction_start (开工) / production_start (投产);
--   projects_started / projects_producing: of those, the ones whose milestone was reached
--     on or before :as_of (an early one, before the year, counts).
WITH plan AS (
    SELECT p.park, sum(i.planned_wan) AS target_wan
    FROM project_plan_investment i
    JOIN project p USING (project_code)
    WHERE i.valid_to IS NULL AND i.year = :year
    GROUP BY p.park
), done AS (
    SELECT p.park, sum(r.investment_wan) AS completed_wan
    FROM project_report r
    JOIN project p USING (project_code)
    WHERE r.valid_to IS NULL AND r.year = :year AND r.month <= :through_month
    GROUP BY p.park
), milestones AS (
    SELECT p.park,
           count(*) FILTER (WHERE m.milestone = 'construction_start') AS to_start,
           count(*) FILTER (WHERE m.milestone = 'construction_start'
                              AND r.reached_on <= :as_of) AS started,
           count(*) FILTER (WHERE m.milestone = 'production_start') AS to_produce,
           count(*) FILTER (WHERE m.milestone = 'production_start'
                              AND r.reached_on <= :as_of) AS producing
    FROM project_plan_milestone m
    JOIN project p USING (project_code)
    LEFT JOIN project_milestone_reached r
           ON r.project_code = m.project_code AND r.milestone = m.milestone
          AND r.valid_to IS NULL
    WHERE m.valid_to IS NULL AND m.year = :year
      AND m.milestone IN ('construction_start', 'production_start')
    GROUP BY p.park
)
SELECT park.code AS park,
       park.name_zh AS name,
       coalesce(plan.target_wan, 0) AS investment_target_wan,
       coalesce(done.completed_wan, 0) AS investment_completed_wan,
       coalesce(milestones.to_start, 0) AS projects_to_start,
       coalesce(milestones.started, 0) AS projects_started,
       coalesce(milestones.to_produce, 0) AS projects_to_produce,
       coalesce(milestones.producing, 0) AS projects_producing
FROM park
LEFT JOIN plan ON plan.park = park.code
LEFT JOIN done ON done.park = park.code
LEFT JOIN milestones ON milestones.park = park.code
ORDER BY park.code

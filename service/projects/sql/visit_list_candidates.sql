-- The weekly visit list's (周观摩) figures of every key project, judged as of :judged_on
-- (the day before the week starts):
--   planned_wan / completed_wan: investment planned and completed in months
--     1..:through_month of :year (the last month complete by :judged_on), 万元;
--   overdue_problems: problems raised by :judged_on, unsolved by it and due before it;
--   overdue_milestones: milestones planned before :judged_on and not reached by it, each
--     from the latest plan (of a year up to :judged_on's) that sets a day for it, in the
--     order a project reaches them;
--   last_visit_on: the day of the last visit (any kind) on or before :judged_on.
WITH plan AS (
    SELECT project_code, sum(planned_wan) AS planned_wan
    FROM project_plan_investment
    WHERE valid_to IS NULL AND year = :year AND month <= :through_month
    GROUP BY project_code
), done AS (
    SELECT project_code, sum(investment_wan) AS completed_wan
    FROM project_report
    WHERE valid_to IS NULL AND year = :year AND month <= :through_month
    GROUP BY project_code
), problems AS (
    SELECT project_code, count(*) AS overdue
    FROM project_problem
    WHERE valid_to IS NULL AND raised_on <= :judged_on AND due_on < :judged_on
      AND (solved_on IS NULL OR solved_on > :judged_on)
    GROUP BY project_code
), planned AS (
    SELECT DISTINCT ON (project_code, milestone) project_code, milestone, planned_on
    FROM project_plan_milestone
    WHERE valid_to IS NULL AND year <= extract(year FROM CAST(:judged_on AS date))
    ORDER BY project_code, milestone, year DESC
), milestones AS (
    SELECT m.project_code,
           array_agg(m.milestone ORDER BY array_position(CAST(:milestone_order AS text[]),
                                                         m.milestone)) AS overdue
    FROM planned m
    LEFT JOIN project_milestone_reached r
           ON r.project_code = m.project_code AND r.milestone = m.milestone
          AND r.valid_to IS NULL AND r.reached_on <= :judged_on
    WHERE m.planned_on < :judged_on AND r.project_code IS NULL
    GROUP BY m.project_code
), visits AS (
    SELECT project_code, max(visited_on) AS last_visit_on
    FROM project_visit
    WHERE valid_to IS NULL AND visited_on <= :judged_on
    GROUP BY project_code
)
SELECT p.project_code,
       p.name,
       p.park,
       p.status,
       coalesce(plan.planned_wan, 0) AS planned_wan,
       coalesce(done.completed_wan, 0) AS completed_wan,
       coalesce(problems.overdue, 0) AS overdue_problems,
       coalesce(milestones.overdue, CAST(ARRAY[] AS text[])) AS overdue_milestones,
       visits.last_visit_on
FROM project p
LEFT JOIN plan USING (project_code)
LEFT JOIN done USING (project_code)
LEFT JOIN problems USING (project_code)
LEFT JOIN milestones USING (project_code)
LEFT JOIN visits USING (project_code)
ORDER BY p.project_code

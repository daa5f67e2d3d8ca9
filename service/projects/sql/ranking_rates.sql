-- The quarterly ranking's (季评比) figures of every key project, in one pass over the
-- standing records (parks/projects/scoring.py turns them into rates and scores):
--   planned_wan / completed_wan: investment planned and completed in months 1..:through_month
--     of :year (year to date through the quarter's last month), 万元;
--   milestones_due / milestones_on_time: milestones of :year's plan planned in
--     [:first_day, :as_of], and those reached on or before their planned day (a day late is
--     late);
--   problems_due / problems_on_time: problems due in [:first_day, :as_of], and those solved
--     on or before their due day;
--   scored_visits / visit_score_sum: visits in [:first_day, :as_of] with a score, and the
--     sum of their scores (0..100 each).
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
), milestones AS (
    SELECT m.project_code,
           count(*) AS due,
           count(*) FILTER (WHERE r.reached_on <= m.planned_on) AS on_time
    FROM project_plan_milestone m
    LEFT JOIN project_milestone_reached r
           ON r.project_code = m.project_code AND r.milestone = m.milestone
          AND r.valid_to IS NULL
    WHERE m.valid_to IS NULL AND m.year = :year
      AND m.planned_on BETWEEN :first_day AND :as_of
    GROUP BY m.project_code
), problems AS (
    SELECT project_code,
           count(*) AS due,
           count(*) FILTER (WHERE solved_on <= due_on) AS on_time
    FROM project_problem
    WHERE valid_to IS NULL AND due_on BETWEEN :first_day AND :as_of
    GROUP BY project_code
), visits AS (
    SELECT project_code, count(*) AS scored, sum(score) AS score_sum
    FROM project_visit
    WHERE valid_to IS NULL AND score IS NOT NULL
      AND visited_on BETWEEN :first_day AND :as_of
    GROUP BY project_code
)
SELECT p.project_code,
       p.name,
       p.park,
       p.industry_chain,
       p.status,
       coalesce(plan.planned_wan, 0) AS planned_wan,
       coalesce(done.completed_wan, 0) AS completed_wan,
       coalesce(milestones.due, 0) AS milestones_due,
       coalesce(milestones.on_time, 0) AS milestones_on_time,
       coalesce(problems.due, 0) AS problems_due,
       coalesce(problems.on_time, 0) AS problems_on_time,
       coalesce(visits.scored, 0) AS scored_visits,
       coalesce(visits.score_sum, 0) AS visit_score_sum
FROM project p
LEFT JOIN plan USING (project_code)
LEFT JOIN done USING (project_code)
LEFT JOIN milestones USING (project_code)
LEFT JOIN problems USING (project_code)
LEFT JOIN visits USING (project_code)
ORDER BY p.project_code

-- A project's milestones for :year: each the standing plan of the year dates, with the
-- day it was reached (standing record; NULL when not reached), and every milestone reached
-- that the year's plan does not name (planned_on NULL). A reaching after :as_of is not
-- known on the judged day: its reached_on is NULL, and an unplanned one is left out.
SELECT coalesce(pl.milestone, r.milestone) AS milestone,
       pl.planned_on,
       CASE WHEN r.reached_on <= :as_of THEN r.reached_on END AS reached_on
  FROM (SELECT milestone, planned_on FROM project_plan_milestone
         WHERE project_code = :project_code AND year = :year AND valid_to IS NULL) pl
  FULL JOIN (SELECT milestone, reached_on FROM project_milestone_reached
              WHERE project_code = :project_code AND valid_to IS NULL) r
    ON r.milestone = pl.milestone
 WHERE pl.milestone IS NOT NULL OR r.reached_on <= :as_of;

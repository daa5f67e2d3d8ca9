-- The planned milestones the monthly dispatch report (月调度) lists, for the projects of
-- the city (or of :park), judged as of :as_of the way parks.projects.rules.judge_milestone
-- judges one:
--   kind 'due'      planned in the month (:first_day .. :last_day) — whatever their state;
--   kind 'overdue'  planned earlier in :year and still not reached as of :as_of.
-- Only the standing planned milestones of :year count (project_plan_milestone.year). A
-- milestone reached after :as_of is not known yet: its reached_on is null here.
-- state: on_time (reached on or before planned_on), late (reached after it), overdue (not
-- reached, planned_on passed), pending (not reached, planned_on not passed); delay_days:
-- days after planned_on it was reached (late) or of :as_of (overdue), else 0.
SELECT m.project_code,
       m.milestone,
       m.planned_on,
       r.reached_on,
       CASE WHEN m.planned_on >= CAST(:first_day AS date) THEN 'due' ELSE 'overdue' END AS kind,
       CASE WHEN r.reached_on IS NOT NULL AND r.reached_on <= m.planned_on THEN 'on_time'
            WHEN r.reached_on IS NOT NULL THEN 'late'
            WHEN CAST(:as_of AS date) > m.planned_on THEN 'overdue'
            ELSE 'pending' END AS state,
       CASE WHEN r.reached_on IS NOT NULL THEN greatest(r.reached_on - m.planned_on, 0)
            ELSE greatest(CAST(:as_of AS date) - m.planned_on, 0) END AS delay_days
FROM project_plan_milestone m
JOIN project p ON p.project_code = m.project_code
LEFT JOIN project_milestone_reached r
       ON r.project_code = m.project_code
      AND r.milestone = m.milestone
      AND r.valid_to IS NULL
      AND r.reached_on <= CAST(:as_of AS date)
WHERE m.valid_to IS NULL
  AND m.year = CAST(:year AS integer)
  AND (CAST(:park AS text) IS NULL OR p.park = CAST(:park AS text))
  AND m.planned_on <= CAST(:last_day AS date)
  AND (m.planned_on >= CAST(:first_day AS date) OR r.reached_on IS NULL)
ORDER BY m.project_code, m.planned_on,
         array_position(ARRAY['signing', 'land_supply', 'construction_start',
                              'structure_complete', 'equipment_installed', 'production_start',
                              'full_production'], m.milestone)

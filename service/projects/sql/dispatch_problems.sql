-- The problems (问题清单) the monthly dispatch report (月调度) lists, for the projects of
-- the city (or of :park), as they stand now and judged as of :as_of:
--   is_new      raised in the month (:first_day .. :as_of);
--   is_overdue  parks.projects.rules.problem_is_overdue: not solved as of :as_of (never, or
--               solved after it) and its due date passed; days_overdue is then
--               problem_overdue_days (:as_of − due_on), else 0.
-- A problem solved after its due date but on or before :as_of is not overdue: its clock
-- stopped the day it was solved. The owner is the standing official of official_code.
SELECT q.problem_no,
       q.project_code,
       q.description,
       q.category,
       q.raised_on,
       q.department,
       q.official_code,
       o.name AS official,
       q.due_on,
       q.status,
       q.solved_on,
       q.raised_on BETWEEN CAST(:first_day AS date) AND CAST(:as_of AS date) AS is_new,
       judged.is_overdue,
       CASE WHEN judged.is_overdue THEN CAST(:as_of AS date) - q.due_on ELSE 0 END AS days_overdue
FROM project_problem q
JOIN project p ON p.project_code = q.project_code
LEFT JOIN project_official o ON o.official_code = q.official_code AND o.valid_to IS NULL
CROSS JOIN LATERAL (
    SELECT (q.solved_on IS NULL OR q.solved_on > CAST(:as_of AS date))
           AND CAST(:as_of AS date) > q.due_on AS is_overdue
) judged
WHERE q.valid_to IS NULL
  AND (CAST(:park AS text) IS NULL OR p.park = CAST(:park AS text))
  AND (q.raised_on BETWEEN CAST(:first_day AS date) AND CAST(:as_of AS date) OR judged.is_overdue)
ORDER BY q.project_code, q.raised_on, q.problem_no

-- A project's problems (问题清单) raised on or before :as_of, standing versions, each with
-- the name of the 包抓 official who owns it (standing version; NULL when none). Which are
-- open, overdue and for how long is judged in Python by parks.projects.rules.
SELECT q.problem_no, q.description, q.category, q.raised_on, q.department, q.official_code,
       o.name AS official_name, q.due_on, q.status, q.resolution, q.solved_on
  FROM project_problem q
  LEFT JOIN project_official o ON o.official_code = q.official_code AND o.valid_to IS NULL
 WHERE q.project_code = :project_code AND q.valid_to IS NULL AND q.raised_on <= :as_of
 ORDER BY q.problem_no;

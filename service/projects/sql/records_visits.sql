-- A project's standing site visits, newest first.
SELECT visited_on, kind, visitors, findings, score, change_set_id
  FROM project_visit
 WHERE project_code = :project_code AND valid_to IS NULL
 ORDER BY visited_on DESC;

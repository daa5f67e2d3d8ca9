-- Every version of one problem, oldest first, with who made it and why.
SELECT v.problem_no, v.project_code, v.description, v.category, v.raised_on, v.department,
       v.official_code, v.due_on, v.status, v.resolution, v.solved_on, v.valid_from,
       v.valid_to, v.change_set_id, v.ended_by_change_set_id, c.actor, c.reason
  FROM project_problem v
  JOIN change_set c ON c.id = v.change_set_id
 WHERE v.problem_no = :problem_no AND v.project_code = :project_code
 ORDER BY v.valid_from, v.version_id;

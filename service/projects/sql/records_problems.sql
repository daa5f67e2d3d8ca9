-- A project's standing problems (or one of them, by number), with the name of the official
-- who owns each; in the order they were raised.
SELECT p.problem_no, p.project_code, p.description, p.category, p.raised_on, p.department,
       p.official_code, o.name AS official_name, p.due_on, p.status, p.resolution,
       p.solved_on, p.change_set_id
  FROM project_problem p
  LEFT JOIN project_official o ON o.official_code = p.official_code AND o.valid_to IS NULL
 WHERE p.project_code = :project_code AND p.valid_to IS NULL
   AND (CAST(:problem_no AS text) IS NULL OR p.problem_no = :problem_no)
 ORDER BY p.raised_on, p.problem_no;

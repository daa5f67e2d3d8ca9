-- Every problem number ever given that starts with a project's prefix (ended problems'
-- too: a number is never given twice).
SELECT DISTINCT problem_no
  FROM project_problem
 WHERE project_code = :project_code OR starts_with(problem_no, :prefix);

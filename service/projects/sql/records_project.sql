-- A key project by its code: its name and park (the park limits who may write its records).
SELECT project_code, name, park
  FROM project
 WHERE project_code = :project_code;

-- The standing assignment of one official to one project, with the official's name.
SELECT a.project_code, a.official_code, o.name, a.role, a.assigned_on, a.change_set_id
  FROM project_assignment a
  LEFT JOIN project_official o ON o.official_code = a.official_code AND o.valid_to IS NULL
 WHERE a.project_code = :project_code AND a.official_code = :official_code
   AND a.valid_to IS NULL;

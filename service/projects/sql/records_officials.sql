-- The standing officials (or one, by code) with the projects they are standing assigned
-- to, leads first.
SELECT o.official_code, o.name, o.title, o.unit,
       coalesce((SELECT json_agg(json_build_object('project_code', a.project_code,
                                                   'name', p.name, 'role', a.role,
                                                   'assigned_on', a.assigned_on)
                                 ORDER BY a.role <> 'lead', a.project_code)
                   FROM project_assignment a
                   JOIN project p ON p.project_code = a.project_code
                  WHERE a.official_code = o.official_code AND a.valid_to IS NULL),
                '[]'::json) AS projects
  FROM project_official o
 WHERE o.valid_to IS NULL
   AND (CAST(:official_code AS text) IS NULL OR o.official_code = :official_code)
 ORDER BY o.official_code;

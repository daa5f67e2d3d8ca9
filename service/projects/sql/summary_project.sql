-- One key project with its park's name and its officials (包抓领导): the standing
-- assignments, lead first, each with the standing version of the official. No row for an
-- unknown project.
SELECT p.project_code, p.name, p.park, pk.name_zh AS park_name, p.investor, p.industry_chain,
       p.investment_yi, p.status, p.milestones,
       coalesce((
           SELECT json_agg(json_build_object(
                      'official_code', a.official_code, 'name', o.name, 'title', o.title,
                      'unit', o.unit, 'role', a.role, 'assigned_on', a.assigned_on)
                  ORDER BY a.role <> 'lead', a.official_code)
             FROM project_assignment a
             LEFT JOIN project_official o
               ON o.official_code = a.official_code AND o.valid_to IS NULL
            WHERE a.project_code = p.project_code AND a.valid_to IS NULL
       ), '[]'::json) AS officials
  FROM project p
  JOIN park pk ON pk.code = p.park
 WHERE p.project_code = :project_code;

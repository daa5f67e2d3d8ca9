-- A project's site visits (观摩) of :year up to :as_of, standing versions, newest first.
SELECT visited_on, kind, visitors, findings, score
  FROM project_visit
 WHERE project_code = :project_code AND valid_to IS NULL
   AND visited_on BETWEEN make_date(:year, 1, 1) AND :as_of
 ORDER BY visited_on DESC;

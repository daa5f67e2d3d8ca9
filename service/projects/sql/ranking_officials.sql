-- The officials of every key project (包抓领导): the standing assignments, the lead first,
-- with the official's standing name (the code when the official's record has ended).
SELECT a.project_code,
       a.official_code,
       coalesce(o.name, a.official_code) AS name,
       o.title,
       a.role
FROM project_assignment a
LEFT JOIN project_official o
       ON o.official_code = a.official_code AND o.valid_to IS NULL
WHERE a.valid_to IS NULL
ORDER BY a.project_code, (a.role <> 'lead'), a.official_code

-- The standing enterprises a figures file's rows may be: those whose code is one of
-- :codes, and those whose name is one of :names (exact). Two index lookups per value
-- at most (enterprise_standing, enterprise_standing_name), one statement for the file.
SELECT e.enterprise_code, e.name
  FROM enterprise e
  JOIN unnest(CAST(:codes AS text[])) AS c(code) ON e.enterprise_code = c.code
 WHERE e.valid_to IS NULL
UNION
SELECT e.enterprise_code, e.name
  FROM enterprise e
  JOIN unnest(CAST(:names AS text[])) AS n(name) ON e.name = n.name
 WHERE e.valid_to IS NULL

-- The standing enterprise whose code is :key, or those whose exact name is :key (the code
-- first; more than one row by name: the name is ambiguous).
SELECT enterprise_code, name, industry, enterprise_code = :key AS by_code
  FROM enterprise
 WHERE valid_to IS NULL AND (enterprise_code = :key OR name = :key)
 ORDER BY (enterprise_code = :key) DESC, enterprise_code
 LIMIT 10

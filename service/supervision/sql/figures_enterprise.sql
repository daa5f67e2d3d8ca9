-- The standing enterprises :code or :name (exact) names: a code is one, a name may be
-- several enterprises'.
SELECT enterprise_code
  FROM enterprise
 WHERE valid_to IS NULL
   AND (enterprise_code = :code OR name = :name)
 ORDER BY enterprise_code

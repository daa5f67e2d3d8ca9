-- The land-use classes a compensation candidate may have (service/changes/dry_run.py):
-- not manufacturing, and no parent of a manufacturing class (the availability search takes
-- a parent class to include its children).
SELECT c.code
  FROM land_use_class c
 WHERE NOT c.is_manufacturing
   AND NOT EXISTS (SELECT 1 FROM land_use_class m
                    WHERE m.parent_code = c.code AND m.is_manufacturing)
 ORDER BY c.code;

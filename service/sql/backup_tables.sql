-- The tables whose rows a backup counts and a restore compares (service/operations/facts.py):
-- every ordinary or partitioned table outside the system schemas (partitions are counted
-- in their parent), extensions' included (PostGIS's spatial_ref_sys: the target's
-- extension brings its rows), with whether an extension owns it.
SELECT n.nspname AS schema_name, c.relname AS table_name,
       EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e') AS of_extension
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
 ORDER BY 1, 2;

-- The extensions a backup's schema needs (the restore's target must have them: only a
-- superuser can create PostGIS), with the versions the backup was taken with.
SELECT extname AS name, extversion AS version
  FROM pg_extension
 WHERE extname <> 'plpgsql'
 ORDER BY 1;

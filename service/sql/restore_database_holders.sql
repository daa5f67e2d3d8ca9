-- Who holds any privilege on the database :database (PUBLIC by name), its owner included:
-- those a restore takes them away from before granting the backup's (restore.py).
SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
  FROM pg_database d,
       aclexplode(coalesce(d.datacl, acldefault('d'::"char", d.datdba))) a
 WHERE d.datname = :database;

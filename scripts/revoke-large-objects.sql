-- The large-object functions of pg_catalog (lo_create, lo_creat, lo_from_bytea, lo_put,
-- lo_open, lowrite, loread, lo_unlink, lo_truncate, ...) taken from PUBLIC in the current
-- database: run by scripts/ensure-db.sh as the superuser (only a superuser may). Nothing
-- in the product stores large objects; the server-side lo_import/lo_export are already a
-- superuser's only.
DO $revoke$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_proc p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname LIKE 'lo\_%' OR p.proname IN ('loread', 'lowrite'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$revoke$;

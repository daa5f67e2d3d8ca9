-- What the role parks_reader may do in this database: read the views of the schema gis,
-- and nothing else — no base table, no view or sequence of public, no writes.
--
-- The role is cluster-wide and made by `make db` (scripts/ensure-db.sh); this file only
-- grants. It is run by migration 0010, by `make db` when the database already has the
-- schema gis, and by hand after the role was made later
-- (`psql -d parks -f service/db/sql/gis_reader_grants.sql` as the schema's owner or a
-- superuser). It can be run any number of times: each run first takes away, then grants
-- exactly what is listed here. Without the role (or the schema) it does nothing but say so.
--
-- Left as PostgreSQL has them for PUBLIC (every role): CONNECT and TEMP on the database,
-- USAGE on the schema public, EXECUTE on functions, and SELECT on PostGIS's own
-- spatial_ref_sys, geometry_columns and geography_columns (QGIS reads them; geometry_columns
-- lists only what the reader may select). Functions run with the caller's rights, so one
-- that writes fails for the reader. PostgreSQL 15 gives PUBLIC no CREATE on schema public.
DO $grants$
DECLARE
    reader CONSTANT text := 'parks_reader';
    gis_owner regrole;
    rel record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
        RAISE NOTICE 'role % does not exist: no grants made (make db creates it)', reader;
        RETURN;
    END IF;
    SELECT nspowner::regrole INTO gis_owner FROM pg_namespace WHERE nspname = 'gis';
    IF gis_owner IS NULL THEN
        RAISE NOTICE 'schema gis does not exist: no grants made for %', reader;
        RETURN;
    END IF;

    -- Nothing of public: every table, view, materialized view and sequence this role may
    -- grant on (owned by it or a role it is a member of; PostGIS's own are left alone).
    FOR rel IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND pg_has_role(current_user, c.relowner, 'USAGE')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %I',
                       CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                       rel.name, reader);
    END LOOP;
    -- ... nor of what the schema's owner makes there later.
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE ALL ON TABLES FROM %I',
                   gis_owner, reader);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE ALL ON SEQUENCES FROM %I',
                   gis_owner, reader);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public '
                   'REVOKE ALL ON TABLES FROM %I', gis_owner, reader);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA public '
                   'REVOKE ALL ON SEQUENCES FROM %I', gis_owner, reader);

    -- The views of gis, to read; no default privileges there, so a view added later is
    -- closed until a run of this file opens it (and a base table put in gis stays closed).
    EXECUTE format('REVOKE ALL ON SCHEMA gis FROM %I', reader);
    EXECUTE format('GRANT USAGE ON SCHEMA gis TO %I', reader);
    FOR rel IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'gis' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM %I',
                       CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                       rel.name, reader);
        IF rel.relkind IN ('v', 'm') THEN
            EXECUTE format('GRANT SELECT ON TABLE %s TO %I', rel.name, reader);
        END IF;
    END LOOP;

    -- What the views call runs with the caller's rights: the reader keeps these even if
    -- PUBLIC's EXECUTE is taken away one day. The database: to connect at all.
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.m2_to_mu(double precision) TO %I', reader);
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.lease_in_force_on(date, date, date) TO %I',
                   reader);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), reader);
END
$grants$;

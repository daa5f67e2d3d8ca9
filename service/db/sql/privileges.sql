-- Least privilege: who may do what in this database (run by migration 0012 and re-runnable:
-- each run takes away, then grants exactly what is listed here).
--
-- The roles are cluster-wide and made by `make db` (scripts/ensure-db.sh):
--   the owner (whoever runs this: parks_owner) owns the schema, every table and function;
--   parks_app      the service and the CLI's writes: the DML each table needs, nothing on
--                  the rule's working tables, the ledger or the derived stores but through
--                  the rule's own functions; no DDL, no TRUNCATE, owns nothing;
--   parks_reader   the views of schema gis only (service/db/sql/gis_reader_grants.sql);
--   parks_auditor  reads every table and view, writes nothing.
-- A role that does not exist is skipped with a notice (make db, then run this again).
--
-- The rule cannot be switched off by the service's role: disabling a trigger, replacing a
-- function or truncating a table needs ownership; the rule's working tables (rule_pending,
-- rule_txn), the ledger and its head, the totals' effects and the stored features are
-- written only by trigger and rule functions that run as their owner (SECURITY DEFINER,
-- with a fixed search_path so that nothing the caller sets - a search_path, a temporary
-- table - can change what they touch); the application takes the ledger lock through
-- rule_take_ledger_lock(). Nothing a session can set (a GUC such as
-- parks.rule_committing) opens a table its role has no privilege on.
DO $privileges$
DECLARE
    app     CONSTANT text := 'parks_app';
    auditor CONSTANT text := 'parks_auditor';
    reader  CONSTANT text := 'parks_reader';
    fn      record;
    rel     record;
    grantee text;
    -- What the application writes directly, table by table (everything else: read only).
    app_writes CONSTANT text[][] := ARRAY[
        ['api_token',        'INSERT, UPDATE'],
        ['change_set',       'INSERT'],
        ['parcel_version',   'INSERT, UPDATE, DELETE'],
        ['parcel_lineage',   'INSERT'],
        ['project_parcel',   'INSERT'],
        ['park',             'INSERT'],
        ['context_layer',    'INSERT'],
        ['context_feature',  'INSERT'],
        ['factory_building', 'INSERT'],
        ['lease',            'INSERT'],
        ['project',          'INSERT'],
        ['refusal',          'INSERT'],
        ['import_run',       'INSERT, UPDATE, DELETE'],
        ['import_feature',   'INSERT, DELETE'],
        ['tile_cache',       'INSERT, DELETE'],
        -- the record of a signed digest taken (its rows are a listing; the signature,
        -- checked with the auditor's public key, is what is trusted)
        ['ledger_digest',    'INSERT'],
        -- land supervision's records: new versions, and the ending of a standing one
        -- (supervision_history_guard refuses any other change)
        ['enterprise',            'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['supply_contract',       'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['site_progress',         'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['idle_delay',            'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['approval_batch',        'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['approval_batch_parcel', 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['enterprise_figures',    'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['supervision_setting',   'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        -- key projects' records (plans, reports, visits, problems, officials, settings): the
        -- same, under the same guard (project_rhythm.sql)
        ['project_official'           , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_assignment'         , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_plan_investment'    , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_plan_milestone'     , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_plan_progress'      , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_report'             , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_milestone_reached'  , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_visit'              , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_problem'            , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)'],
        ['project_setting'            , 'INSERT, UPDATE (valid_to, ended_by_change_set_id)']
    ];
    i int;
BEGIN
    -- 1. The database: connect and (for the app's staging tables) make temporary tables.
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    FOREACH grantee IN ARRAY ARRAY[app, auditor, reader] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee) THEN
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), grantee);
            EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', grantee);
        ELSE
            RAISE NOTICE 'role % does not exist: no grants made (make db creates it)', grantee;
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), app);
    END IF;

    -- 2. Our functions: none is anyone's by default. Those that write (volatile: the
    --    triggers, the rule's and the totals' functions) run as their owner with a fixed
    --    search_path; the pure and reading ones run as the caller.
    -- (Schema-level default privileges can only add: the global default is taken away.)
    EXECUTE 'ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC';
    FOR fn IN
        SELECT p.oid::regprocedure AS sig, p.provolatile, p.prorettype = 'trigger'::regtype AS trig
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'public'
           AND pg_has_role(current_user, p.proowner, 'USAGE')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
           -- the admin functions' grants are admin.sql's (its helpers are nobody's)
           AND p.proname NOT LIKE 'admin\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn.sig);
        IF fn.provolatile = 'v' THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = public, pg_temp',
                           fn.sig);
        END IF;
        FOREACH grantee IN ARRAY ARRAY[app, auditor] LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee);
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', fn.sig, grantee);
            -- Reading helpers (m2_to_mu, fingerprints, ...) for both; of the writers the
            -- application calls only the ones granted below.
            IF fn.provolatile <> 'v' AND NOT fn.trig THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn.sig, grantee);
            END IF;
        END LOOP;
    END LOOP;
    -- The writers the application calls itself: the ledger lock and fresh statistics
    -- after a bulk write. (The audited admin functions — the rule's policy, a class's
    -- flag, a park's targets — are granted by admin.sql, their helpers to nobody.)
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        FOR fn IN
            SELECT p.oid::regprocedure AS sig
              FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND p.proname IN ('rule_take_ledger_lock', 'refresh_planner_statistics')
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', fn.sig, app);
        END LOOP;
    END IF;

    -- 3. Tables, views and sequences of public: nothing for PUBLIC; the auditor reads all;
    --    the application reads all and writes what app_writes lists. The officials' tables
    --    are people.sql's to grant (password hashes and session ids are the service's
    --    alone): left as it made them.
    FOR rel IN
        SELECT c.oid::regclass AS name, c.relname, c.relkind
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND c.relname <> ALL (ARRAY['app_user', 'user_session', 'sign_in_attempt',
                                       'proposal', 'sign_in_attempt_id_seq',
                                       'proposal_id_seq'])
           AND pg_has_role(current_user, c.relowner, 'USAGE')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('REVOKE ALL ON %s %s FROM PUBLIC',
                       CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, rel.name);
        FOREACH grantee IN ARRAY ARRAY[app, auditor] LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee);
            EXECUTE format('REVOKE ALL ON %s %s FROM %I',
                           CASE rel.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                           rel.name, grantee);
            IF rel.relkind <> 'S' THEN
                EXECUTE format('GRANT SELECT ON TABLE %s TO %I', rel.name, grantee);
            END IF;
        END LOOP;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        FOR i IN 1 .. array_length(app_writes, 1) LOOP
            IF to_regclass(app_writes[i][1]) IS NOT NULL THEN
                EXECUTE format('GRANT %s ON TABLE %I TO %I', app_writes[i][2], app_writes[i][1], app);
            END IF;
        END LOOP;
        -- A change set's effects are written by the transaction that made it, before its
        -- commit (change_set_guard refuses any other).
        EXECUTE format('GRANT UPDATE (effects) ON TABLE change_set TO %I', app);
        -- The identities of the rows the application inserts.
        FOR rel IN
            SELECT s.oid::regclass AS name
              FROM pg_class s
              JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
              JOIN pg_class t ON t.oid = d.refobjid
             WHERE s.relkind = 'S'
               AND t.relname = ANY (SELECT app_writes[j][1]
                                      FROM generate_subscripts(app_writes, 1) j
                                     WHERE app_writes[j][2] LIKE '%INSERT%')
        LOOP
            EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', rel.name, app);
        END LOOP;
    END IF;

    -- 4. The views of gis: the application's OGC sources and the auditor read them
    --    (the reader's own grants are gis_reader_grants.sql's). Nobody writes through them.
    IF to_regnamespace('gis') IS NOT NULL THEN
        EXECUTE 'REVOKE ALL ON SCHEMA gis FROM PUBLIC';
        FOREACH grantee IN ARRAY ARRAY[app, auditor] LOOP
            CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = grantee);
            EXECUTE format('GRANT USAGE ON SCHEMA gis TO %I', grantee);
            FOR rel IN
                SELECT c.oid::regclass AS name
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'gis' AND c.relkind IN ('v', 'm')
            LOOP
                EXECUTE format('REVOKE ALL ON TABLE %s FROM %I', rel.name, grantee);
                EXECUTE format('GRANT SELECT ON TABLE %s TO %I', rel.name, grantee);
            END LOOP;
        END LOOP;
    END IF;
END
$privileges$;

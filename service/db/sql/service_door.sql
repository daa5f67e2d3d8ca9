-- The few doors the service's role (parks_app) has into what it may not touch directly
-- (run by migration 0012; every statement re-runnable). See privileges.sql for who may
-- do what.

-- The city's ledger lock, taken by the application before it reads the clock for a new
-- change set (service/changes/session.py), so that change sets are timed in the order
-- the ledger will list them. SELECT ... FOR UPDATE needs UPDATE on the head row, which
-- the application must not have: the lock is taken here, as the owner, and held by the
-- caller's transaction until it ends. Returns the last ledger sequence number.
CREATE OR REPLACE FUNCTION rule_take_ledger_lock() RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT last_seq FROM ledger_head WHERE id FOR UPDATE
$$;

-- Fresh planner statistics after a bulk write (ANALYZE needs ownership): for the tables
-- bulk loads and imports fill, and the rule's record they append to (change_set, ledger,
-- totals_effect: until autovacuum first gets to them, a table never analyzed is planned
-- from a guess, and every commit's lookups in them scan them whole), and no other.
CREATE OR REPLACE FUNCTION refresh_planner_statistics(p_table text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_table NOT IN ('parcel_version', 'import_feature', 'import_run', 'factory_building',
                       'lease', 'project', 'project_parcel', 'context_feature', 'park',
                       'parcel_lineage', 'change_set', 'ledger', 'totals_effect',
                       'enterprise', 'supply_contract', 'site_progress', 'idle_delay',
                       'approval_batch', 'approval_batch_parcel', 'enterprise_figures',
                       'idle_clock_basis', 'project_official', 'project_assignment',
                       'project_plan_investment', 'project_plan_milestone',
                       'project_plan_progress', 'project_report', 'project_milestone_reached',
                       'project_visit', 'project_problem') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('refresh_planner_statistics: %s is not a table bulk writes fill',
                             p_table);
    END IF;
    EXECUTE format('ANALYZE %I', p_table);
END $$;

-- A change set is the record of a change: once made, only the transaction that made it
-- may write to it (its effects, before it commits), and nobody may delete it.
CREATE OR REPLACE FUNCTION change_set_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.txid IS DISTINCT FROM txid_current() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s of change set %s is refused: a committed change set is the '
                             'record of a change and is kept as it was', TG_OP, OLD.id);
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS change_set_guard ON change_set;
CREATE TRIGGER change_set_guard BEFORE UPDATE OR DELETE ON change_set
    FOR EACH ROW EXECUTE FUNCTION change_set_guard();

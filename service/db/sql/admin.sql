-- The land-use classes' manufacturing flags with their history, and the audited admin
-- functions that change the rule's settings (run by migration 0015; re-runnable).
--
-- 1. land_use_class_flag keeps every flag a class has had, each in force from valid_from
--    until valid_to (NULL: now) and set by the change set change_set_id (NULL: the flag
--    the class had when the history began, in force since '-infinity'). Whatever changes
--    land_use_class.is_manufacturing (an admin function below, the owner's SQL), a trigger
--    here closes the class's flag row at the time of this transaction's change set and
--    opens the new one (a change of the flag without a change set gets one of kind
--    'direct_sql', as parcels do). A new class's flag is in force since '-infinity': no
--    parcel could be of a class that did not exist. The rows are append-only: the one
--    write that passes is closing the standing row (and amending a row this same
--    transaction wrote, for a class flipped twice in one transaction). "As of" totals and
--    `parks audit verify` judge each moment by the flag in force then.
--
-- 2. The admin functions are the application's only way to change a class's flag, the
--    rule's policy (rule_policy) and a park's targets (target): its role may not write
--    those tables. Each one
--      * is a no-op returning NULL when nothing would change;
--      * otherwise takes the city's ledger lock (before reading the clock, like
--        service/changes/session.py), opens a change set of its kind ('class_flag',
--        'rule_policy', 'target') — or, when this transaction has recorded a change set
--        already (a load's), adds itself to it — records the request in the change set's
--        operations and the old and new values in its effects (the before/after that
--        GET /api/change-sets/{id} shows), applies the change and returns the change set's
--        id. The change set gets its ledger row at COMMIT like any other (its id and kind
--        are in the row's hash); a flag flip's row carries the flip's delta (the rule's
--        collector on land_use_class) and the rule judges it: a flip out of manufacturing
--        that shrinks the city is refused at COMMIT (MF001) and leaves nothing.
--    Bad arguments raise SQLSTATE 22023 (invalid_parameter_value) naming the argument.

-- 1. The flag history ---------------------------------------------------------------------

-- A change of a class's flag (or a new class): its flag row.
CREATE OR REPLACE FUNCTION class_flag_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_cs   change_set%ROWTYPE;
    v_open land_use_class_flag%ROWTYPE;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO land_use_class_flag (code, is_manufacturing, valid_from)
        VALUES (NEW.code, NEW.is_manufacturing, '-infinity');
        RETURN NULL;
    END IF;
    v_cs := change_set_of_this_transaction();
    SELECT * INTO v_open FROM land_use_class_flag
     WHERE code = NEW.code AND valid_to IS NULL FOR UPDATE;
    IF FOUND AND v_open.change_set_id = v_cs.id THEN
        -- flipped again in the change set that set it: one flag row per change set
        UPDATE land_use_class_flag SET is_manufacturing = NEW.is_manufacturing
         WHERE code = v_open.code AND valid_from = v_open.valid_from;
        RETURN NULL;
    END IF;
    IF FOUND THEN
        UPDATE land_use_class_flag SET valid_to = v_cs.committed_at
         WHERE code = v_open.code AND valid_from = v_open.valid_from;
    END IF;
    INSERT INTO land_use_class_flag (code, is_manufacturing, valid_from, change_set_id)
    VALUES (NEW.code, NEW.is_manufacturing, v_cs.committed_at, v_cs.id);
    RETURN NULL;
END $$;

-- Append-only but for closing the standing row, and for rows this transaction wrote.
CREATE OR REPLACE FUNCTION class_flag_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_own boolean;
BEGIN
    SELECT c.txid = txid_current() INTO v_own FROM change_set c WHERE c.id = OLD.change_set_id;
    IF v_own THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
       AND (NEW.code, NEW.is_manufacturing, NEW.valid_from, NEW.change_set_id)
           IS NOT DISTINCT FROM
           (OLD.code, OLD.is_manufacturing, OLD.valid_from, OLD.change_set_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'MF002',
        MESSAGE = format('%s of land-use class %s''s flag in force from %s is refused: the '
                         'flags'' history is kept forever (only the standing flag may be '
                         'closed)', TG_OP, OLD.code, OLD.valid_from);
END $$;

DROP TRIGGER IF EXISTS land_use_class_flag_history ON land_use_class;
CREATE TRIGGER land_use_class_flag_history AFTER UPDATE OF is_manufacturing ON land_use_class
    FOR EACH ROW WHEN (OLD.is_manufacturing IS DISTINCT FROM NEW.is_manufacturing)
    EXECUTE FUNCTION class_flag_record();
DROP TRIGGER IF EXISTS land_use_class_flag_new ON land_use_class;
CREATE TRIGGER land_use_class_flag_new AFTER INSERT ON land_use_class
    FOR EACH ROW EXECUTE FUNCTION class_flag_record();
DROP TRIGGER IF EXISTS land_use_class_flag_guard ON land_use_class_flag;
CREATE TRIGGER land_use_class_flag_guard BEFORE UPDATE OR DELETE ON land_use_class_flag
    FOR EACH ROW EXECUTE FUNCTION class_flag_guard();
DROP TRIGGER IF EXISTS land_use_class_flag_no_truncate ON land_use_class_flag;
CREATE TRIGGER land_use_class_flag_no_truncate BEFORE TRUNCATE ON land_use_class_flag
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the flags'' history is kept forever');

-- 2. The admin functions ------------------------------------------------------------------

-- Who and why, required of every admin change.
CREATE OR REPLACE FUNCTION admin_require_who(p_actor text, p_reason text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF coalesce(btrim(p_actor), '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'p_actor: say who makes the change';
    END IF;
    IF coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'p_reason: say why the change is made';
    END IF;
END $$;

-- A setting's value: NULL (keep) or a finite number >= 0.
CREATE OR REPLACE FUNCTION admin_require_amount(p_name text, p_value double precision)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- (NaN sorts above every number in PostgreSQL, Infinity included)
    IF p_value IS NOT NULL AND NOT (p_value >= 0 AND p_value < 'Infinity'::double precision) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('%s: must be a finite number >= 0, not %s', p_name, p_value);
    END IF;
END $$;

-- The change set an admin change is recorded in: this transaction's, or a new one of
-- p_kind opened under the city's ledger lock. The request goes into its operations, the
-- old and new values into its effects (as the n-th operation). Returns its id.
CREATE OR REPLACE FUNCTION admin_change_set(
    p_kind text, p_actor text, p_reason text, p_operation jsonb, p_before jsonb, p_after jsonb
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint;
    v_operation jsonb := p_operation || jsonb_build_object(
        'actor', p_actor, 'reason', p_reason, 'database_role', session_user::text);
BEGIN
    PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
    SELECT id INTO v_id FROM change_set WHERE txid = txid_current();
    IF FOUND THEN
        UPDATE change_set
           SET operations = operations || jsonb_build_array(v_operation),
               effects = effects || jsonb_build_array(jsonb_build_object(
                   'operation', jsonb_array_length(operations), 'op', p_operation ->> 'op',
                   'before', p_before, 'after', p_after))
         WHERE id = v_id;
        RETURN v_id;
    END IF;
    -- committed_at defaults to clock_timestamp(): read now, under the lock
    INSERT INTO change_set (kind, reason, actor, operations, effects)
    VALUES (p_kind, p_reason, p_actor, jsonb_build_array(v_operation),
            jsonb_build_array(jsonb_build_object('operation', 0, 'op', p_operation ->> 'op',
                                                 'before', p_before, 'after', p_after)))
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

-- Count a land-use class as manufacturing land or not, from now on (kind 'class_flag').
-- Every current parcel of the class moves into or out of the manufacturing total: the
-- ledger row carries that delta and the rule judges it at COMMIT. The change set's id, or
-- NULL when the class already has that flag.
CREATE OR REPLACE FUNCTION admin_set_class_manufacturing(
    p_code text, p_is_manufacturing boolean, p_actor text, p_reason text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old boolean;
    v_id  bigint;
BEGIN
    PERFORM admin_require_who(p_actor, p_reason);
    IF p_is_manufacturing IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'p_is_manufacturing: true or false';
    END IF;
    SELECT is_manufacturing INTO v_old FROM land_use_class WHERE code = p_code;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('p_code: no land-use class %L', p_code);
    END IF;
    IF v_old = p_is_manufacturing THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
    SELECT is_manufacturing INTO v_old FROM land_use_class WHERE code = p_code FOR UPDATE;
    IF v_old = p_is_manufacturing THEN  -- set meanwhile by another
        RETURN NULL;
    END IF;
    v_id := admin_change_set(
        'class_flag', p_actor, p_reason,
        jsonb_build_object('op', 'set_class_manufacturing', 'code', p_code,
                           'is_manufacturing', p_is_manufacturing),
        jsonb_build_array(jsonb_build_object('code', p_code, 'is_manufacturing', v_old)),
        jsonb_build_array(jsonb_build_object('code', p_code,
                                             'is_manufacturing', p_is_manufacturing)));
    -- the rule's collector (rule.sql) and the flag history (above) see this update
    UPDATE land_use_class SET is_manufacturing = p_is_manufacturing WHERE code = p_code;
    RETURN v_id;
END $$;

-- The rule's policy the commit check judges by (kind 'rule_policy'): the per-park floor
-- and the tolerance in m²; NULL keeps a value. The change set's id, or NULL when the
-- policy already says so.
CREATE OR REPLACE FUNCTION admin_set_rule_policy(
    p_per_park_floor boolean, p_tolerance_m2 double precision, p_actor text, p_reason text
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old rule_policy%ROWTYPE;
    v_floor boolean;
    v_tolerance double precision;
    v_id  bigint;
BEGIN
    PERFORM admin_require_who(p_actor, p_reason);
    PERFORM admin_require_amount('p_tolerance_m2', p_tolerance_m2);
    SELECT * INTO v_old FROM rule_policy WHERE id;
    IF (v_old.per_park_floor, v_old.tolerance_m2) IS NOT DISTINCT FROM
       (coalesce(p_per_park_floor, v_old.per_park_floor),
        coalesce(p_tolerance_m2, v_old.tolerance_m2)) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
    SELECT * INTO v_old FROM rule_policy WHERE id FOR UPDATE;
    v_floor := coalesce(p_per_park_floor, v_old.per_park_floor);
    v_tolerance := coalesce(p_tolerance_m2, v_old.tolerance_m2);
    IF (v_old.per_park_floor, v_old.tolerance_m2) IS NOT DISTINCT FROM (v_floor, v_tolerance) THEN
        RETURN NULL;
    END IF;
    v_id := admin_change_set(
        'rule_policy', p_actor, p_reason,
        jsonb_build_object('op', 'set_rule_policy', 'per_park_floor', p_per_park_floor,
                           'tolerance_m2', p_tolerance_m2),
        jsonb_build_array(jsonb_build_object('per_park_floor', v_old.per_park_floor,
                                             'tolerance_m2', v_old.tolerance_m2)),
        jsonb_build_array(jsonb_build_object('per_park_floor', v_floor,
                                             'tolerance_m2', v_tolerance)));
    UPDATE rule_policy SET per_park_floor = v_floor, tolerance_m2 = v_tolerance WHERE id;
    RETURN v_id;
END $$;

-- A park's targets, written by the two functions below (p_only_new: only for a park that
-- has none). NULL keeps a value (0 for a park without targets).
CREATE OR REPLACE FUNCTION admin_write_target(
    p_park text, p_min_reserve_mu double precision, p_min_vacant_floor_m2 double precision,
    p_actor text, p_reason text, p_only_new boolean
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_old    target%ROWTYPE;
    v_found  boolean;
    v_before jsonb := '[]'::jsonb;
    v_id     bigint;
    v_at     timestamptz;
    v_new    target%ROWTYPE;
BEGIN
    PERFORM admin_require_who(p_actor, p_reason);
    PERFORM admin_require_amount('p_min_reserve_mu', p_min_reserve_mu);
    PERFORM admin_require_amount('p_min_vacant_floor_m2', p_min_vacant_floor_m2);
    IF NOT EXISTS (SELECT 1 FROM park WHERE code = p_park) THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('p_park: no park %L', p_park);
    END IF;
    FOR pass IN 1 .. 2 LOOP
        IF pass = 2 THEN  -- a change: decide again under the lock
            PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
            SELECT * INTO v_old FROM target WHERE park = p_park FOR UPDATE;
        ELSE
            SELECT * INTO v_old FROM target WHERE park = p_park;
        END IF;
        v_found := FOUND;
        IF v_found AND (p_only_new OR (v_old.min_reserve_mu, v_old.min_vacant_floor_m2)
                        IS NOT DISTINCT FROM
                        (coalesce(p_min_reserve_mu, v_old.min_reserve_mu),
                         coalesce(p_min_vacant_floor_m2, v_old.min_vacant_floor_m2))) THEN
            RETURN NULL;
        END IF;
    END LOOP;
    v_new.park := p_park;
    v_new.min_reserve_mu := coalesce(p_min_reserve_mu, v_old.min_reserve_mu, 0);
    v_new.min_vacant_floor_m2 := coalesce(p_min_vacant_floor_m2, v_old.min_vacant_floor_m2, 0);
    IF v_found THEN
        v_before := jsonb_build_array(jsonb_build_object(
            'park', p_park, 'min_reserve_mu', v_old.min_reserve_mu,
            'min_vacant_floor_m2', v_old.min_vacant_floor_m2,
            'updated_at', v_old.updated_at, 'updated_by', v_old.updated_by));
    END IF;
    v_id := admin_change_set(
        'target', p_actor, p_reason,
        jsonb_build_object('op', CASE WHEN p_only_new THEN 'add_target' ELSE 'set_target' END,
                           'park', p_park, 'min_reserve_mu', p_min_reserve_mu,
                           'min_vacant_floor_m2', p_min_vacant_floor_m2),
        v_before,
        jsonb_build_array(jsonb_build_object(
            'park', p_park, 'min_reserve_mu', v_new.min_reserve_mu,
            'min_vacant_floor_m2', v_new.min_vacant_floor_m2)));
    SELECT committed_at INTO v_at FROM change_set WHERE id = v_id;
    INSERT INTO target AS t (park, min_reserve_mu, min_vacant_floor_m2, updated_at, updated_by)
    VALUES (p_park, v_new.min_reserve_mu, v_new.min_vacant_floor_m2, v_at, p_actor)
    ON CONFLICT (park) DO UPDATE
       SET min_reserve_mu = excluded.min_reserve_mu,
           min_vacant_floor_m2 = excluded.min_vacant_floor_m2,
           updated_at = excluded.updated_at,
           updated_by = excluded.updated_by;
    RETURN v_id;
END $$;

-- Set a park's targets (kind 'target'): the reserve + ready land it must keep (亩) and
-- its vacant standard-factory floor (m²); NULL keeps a value (0 for a park without
-- targets). The change set's id, or NULL when the targets already say so.
CREATE OR REPLACE FUNCTION admin_set_target(
    p_park text, p_min_reserve_mu double precision, p_min_vacant_floor_m2 double precision,
    p_actor text, p_reason text
) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT admin_write_target(p_park, p_min_reserve_mu, p_min_vacant_floor_m2, p_actor,
                              p_reason, false)
$$;

-- A park's first targets (a load's): like admin_set_target for a park without targets,
-- a no-op (NULL) for a park that has them — targets set since a first load stay.
CREATE OR REPLACE FUNCTION admin_add_target(
    p_park text, p_min_reserve_mu double precision, p_min_vacant_floor_m2 double precision,
    p_actor text, p_reason text
) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT admin_write_target(p_park, p_min_reserve_mu, p_min_vacant_floor_m2, p_actor,
                              p_reason, true)
$$;

-- 3. Privileges -----------------------------------------------------------------------------
-- The history is read by the application and the auditor and written by the trigger only;
-- of the functions, the application calls the four admin functions and nothing else.
REVOKE ALL ON TABLE land_use_class_flag FROM PUBLIC;
REVOKE ALL ON FUNCTION class_flag_record() FROM PUBLIC;
REVOKE ALL ON FUNCTION class_flag_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_require_who(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_require_amount(text, double precision) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_change_set(text, text, text, jsonb, jsonb, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_write_target(text, double precision, double precision, text, text,
                                          boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_set_class_manufacturing(text, boolean, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_set_rule_policy(boolean, double precision, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_set_target(text, double precision, double precision, text, text)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION admin_add_target(text, double precision, double precision, text, text)
    FROM PUBLIC;
DO $grants$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_app') THEN
        GRANT SELECT ON TABLE land_use_class_flag TO parks_app;
        GRANT EXECUTE ON FUNCTION
            admin_set_class_manufacturing(text, boolean, text, text),
            admin_set_rule_policy(boolean, double precision, text, text),
            admin_set_target(text, double precision, double precision, text, text),
            admin_add_target(text, double precision, double precision, text, text)
            TO parks_app;
        -- ... and writes flags, the policy and targets through them only
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE land_use_class, rule_policy, target
            FROM parks_app;
    ELSE
        RAISE NOTICE 'role parks_app does not exist: the admin functions are nobody''s';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parks_auditor') THEN
        GRANT SELECT ON TABLE land_use_class_flag TO parks_auditor;
    END IF;
END
$grants$;

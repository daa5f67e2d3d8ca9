-- The rule: the city's total manufacturing land never decreases (只增不减).
--
-- How it is enforced, whatever writes the parcels (the API, the CLI, a bulk load, psql):
--   1. Statement-level triggers on parcel_version (and on land_use_class, whose flag
--      decides what counts) write this transaction's per-parcel change in manufacturing
--      area into rule_pending, and mark the transaction in rule_txn. They cost in
--      proportion to the rows a statement touches.
--   2. A deferred constraint trigger on rule_txn runs once per transaction, at COMMIT:
--      it takes the city's ledger head lock (so committers are judged one at a time),
--      reads the previous ledger row, refuses the transaction if the city total (or, by
--      policy, a park's total) would end below its high-water mark by more than the
--      tolerance, and otherwise appends the ledger row, hash-chained to the previous.
-- A refusal raises SQLSTATE 'MF001' with a JSON DETAIL the application turns into the
-- 409 body; psql users read the message.

-- 1. Collect deltas -----------------------------------------------------------------

CREATE OR REPLACE FUNCTION rule_collect_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rule_pending (txid, park, parcel_code, delta_m2)
    SELECT txid_current(), n.park, n.parcel_code, sum(n.area_m2)
      FROM new_rows n JOIN land_use_class c ON c.code = n.land_use_code
     WHERE n.valid_to IS NULL AND c.is_manufacturing
     GROUP BY n.park, n.parcel_code;
    INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rule_collect_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rule_pending (txid, park, parcel_code, delta_m2)
    SELECT txid_current(), o.park, o.parcel_code, -sum(o.area_m2)
      FROM old_rows o JOIN land_use_class c ON c.code = o.land_use_code
     WHERE o.valid_to IS NULL AND c.is_manufacturing
     GROUP BY o.park, o.parcel_code;
    INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rule_collect_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rule_pending (txid, park, parcel_code, delta_m2)
    SELECT txid_current(), d.park, d.parcel_code, sum(d.delta_m2)
      FROM (
            SELECT n.park, n.parcel_code, n.area_m2 AS delta_m2
              FROM new_rows n JOIN land_use_class c ON c.code = n.land_use_code
             WHERE n.valid_to IS NULL AND c.is_manufacturing
            UNION ALL
            SELECT o.park, o.parcel_code, -o.area_m2
              FROM old_rows o JOIN land_use_class c ON c.code = o.land_use_code
             WHERE o.valid_to IS NULL AND c.is_manufacturing
           ) d
     GROUP BY d.park, d.parcel_code
    HAVING sum(d.delta_m2) <> 0;
    INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- Flipping a class's is_manufacturing flag moves every current parcel of that class.
CREATE OR REPLACE FUNCTION rule_collect_class_flag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rule_pending (txid, park, parcel_code, delta_m2)
    SELECT txid_current(), v.park, v.parcel_code,
           CASE WHEN n.is_manufacturing THEN v.area_m2 ELSE -v.area_m2 END
      FROM new_rows n
      JOIN old_rows o ON o.code = n.code
      JOIN parcel_version v ON v.land_use_code = n.code AND v.valid_to IS NULL
     WHERE n.is_manufacturing IS DISTINCT FROM o.is_manufacturing;
    IF FOUND THEN
        INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Every change set gets its ledger row, even one that moves no manufacturing land.
CREATE OR REPLACE FUNCTION rule_mark_change_set() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- 2. The ledger's canonical text and hash -------------------------------------------
-- Floats enter as the hex of their IEEE-754 bytes and times as integer microseconds
-- since the epoch, so any client can recompute the hash exactly (see service/audit).

CREATE OR REPLACE FUNCTION ledger_float_hex(x double precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT encode(float8send(x), 'hex') $$;

CREATE OR REPLACE FUNCTION ledger_parks_text(parks jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(string_agg(key || ':' || ledger_float_hex(value::text::double precision), ','
                               ORDER BY key COLLATE "C"), '')
      FROM jsonb_each(coalesce(parks, '{}'::jsonb))
$$;

CREATE OR REPLACE FUNCTION ledger_hash(
    p_seq bigint, p_at timestamptz, p_actor text, p_change_set_id bigint, p_kind text,
    p_document_no text, p_delta_city double precision, p_total_city double precision,
    p_delta_parks jsonb, p_total_parks jsonb, p_prev_hash text
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws(chr(31),
        p_seq::text,
        floor(extract(epoch FROM p_at) * 1000000)::bigint::text,
        coalesce(p_actor, ''),
        coalesce(p_change_set_id::text, ''),
        coalesce(p_kind, ''),
        coalesce(p_document_no, ''),
        ledger_float_hex(p_delta_city),
        ledger_float_hex(p_total_city),
        ledger_parks_text(p_delta_parks),
        ledger_parks_text(p_total_parks),
        p_prev_hash), 'UTF8')), 'hex')
$$;

-- 3. The judgement at commit --------------------------------------------------------

CREATE OR REPLACE FUNCTION rule_commit_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_txid        bigint := txid_current();
    v_policy      rule_policy%ROWTYPE;
    v_seq         bigint;
    v_prev        ledger%ROWTYPE;
    v_found_prev  boolean;
    v_cs          change_set%ROWTYPE;
    v_delta_city  double precision;
    v_before      double precision;
    v_after       double precision;
    v_high        double precision;
    v_total_parks jsonb;
    v_high_parks  jsonb;
    v_delta_parks jsonb;
    v_park        record;
    v_losers      text[];
    v_scope       text := NULL;
    v_at          timestamptz;
    v_prev_hash   text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rule_txn WHERE txid = v_txid) THEN
        RETURN NULL;  -- already judged in this transaction
    END IF;

    -- One committer at a time per city: the head row is the lock and the sequence.
    UPDATE ledger_head SET last_seq = last_seq + 1 WHERE id RETURNING last_seq INTO v_seq;
    SELECT * INTO v_policy FROM rule_policy WHERE id;

    SELECT * INTO v_prev FROM ledger WHERE seq < v_seq ORDER BY seq DESC LIMIT 1;
    v_found_prev := FOUND;
    v_before      := CASE WHEN v_found_prev THEN v_prev.total_city_m2 ELSE 0 END;
    v_high        := CASE WHEN v_found_prev THEN v_prev.high_water_city_m2 ELSE 0 END;
    v_total_parks := CASE WHEN v_found_prev THEN v_prev.total_parks ELSE '{}'::jsonb END;
    v_high_parks  := CASE WHEN v_found_prev THEN v_prev.high_water_parks ELSE '{}'::jsonb END;
    v_prev_hash   := CASE WHEN v_found_prev THEN v_prev.hash ELSE repeat('0', 64) END;

    SELECT coalesce(sum(delta_m2), 0) INTO v_delta_city FROM rule_pending WHERE txid = v_txid;
    v_after := v_before + v_delta_city;

    IF v_after < v_high - v_policy.tolerance_m2 THEN
        v_scope := 'city';
    ELSIF v_policy.per_park_floor THEN
        FOR v_park IN
            SELECT park, sum(delta_m2) AS delta FROM rule_pending
             WHERE txid = v_txid GROUP BY park HAVING sum(delta_m2) < 0 ORDER BY park
        LOOP
            IF coalesce((v_total_parks ->> v_park.park)::double precision, 0) + v_park.delta
               < coalesce((v_high_parks ->> v_park.park)::double precision, 0) - v_policy.tolerance_m2
            THEN
                v_scope := v_park.park;
                v_before := coalesce((v_total_parks ->> v_park.park)::double precision, 0);
                v_after := v_before + v_park.delta;
                v_high := coalesce((v_high_parks ->> v_park.park)::double precision, 0);
                EXIT;
            END IF;
        END LOOP;
    END IF;

    IF v_scope IS NOT NULL THEN
        SELECT coalesce(array_agg(parcel_code ORDER BY delta), '{}') INTO v_losers
          FROM (SELECT parcel_code, sum(delta_m2) AS delta FROM rule_pending
                 WHERE txid = v_txid AND (v_scope = 'city' OR park = v_scope)
                 GROUP BY parcel_code HAVING sum(delta_m2) < 0) l;
        RAISE EXCEPTION USING
            ERRCODE = 'MF001',
            MESSAGE = format(
                'manufacturing land would decrease: %s total %s m² after this change set is %s m² '
                'below its high-water mark of %s m² (%s 亩 short); parcels losing it: %s',
                v_scope, round(v_after::numeric, 2), round((v_high - v_after)::numeric, 2),
                round(v_high::numeric, 2), round(((v_high - v_after) * 15 / 10000)::numeric, 4),
                array_to_string(v_losers, ', ')),
            DETAIL = json_build_object(
                'scope', v_scope,
                'total_before_m2', v_before,
                'total_after_m2', v_after,
                'high_water_m2', v_high,
                'shortfall_m2', v_high - v_after,
                'parcels', to_json(v_losers))::text,
            HINT = 'Compensate the loss in the same change set (占补平衡): register or rezone '
                   'at least that much industrial land.';
    END IF;

    -- Accepted: the change set this transaction recorded, or one made for it.
    v_cs := change_set_of_this_transaction();
    v_at := greatest(v_cs.committed_at, coalesce(v_prev.at, v_cs.committed_at));

    -- Per-park deltas and running totals, every park present in both.
    SELECT coalesce(jsonb_object_agg(p.code, coalesce(d.delta, 0)), '{}'::jsonb),
           coalesce(jsonb_object_agg(p.code,
               coalesce((v_total_parks ->> p.code)::double precision, 0) + coalesce(d.delta, 0)),
               '{}'::jsonb),
           coalesce(jsonb_object_agg(p.code, greatest(
               coalesce((v_high_parks ->> p.code)::double precision, 0),
               coalesce((v_total_parks ->> p.code)::double precision, 0) + coalesce(d.delta, 0))),
               '{}'::jsonb)
      INTO v_delta_parks, v_total_parks, v_high_parks
      FROM park p
      LEFT JOIN (SELECT park, sum(delta_m2) AS delta FROM rule_pending
                  WHERE txid = v_txid GROUP BY park) d ON d.park = p.code;

    INSERT INTO ledger (seq, at, actor, change_set_id, kind, document_no,
                        delta_city_m2, total_city_m2, high_water_city_m2,
                        delta_parks, total_parks, high_water_parks, prev_hash, hash)
    VALUES (v_seq, v_at, v_cs.actor, v_cs.id, v_cs.kind, v_cs.document_no,
            v_delta_city, v_after, greatest(v_high, v_after),
            v_delta_parks, v_total_parks, v_high_parks, v_prev_hash,
            ledger_hash(v_seq, v_at, v_cs.actor, v_cs.id, v_cs.kind, v_cs.document_no,
                        v_delta_city, v_after, v_delta_parks, v_total_parks, v_prev_hash));

    PERFORM set_config('parks.rule_committing', v_txid::text, true);
    DELETE FROM rule_pending WHERE txid = v_txid;
    DELETE FROM rule_txn WHERE txid = v_txid;
    PERFORM set_config('parks.rule_committing', '', true);
    RETURN NULL;
END $$;

-- 4. Guards -------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'MF002',
        MESSAGE = format('%s on %s is refused: %s', TG_OP, TG_TABLE_NAME, TG_ARGV[0]);
END $$;

-- The change set of this transaction; one made for it (kind 'direct_sql') when the
-- transaction changes parcels without having recorded one.
CREATE OR REPLACE FUNCTION change_set_of_this_transaction() RETURNS change_set
LANGUAGE plpgsql AS $$
DECLARE
    v_cs change_set%ROWTYPE;
BEGIN
    SELECT * INTO v_cs FROM change_set WHERE txid = txid_current();
    IF NOT FOUND THEN
        -- Like the application, take the city's ledger lock before reading the clock, so
        -- this change set's time orders it among the others exactly as the ledger will.
        PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
        INSERT INTO change_set (kind, reason, actor, txid, committed_at)
        VALUES ('direct_sql', 'changed by SQL outside the application', session_user,
                txid_current(), clock_timestamp())
        RETURNING * INTO v_cs;
    END IF;
    RETURN v_cs;
END $$;

-- History is kept, whoever writes:
--  * a closed version is never edited or deleted;
--  * a standing version made by an earlier transaction is never changed in place: an
--    UPDATE of it closes it and inserts the edited state as a new version (the UPDATE
--    itself then reports 0 rows), and a DELETE of it closes it (the parcel is retired);
--  * closing a version (setting valid_to) and amending or dropping a version this same
--    transaction made are the writes that pass through.
-- The rule's triggers see the resulting closes and inserts like any other change.
CREATE OR REPLACE FUNCTION parcel_history_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_cs  change_set%ROWTYPE;
    v_own boolean;
BEGIN
    IF OLD.valid_to IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s of parcel %s''s version %s is refused: it closed at %s and '
                             'history is kept forever', TG_OP, OLD.parcel_code, OLD.version_id,
                             OLD.valid_to);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.valid_to IS NOT NULL THEN
        -- Closing a version: nothing else about it may change, and it closes at the time
        -- of the change set that closes it.
        IF (NEW.parcel_code, NEW.park, NEW.land_use_code, NEW.status, NEW.holder,
            NEW.supply_mode, NEW.supplied_on, NEW.valid_from, NEW.change_set_id,
            NEW.version_id)
           IS DISTINCT FROM
           (OLD.parcel_code, OLD.park, OLD.land_use_code, OLD.status, OLD.holder,
            OLD.supply_mode, OLD.supplied_on, OLD.valid_from, OLD.change_set_id,
            OLD.version_id)
           OR NOT ST_OrderingEquals(NEW.geom, OLD.geom) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'MF002',
                MESSAGE = format('closing parcel %s''s version %s may not change it: write '
                                 'the new state as a new version', OLD.parcel_code,
                                 OLD.version_id);
        END IF;
        v_cs := change_set_of_this_transaction();
        NEW.ended_by_change_set_id := v_cs.id;
        NEW.valid_to := v_cs.committed_at;
        RETURN NEW;
    END IF;
    SELECT c.txid = txid_current() INTO v_own FROM change_set c WHERE c.id = OLD.change_set_id;
    IF v_own THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    v_cs := change_set_of_this_transaction();
    UPDATE parcel_version SET valid_to = v_cs.committed_at, ended_by_change_set_id = v_cs.id
     WHERE version_id = OLD.version_id;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder,
                                    supply_mode, supplied_on, geom, valid_from, change_set_id)
        VALUES (NEW.parcel_code, NEW.park, NEW.land_use_code, NEW.status, NEW.holder,
                NEW.supply_mode, NEW.supplied_on, NEW.geom, v_cs.committed_at, v_cs.id);
    END IF;
    RETURN NULL;
END $$;

-- A version inserted by SQL without a change set or a start gets this transaction's.
CREATE OR REPLACE FUNCTION parcel_version_defaults() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_cs change_set%ROWTYPE := change_set_of_this_transaction();
BEGIN
    NEW.change_set_id := coalesce(NEW.change_set_id, v_cs.id);
    NEW.valid_from := coalesce(NEW.valid_from, v_cs.committed_at);
    RETURN NEW;
END $$;

-- The rule's working tables (what a transaction changed, and the mark that makes the
-- commit check run) may only be emptied by the commit check itself: a client deleting
-- its own pending rows would otherwise slip a loss past the rule.
CREATE OR REPLACE FUNCTION rule_tables_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('parks.rule_committing', true) IS DISTINCT FROM txid_current()::text THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s on %s is refused: only the rule''s commit check may change '
                             'it', TG_OP, TG_TABLE_NAME);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

-- 5. Triggers -----------------------------------------------------------------------

CREATE TRIGGER parcel_version_rule_insert AFTER INSERT ON parcel_version
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_insert();
CREATE TRIGGER parcel_version_rule_update AFTER UPDATE ON parcel_version
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_update();
CREATE TRIGGER parcel_version_rule_delete AFTER DELETE ON parcel_version
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_delete();
CREATE TRIGGER parcel_version_history_guard BEFORE UPDATE OR DELETE ON parcel_version
    FOR EACH ROW EXECUTE FUNCTION parcel_history_guard();
CREATE TRIGGER parcel_version_defaults BEFORE INSERT ON parcel_version
    FOR EACH ROW WHEN (NEW.change_set_id IS NULL OR NEW.valid_from IS NULL)
    EXECUTE FUNCTION parcel_version_defaults();
CREATE TRIGGER parcel_version_no_truncate BEFORE TRUNCATE ON parcel_version
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('parcel history is kept forever');

CREATE TRIGGER land_use_class_rule_flag AFTER UPDATE ON land_use_class
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rule_collect_class_flag();
CREATE TRIGGER land_use_class_no_truncate BEFORE TRUNCATE ON land_use_class
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('parcels refer to land-use classes');

CREATE TRIGGER change_set_rule_mark AFTER INSERT ON change_set
    FOR EACH ROW EXECUTE FUNCTION rule_mark_change_set();
CREATE TRIGGER change_set_no_truncate BEFORE TRUNCATE ON change_set
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('change sets are the record of every change');

CREATE TRIGGER rule_pending_guard BEFORE UPDATE OR DELETE ON rule_pending
    FOR EACH ROW EXECUTE FUNCTION rule_tables_guard();
CREATE TRIGGER rule_pending_no_truncate BEFORE TRUNCATE ON rule_pending
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the rule''s commit check may');
CREATE TRIGGER rule_txn_guard BEFORE UPDATE OR DELETE ON rule_txn
    FOR EACH ROW EXECUTE FUNCTION rule_tables_guard();
CREATE TRIGGER rule_txn_no_truncate BEFORE TRUNCATE ON rule_txn
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the rule''s commit check may');

CREATE CONSTRAINT TRIGGER rule_check_at_commit AFTER INSERT ON rule_txn
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION rule_commit_check();

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the ledger is append-only');
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the ledger is append-only');

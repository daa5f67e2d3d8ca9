-- The rule: the city's total manufacturing land never decreases (只增不减).
--
-- How it is enforced, whatever writes the parcels (the API, the CLI, a bulk load, psql):
--   1. Statement-level triggers on parcel_version (and on land_use_class, whose flag
--      decides what counts) write this transaction's per-parcel change in manufacturing
--      area into rule_pending, and mark the transaction in rule_txn. They cost in
--      proportion to the rows a statement touches.
--   2. A deferred constraint trigger on rule_txn runs once per transaction, at COMMIT:
--      it takes the city's ledger head lock (so committers are judged one at a time),
--      checks where the versions this transaction's change set made stand (no overlap
--      with another standing parcel, nothing outside the park), reads the previous ledger
--      row, refuses the transaction if the city total (or, by policy, a park's total)
--      would end below its high-water mark by more than the tolerance, and otherwise
--      appends the ledger row, hash-chained to the previous.
--   3. Guards keep the past as it was: a version is written standing, by this
--      transaction's change set, from that change set's moment; a change set is this
--      transaction's and is not dated before the ledger's last row (nor in the future);
--      closed versions, the ledger and the rule's working tables are not edited.
-- A refusal raises SQLSTATE 'MF001' (the rule), 'MF003' (placement) or 'MF002' (a guard)
-- with a JSON DETAIL (MF001, MF003) the application turns into its error body; psql users
-- read the message.
--
-- This file holds functions only, every statement a re-runnable CREATE OR REPLACE: the
-- migration that changes a function re-runs the whole file (0002 first, then 0013, 0023).
-- The triggers that attach them are in rule_triggers.sql (made once, by 0002) and in the
-- migration that added each later one. Every function that writes or guards (the volatile
-- ones) runs as its owner with a fixed search_path (SECURITY DEFINER SET search_path =
-- public, pg_temp): written into each definition, because CREATE OR REPLACE would reset
-- attributes set by ALTER. SECURITY DEFINER changes current_user, not session_user: the
-- actor of a change set made for plain SQL is still the role that connected.
--
-- The functions that run at every commit or for every version written look up a row by
-- key in tables that grow by a row a change set (change_set by txid, the ledger's last
-- row) and are also SET enable_seqscan = off. PL/pgSQL keeps a statement's plan for the
-- session; planned while such a table is tiny (after a load's ANALYZE it has one row),
-- the plan is a scan of the whole table, and it stays one as the table grows, until
-- autovacuum analyzes it again: a cost in proportion to the change sets since, paid at
-- every commit. Every look-up they make has an index, so the setting only removes the
-- scans.

-- 1. Collect deltas -----------------------------------------------------------------

CREATE OR REPLACE FUNCTION rule_collect_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO rule_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- 2. The ledger's canonical text and hash -------------------------------------------
-- Floats enter as the hex of their IEEE-754 bytes and times as integer microseconds
-- since the epoch, so any client can recompute the hash exactly (see service/audit).
-- Fields are joined by U+001F; an absent text is empty; a per-park figure is the list
-- park:hex, sorted by park code, joined by commas. A row's format (ledger.row_format)
-- says which text its hash covers:
--   1  seq, at, actor, change set, kind, document no, delta city, total city,
--      delta parks, total parks, previous hash                      (ledger_hash)
--   2  the same, with the city high-water mark and the per-park high-water marks
--      before the previous hash                                      (ledger_hash_v2)
-- Rows written before format 2 existed keep format 1 and their hash.
-- The two hash functions are PL/pgSQL, though each is one expression: a SQL function that
-- is not inlined (concat_ws is only stable) is planned again at every call, about 0.2 ms
-- of every commit; PL/pgSQL keeps its plan for the session.

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
) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN encode(sha256(convert_to(concat_ws(chr(31),
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
            p_prev_hash), 'UTF8')), 'hex');
END $$;

CREATE OR REPLACE FUNCTION ledger_hash_v2(
    p_seq bigint, p_at timestamptz, p_actor text, p_change_set_id bigint, p_kind text,
    p_document_no text, p_delta_city double precision, p_total_city double precision,
    p_delta_parks jsonb, p_total_parks jsonb, p_high_water_city double precision,
    p_high_water_parks jsonb, p_prev_hash text
) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN encode(sha256(convert_to(concat_ws(chr(31),
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
            ledger_float_hex(p_high_water_city),
            ledger_parks_text(p_high_water_parks),
            p_prev_hash), 'UTF8')), 'hex');
END $$;

-- 3. The judgement at commit --------------------------------------------------------

CREATE OR REPLACE FUNCTION rule_commit_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off AS $$
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
    v_high_city   double precision;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM rule_txn WHERE txid = v_txid) THEN
        RETURN NULL;  -- already judged in this transaction
    END IF;

    -- One committer at a time per city: the head row is the lock and the sequence.
    UPDATE ledger_head SET last_seq = last_seq + 1 WHERE id RETURNING last_seq INTO v_seq;
    SELECT * INTO v_policy FROM rule_policy WHERE id;

    -- The change set this transaction recorded, or one made for it. Where its standing
    -- versions lie is judged first, under the lock: what it is judged against is every
    -- change set committed before it.
    v_cs := change_set_of_this_transaction();
    PERFORM parcel_placement_check(v_cs.id, v_policy.tolerance_m2);

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

    -- Accepted.
    v_at := greatest(v_cs.committed_at, coalesce(v_prev.at, v_cs.committed_at));
    v_high_city := greatest(v_high, v_after);

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
                        delta_parks, total_parks, high_water_parks, prev_hash, row_format,
                        hash)
    VALUES (v_seq, v_at, v_cs.actor, v_cs.id, v_cs.kind, v_cs.document_no,
            v_delta_city, v_after, v_high_city,
            v_delta_parks, v_total_parks, v_high_parks, v_prev_hash, 2,
            ledger_hash_v2(v_seq, v_at, v_cs.actor, v_cs.id, v_cs.kind, v_cs.document_no,
                           v_delta_city, v_after, v_delta_parks, v_total_parks,
                           v_high_city, v_high_parks, v_prev_hash));

    PERFORM set_config('parks.rule_committing', v_txid::text, true);
    DELETE FROM rule_pending WHERE txid = v_txid;
    DELETE FROM rule_txn WHERE txid = v_txid;
    PERFORM set_config('parks.rule_committing', '', true);
    RETURN NULL;
END $$;

-- Where the versions change set p_change_set_id made stand, judged at its commit: none
-- still standing may share more than p_tolerance_m2 (m²) of its interior with another
-- standing version, nor have more than that outside its park's boundary. Raises 'MF003'
-- naming the parcels (or the parcel and the park) and the area, with a JSON DETAIL
-- {kind: 'overlap' | 'outside_park', codes, park, area_m2}.
-- Areas are planar, in the storage CRS: parcel_version.geom and park.boundary are both
-- typed with the storage SRID (EPSG:4545 by default; migration 0001 reads it from the
-- settings), so ST_Area gives square metres as the application measures them.
-- Cost: one look-up by change set (parcel_version_change_set) for the versions made, and
-- per version one probe of the standing versions' GiST index (parcel_current_geom, partial
-- on valid_to IS NULL) and one of its park's boundary; never a scan of the city. A version
-- that keeps the park and the exact shape of the version it replaces (made by an earlier
-- change set) moves no land and is not judged again: a rezone or a status change of a
-- parcel placed before this check existed is not refused for where it already stood.
-- In two statements, so that a change set that placed nothing (most of them: status
-- changes, rezonings, supplies) pays only the first. Both are planned once a session
-- (plan_cache_mode = force_generic_plan; the spatial join took about 0.5 ms to plan, the
-- first statement 0.2 ms, at every commit) without knowing the change set, and with
-- sequential scans off, so those plans probe by index whatever the statistics say: after
-- a load they see one change set owning most versions, and a plan made from that would
-- read the city.
CREATE OR REPLACE FUNCTION parcel_placement_check(p_change_set_id bigint,
                                                  p_tolerance_m2 double precision)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v record;
    v_placed bigint[];
BEGIN
    -- The standing versions this change set placed: new, or moved, or given to another park.
    SELECT array_agg(n.version_id) INTO v_placed
      FROM parcel_version n
     WHERE n.change_set_id = p_change_set_id AND n.valid_to IS NULL
       AND NOT EXISTS (
           SELECT 1 FROM parcel_version p
            WHERE p.parcel_code = n.parcel_code
              AND p.ended_by_change_set_id = p_change_set_id
              AND p.change_set_id <> p_change_set_id
              AND p.park = n.park
              -- the same shape, point for point (as bytes: ST_OrderingEquals would
              -- have the planner probe the GiST index of every version ever made)
              AND ST_AsEWKB(p.geom) = ST_AsEWKB(n.geom));
    IF v_placed IS NULL THEN
        RETURN;
    END IF;

    WITH made AS MATERIALIZED (
        SELECT n.version_id, n.parcel_code, n.park, n.geom, Box2D(n.geom) AS box
          FROM unnest(v_placed) AS placed (version_id)
          JOIN parcel_version n USING (version_id)
    ), refused AS (
        SELECT 'overlap' AS kind, m.parcel_code AS code, o.parcel_code AS other, m.park,
               ST_Area(ST_Intersection(m.geom, o.geom)) AS area_m2
          FROM made m
          JOIN parcel_version o
            ON o.valid_to IS NULL AND o.geom && m.geom AND o.version_id <> m.version_id
         -- a pair of versions both made here is judged once
         WHERE NOT EXISTS (SELECT 1 FROM made x
                            WHERE x.version_id = o.version_id AND x.version_id < m.version_id)
           -- CASE keeps the costly tests for the pairs that may share more than the
           -- tolerance: not those whose bounding boxes share less (neighbours along an
           -- edge parallel to an axis: most of them), nor those whose interiors do not
           -- meet (Box2D is exact, and cheap beside ST_Relate)
           AND CASE WHEN greatest(least(ST_XMax(m.box), ST_XMax(Box2D(o.geom)))
                                  - greatest(ST_XMin(m.box), ST_XMin(Box2D(o.geom))), 0)
                         * greatest(least(ST_YMax(m.box), ST_YMax(Box2D(o.geom)))
                                    - greatest(ST_YMin(m.box), ST_YMin(Box2D(o.geom))), 0)
                         <= p_tolerance_m2 THEN false
                    WHEN ST_Relate(m.geom, o.geom, '2********')
                    THEN ST_Area(ST_Intersection(m.geom, o.geom)) > p_tolerance_m2
                    ELSE false END
        UNION ALL
        SELECT 'outside_park', m.parcel_code, NULL, m.park, d.area_m2
          FROM made m
          JOIN park b ON b.code = m.park
         CROSS JOIN LATERAL (SELECT ST_Area(ST_Difference(m.geom, b.boundary)) AS area_m2) d
         -- (ST_Covers, not ST_CoveredBy: PostGIS prepares the repeated boundary only as
         -- the first argument)
         WHERE NOT ST_Covers(b.boundary, m.geom) AND d.area_m2 > p_tolerance_m2
    )
    SELECT * INTO v FROM refused ORDER BY code, kind, other LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v.kind = 'overlap' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF003',
            MESSAGE = format('parcel %s overlaps parcel %s by %s m²: standing parcels may not '
                             'share more than %s m²', v.code, v.other,
                             round(v.area_m2::numeric, 2), p_tolerance_m2),
            DETAIL = json_build_object('kind', 'overlap', 'codes', json_build_array(v.code, v.other),
                                       'park', v.park, 'area_m2', v.area_m2)::text,
            HINT = 'Redraw the shared boundary so each piece of land is in one parcel.';
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'MF003',
        MESSAGE = format('parcel %s lies %s m² outside park %s: a parcel may not lie more than '
                         '%s m² outside its park', v.code, round(v.area_m2::numeric, 2), v.park,
                         p_tolerance_m2),
        DETAIL = json_build_object('kind', 'outside_park', 'codes', json_build_array(v.code),
                                   'park', v.park, 'area_m2', v.area_m2)::text,
        HINT = 'Check the geometry''s CRS and the park it is given.';
END $$;

-- 4. Guards -------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'MF002',
        MESSAGE = format('%s on %s is refused: %s', TG_OP, TG_TABLE_NAME, TG_ARGV[0]);
END $$;

-- The change set of this transaction; one made for it (kind 'direct_sql') when the
-- transaction changes parcels without having recorded one.
CREATE OR REPLACE FUNCTION change_set_of_this_transaction() RETURNS change_set
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off AS $$
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
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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

-- The past can't be written. A version is written standing (closing it is the business
-- of a later change set: parcel_history_guard), by the change set of the transaction that
-- writes it, valid from that change set's moment. Its trigger (parcel_version_written_now,
-- BEFORE INSERT OR UPDATE) fires after parcel_version_stamp (triggers fire in name order),
-- which fills a missing change set and start; on UPDATE it checks the standing versions
-- this transaction amends in place (closes are parcel_history_guard's, and an edit of an
-- earlier version never gets here: that guard turns it into a close and an insert).
CREATE OR REPLACE FUNCTION parcel_version_written_now() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off AS $$
DECLARE
    v_cs_id bigint;
    v_cs_at timestamptz;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.valid_to IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.valid_to IS NOT NULL OR NEW.ended_by_change_set_id IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s of a version of parcel %s is refused: %s is set; a version is '
                             'written standing, and only a later change set closes it', TG_OP,
                             NEW.parcel_code, CASE WHEN NEW.valid_to IS NOT NULL THEN 'valid_to'
                                                   ELSE 'ended_by_change_set_id' END);
    END IF;
    SELECT id, committed_at INTO v_cs_id, v_cs_at FROM change_set WHERE txid = txid_current();
    IF NEW.change_set_id IS DISTINCT FROM v_cs_id AND NEW.change_set_id IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s of a version of parcel %s is refused: change_set_id %s is not '
                             'this transaction''s change set (%s); a version is written by the '
                             'change set of the transaction that writes it', TG_OP,
                             NEW.parcel_code, NEW.change_set_id,
                             coalesce(v_cs_id::text, 'none recorded'));
    END IF;
    IF NEW.valid_from IS DISTINCT FROM v_cs_at AND NEW.valid_from IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s of a version of parcel %s is refused: valid_from %s is not the '
                             'moment of its change set %s (%s); a version begins when its '
                             'change set is made, never before nor after', TG_OP,
                             NEW.parcel_code, NEW.valid_from, v_cs_id, v_cs_at);
    END IF;
    RETURN NEW;
END $$;

-- A change set is this transaction's (txid; filled when NULL) and is dated now: not before
-- the ledger's last row (backdated, it would change what "as of" answers said about the
-- past) nor after the present (every later change set would then be backdated). Its
-- trigger is change_set_written_now (BEFORE INSERT). The application takes the ledger
-- lock before it inserts the change set, so its clock reads after every committed row's;
-- a plain-SQL writer that does not is judged against the last row committed when it
-- inserts (its ledger row is dated no earlier than the previous row at commit).
CREATE OR REPLACE FUNCTION change_set_written_now() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET enable_seqscan = off AS $$
DECLARE
    v_seq bigint;
    v_at  timestamptz;
BEGIN
    NEW.txid := coalesce(NEW.txid, txid_current());
    IF NEW.txid <> txid_current() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('INSERT of a change set is refused: txid %s is not this '
                             'transaction''s (%s)', NEW.txid, txid_current());
    END IF;
    NEW.committed_at := coalesce(NEW.committed_at, clock_timestamp());
    IF NEW.committed_at > clock_timestamp() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('INSERT of a change set is refused: committed_at %s is in the '
                             'future; a change set is dated when it is made', NEW.committed_at);
    END IF;
    SELECT seq, at INTO v_seq, v_at FROM ledger ORDER BY seq DESC LIMIT 1;
    IF FOUND AND NEW.committed_at < v_at THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('INSERT of a change set is refused: committed_at %s is before the '
                             'ledger''s last row (seq %s, at %s); a change set cannot be '
                             'backdated', NEW.committed_at, v_seq, v_at);
    END IF;
    RETURN NEW;
END $$;

-- The rule's working tables (what a transaction changed, and the mark that makes the
-- commit check run) may only be emptied by the commit check itself: a client deleting
-- its own pending rows would otherwise slip a loss past the rule.
CREATE OR REPLACE FUNCTION rule_tables_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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


-- Each committed change set's effect on the land totals, kept so that "as of" totals cost
-- the same whatever the length of the history.
--
--   totals_effect    per change set and (park, land-use class, status): the parcels and
--                    the area (m²) it made minus those it ended, dated by the change set's
--                    time (change_set.committed_at: when its versions begin and end).
--   totals_snapshot  the totals of every (park, class, status) as of a cut: the sum of the
--                    effects dated at or before it. One is taken at a commit once some
--                    thousands of effect rows have gathered since the last
--                    (parks.totals_snapshot_rows, 2000 by default), so the totals as of t
--                    are the last snapshot cut at or before t plus a short tail of effects.
--
-- How they are written, whatever writes the parcels (like the rule in rule.sql):
--   1. Statement-level triggers on parcel_version put each statement's change into
--      totals_pending (+ the versions written, - the versions ended, per change set and
--      group; a closed version counts - for the change set that ended it), and mark the
--      transaction in totals_txn. They cost in proportion to the rows a statement touches.
--   2. A deferred constraint trigger on totals_txn runs once per transaction, at COMMIT,
--      under the city's ledger lock (the one the rule takes, so change sets are recorded
--      one at a time and in the order of their times): it adds the transaction's change to
--      totals_effect and to any snapshot cut at or after a change set it touched (a change
--      set dated before a cut but committed after it), and takes a snapshot when due.
-- Nothing else may write these tables: `parks audit verify` re-derives both from the parcel
-- versions and names every difference.

CREATE OR REPLACE FUNCTION totals_snapshot_every() RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT greatest(coalesce(nullif(current_setting('parks.totals_snapshot_rows', true), '')::bigint,
                             2000), 1)
$$;

-- 1. Collect ------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION totals_collect_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO totals_pending (txid, change_set_id, park, land_use_code, status,
                                parcels_delta, area_delta_m2)
    SELECT txid_current(), d.change_set_id, d.park, d.land_use_code, d.status, sum(d.n), sum(d.a)
      FROM (SELECT n.change_set_id, n.park, n.land_use_code, n.status, 1 AS n,
                   n.area_m2::numeric AS a
              FROM new_rows n
            UNION ALL
            SELECT n.ended_by_change_set_id, n.park, n.land_use_code, n.status, -1,
                   -n.area_m2::numeric
              FROM new_rows n WHERE n.ended_by_change_set_id IS NOT NULL) d
     GROUP BY d.change_set_id, d.park, d.land_use_code, d.status
    HAVING sum(d.n) <> 0 OR sum(d.a) <> 0;
    IF FOUND THEN
        INSERT INTO totals_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION totals_collect_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO totals_pending (txid, change_set_id, park, land_use_code, status,
                                parcels_delta, area_delta_m2)
    SELECT txid_current(), d.change_set_id, d.park, d.land_use_code, d.status, sum(d.n), sum(d.a)
      FROM (SELECT n.change_set_id, n.park, n.land_use_code, n.status, 1 AS n,
                   n.area_m2::numeric AS a
              FROM new_rows n
            UNION ALL
            SELECT n.ended_by_change_set_id, n.park, n.land_use_code, n.status, -1,
                   -n.area_m2::numeric
              FROM new_rows n WHERE n.ended_by_change_set_id IS NOT NULL
            UNION ALL
            SELECT o.change_set_id, o.park, o.land_use_code, o.status, -1, -o.area_m2::numeric
              FROM old_rows o
            UNION ALL
            SELECT o.ended_by_change_set_id, o.park, o.land_use_code, o.status, 1,
                   o.area_m2::numeric
              FROM old_rows o WHERE o.ended_by_change_set_id IS NOT NULL) d
     GROUP BY d.change_set_id, d.park, d.land_use_code, d.status
    HAVING sum(d.n) <> 0 OR sum(d.a) <> 0;
    IF FOUND THEN
        INSERT INTO totals_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION totals_collect_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO totals_pending (txid, change_set_id, park, land_use_code, status,
                                parcels_delta, area_delta_m2)
    SELECT txid_current(), d.change_set_id, d.park, d.land_use_code, d.status, sum(d.n), sum(d.a)
      FROM (SELECT o.change_set_id, o.park, o.land_use_code, o.status, -1 AS n,
                   -o.area_m2::numeric AS a
              FROM old_rows o
            UNION ALL
            SELECT o.ended_by_change_set_id, o.park, o.land_use_code, o.status, 1,
                   o.area_m2::numeric
              FROM old_rows o WHERE o.ended_by_change_set_id IS NOT NULL) d
     GROUP BY d.change_set_id, d.park, d.land_use_code, d.status
    HAVING sum(d.n) <> 0 OR sum(d.a) <> 0;
    IF FOUND THEN
        INSERT INTO totals_txn (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- 2. Record at commit -----------------------------------------------------------------

-- A snapshot cut at p_cut: the last one before it plus the effects dated after that one
-- and at or before p_cut (every group ever seen is kept, at zero too).
CREATE OR REPLACE FUNCTION totals_take_snapshot(p_cut timestamptz, p_change_set_id bigint)
RETURNS void LANGUAGE sql AS $$
    WITH previous AS (
        SELECT max(cut_at) AS cut_at FROM totals_snapshot WHERE cut_at < p_cut
    )
    INSERT INTO totals_snapshot (cut_at, park, land_use_code, status, change_set_id, parcels,
                                 area_m2)
    SELECT p_cut, g.park, g.land_use_code, g.status, p_change_set_id, sum(g.n), sum(g.a)
      FROM (SELECT s.park, s.land_use_code, s.status, s.parcels AS n, s.area_m2 AS a
              FROM totals_snapshot s, previous p
             WHERE s.cut_at = p.cut_at
            UNION ALL
            SELECT e.park, e.land_use_code, e.status, e.parcels_delta, e.area_delta_m2
              FROM totals_effect e, previous p
             WHERE e.at <= p_cut AND e.at > coalesce(p.cut_at, '-infinity')) g
     GROUP BY g.park, g.land_use_code, g.status
$$;

-- SET enable_seqscan = off: its plans are kept for the session, and made while change_set
-- holds a row or two after a load they would scan it whole at every commit as it grows
-- (rule.sql says more). Its look-ups all have an index.
CREATE OR REPLACE FUNCTION totals_commit() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    v_txid  bigint := txid_current();
    v_every bigint := totals_snapshot_every();
    v_last  timestamptz;
    v_cut   timestamptz;
    v_cs    bigint;
    v_since bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM totals_txn WHERE txid = v_txid) THEN
        RETURN NULL;  -- already recorded in this transaction
    END IF;
    -- One recorder at a time per city: the rule's ledger lock (held already when the rule
    -- judged this transaction first).
    PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
    PERFORM set_config('parks.totals_committing', v_txid::text, true);

    WITH change AS (
        SELECT p.change_set_id, p.park, p.land_use_code, p.status, c.committed_at AS at,
               sum(p.parcels_delta) AS n, sum(p.area_delta_m2) AS a
          FROM totals_pending p JOIN change_set c ON c.id = p.change_set_id
         WHERE p.txid = v_txid
         GROUP BY p.change_set_id, p.park, p.land_use_code, p.status, c.committed_at
        HAVING sum(p.parcels_delta) <> 0 OR sum(p.area_delta_m2) <> 0
    ), effect AS (
        INSERT INTO totals_effect AS e (change_set_id, park, land_use_code, status, at,
                                        parcels_delta, area_delta_m2)
        SELECT change_set_id, park, land_use_code, status, at, n, a FROM change
        ON CONFLICT (change_set_id, park, land_use_code, status) DO UPDATE
           SET parcels_delta = e.parcels_delta + excluded.parcels_delta,
               area_delta_m2 = e.area_delta_m2 + excluded.area_delta_m2
    ), late AS (
        -- snapshots cut at or after a change set's time that were taken before this
        -- transaction committed (normally none: change sets commit in the order of their
        -- times): its change belongs in them too
        SELECT DISTINCT s.cut_at, s.change_set_id
          FROM totals_snapshot s
         WHERE s.cut_at >= (SELECT min(at) FROM change)
    )
    INSERT INTO totals_snapshot AS s (cut_at, park, land_use_code, status, change_set_id,
                                      parcels, area_m2)
    SELECT l.cut_at, c.park, c.land_use_code, c.status, l.change_set_id, sum(c.n), sum(c.a)
      FROM late l JOIN change c ON c.at <= l.cut_at
     GROUP BY l.cut_at, l.change_set_id, c.park, c.land_use_code, c.status
    ON CONFLICT (cut_at, park, land_use_code, status) DO UPDATE
       SET parcels = s.parcels + excluded.parcels, area_m2 = s.area_m2 + excluded.area_m2;

    -- (an effect that came back to nothing: an old change set amended to no change)
    DELETE FROM totals_effect e
     USING (SELECT DISTINCT change_set_id FROM totals_pending WHERE txid = v_txid) t
     WHERE e.change_set_id = t.change_set_id AND e.parcels_delta = 0 AND e.area_delta_m2 = 0;

    SELECT max(cut_at) INTO v_last FROM totals_snapshot;
    SELECT count(*) INTO v_since
      FROM (SELECT 1 FROM totals_effect
             WHERE at > coalesce(v_last, '-infinity') LIMIT v_every) x;
    IF v_since >= v_every THEN
        SELECT at, change_set_id INTO v_cut, v_cs
          FROM totals_effect ORDER BY at DESC, change_set_id DESC LIMIT 1;
        PERFORM totals_take_snapshot(v_cut, v_cs);
    END IF;

    DELETE FROM totals_pending WHERE txid = v_txid;
    DELETE FROM totals_txn WHERE txid = v_txid;
    PERFORM set_config('parks.totals_committing', '', true);
    RETURN NULL;
END $$;

-- Every effect and snapshot re-derived from the parcel versions (the migration that
-- brings these tables to a database with history runs it), a snapshot each p_every
-- effect rows.
CREATE OR REPLACE FUNCTION totals_rebuild(p_every bigint DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_every bigint := coalesce(p_every, totals_snapshot_every());
    v_rows  bigint := 0;
    r       record;
BEGIN
    PERFORM 1 FROM ledger_head WHERE id FOR UPDATE;
    PERFORM set_config('parks.totals_committing', txid_current()::text, true);
    DELETE FROM totals_snapshot;
    DELETE FROM totals_effect;
    INSERT INTO totals_effect (change_set_id, park, land_use_code, status, at, parcels_delta,
                               area_delta_m2)
    SELECT d.change_set_id, d.park, d.land_use_code, d.status, c.committed_at, sum(d.n), sum(d.a)
      FROM (SELECT v.change_set_id, v.park, v.land_use_code, v.status, 1 AS n,
                   v.area_m2::numeric AS a
              FROM parcel_version v
            UNION ALL
            SELECT v.ended_by_change_set_id, v.park, v.land_use_code, v.status, -1,
                   -v.area_m2::numeric
              FROM parcel_version v WHERE v.ended_by_change_set_id IS NOT NULL) d
      JOIN change_set c ON c.id = d.change_set_id
     GROUP BY d.change_set_id, d.park, d.land_use_code, d.status, c.committed_at
    HAVING sum(d.n) <> 0 OR sum(d.a) <> 0;
    FOR r IN
        SELECT at, max(change_set_id) AS change_set_id, count(*) AS n
          FROM totals_effect GROUP BY at ORDER BY at
    LOOP
        v_rows := v_rows + r.n;
        IF v_rows >= v_every THEN
            PERFORM totals_take_snapshot(r.at, r.change_set_id);
            v_rows := 0;
        END IF;
    END LOOP;
    PERFORM set_config('parks.totals_committing', '', true);
END $$;

-- 3. Guards ---------------------------------------------------------------------------

-- The effects and snapshots are written by the commit above (and by totals_rebuild) only;
-- the pending rows and marks are emptied by it only (a client deleting its own pending
-- rows would leave the effects short of its change).
CREATE OR REPLACE FUNCTION totals_tables_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('parks.totals_committing', true) IS DISTINCT FROM txid_current()::text THEN
        RAISE EXCEPTION USING
            ERRCODE = 'MF002',
            MESSAGE = format('%s on %s is refused: only the commit of a change set writes it',
                             TG_OP, TG_TABLE_NAME);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

-- 4. Triggers -------------------------------------------------------------------------

DROP TRIGGER IF EXISTS parcel_version_totals_insert ON parcel_version;
CREATE TRIGGER parcel_version_totals_insert AFTER INSERT ON parcel_version
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION totals_collect_insert();
DROP TRIGGER IF EXISTS parcel_version_totals_update ON parcel_version;
CREATE TRIGGER parcel_version_totals_update AFTER UPDATE ON parcel_version
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION totals_collect_update();
DROP TRIGGER IF EXISTS parcel_version_totals_delete ON parcel_version;
CREATE TRIGGER parcel_version_totals_delete AFTER DELETE ON parcel_version
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION totals_collect_delete();

DROP TRIGGER IF EXISTS totals_record_at_commit ON totals_txn;
CREATE CONSTRAINT TRIGGER totals_record_at_commit AFTER INSERT ON totals_txn
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION totals_commit();

DROP TRIGGER IF EXISTS totals_effect_guard ON totals_effect;
CREATE TRIGGER totals_effect_guard BEFORE INSERT OR UPDATE OR DELETE ON totals_effect
    FOR EACH ROW EXECUTE FUNCTION totals_tables_guard();
DROP TRIGGER IF EXISTS totals_snapshot_guard ON totals_snapshot;
CREATE TRIGGER totals_snapshot_guard BEFORE INSERT OR UPDATE OR DELETE ON totals_snapshot
    FOR EACH ROW EXECUTE FUNCTION totals_tables_guard();
DROP TRIGGER IF EXISTS totals_pending_guard ON totals_pending;
CREATE TRIGGER totals_pending_guard BEFORE UPDATE OR DELETE ON totals_pending
    FOR EACH ROW EXECUTE FUNCTION totals_tables_guard();
DROP TRIGGER IF EXISTS totals_txn_guard ON totals_txn;
CREATE TRIGGER totals_txn_guard BEFORE UPDATE OR DELETE ON totals_txn
    FOR EACH ROW EXECUTE FUNCTION totals_tables_guard();

DROP TRIGGER IF EXISTS totals_effect_no_truncate ON totals_effect;
CREATE TRIGGER totals_effect_no_truncate BEFORE TRUNCATE ON totals_effect
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the effects are the record of the totals');
DROP TRIGGER IF EXISTS totals_snapshot_no_truncate ON totals_snapshot;
CREATE TRIGGER totals_snapshot_no_truncate BEFORE TRUNCATE ON totals_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the snapshots are the record of the totals');
DROP TRIGGER IF EXISTS totals_pending_no_truncate ON totals_pending;
CREATE TRIGGER totals_pending_no_truncate BEFORE TRUNCATE ON totals_pending
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the commit of a change set may');
DROP TRIGGER IF EXISTS totals_txn_no_truncate ON totals_txn;
CREATE TRIGGER totals_txn_no_truncate BEFORE TRUNCATE ON totals_txn
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('only the commit of a change set may');

"""Placement and the past enforced in the database; ledger row format 2.

* Placement at commit, whoever writes: the commit-time judgement (``rule_commit_check``)
  first checks the standing versions this transaction's change set made — none may share
  more than the tolerance (m², the policy row's: 0.01) of its interior with another standing
  version, nor lie more than that outside its park — and refuses with SQLSTATE ``MF003``
  (``parcel_placement_check``). A GiST probe per version made, never a scan of the city;
  a version that keeps the shape and park of the one it replaces is not judged again.
* The past can't be written: ``parcel_version_written_now`` (BEFORE INSERT OR UPDATE on
  parcel_version) refuses a version written closed, by another change set than this
  transaction's, or valid from another moment than that change set's; and
  ``change_set_written_now`` (BEFORE INSERT on change_set) a change set of another
  transaction or dated before the ledger's last row or in the future (``MF002``).
* Ledger row format 2: ``ledger.row_format`` (existing rows 1, verified as before); new
  rows are format 2, hashed by ``ledger_hash_v2`` over the high-water marks too.

The functions are service/db/sql/rule.sql, re-run here; the triggers are made here. Down
again, the commit check of before comes back (format-1 rows); ``row_format`` is dropped
unless format-2 rows exist, which keep it so that they stay verifiable.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE_SQL = Path(__file__).resolve().parents[2] / "sql" / "rule.sql"

log = logging.getLogger("alembic.runtime.migration")

#: The triggers this revision adds (the functions are rule.sql's).
TRIGGERS = (
    # Named to fire after parcel_version_stamp, which fills a missing change set and start.
    "CREATE TRIGGER parcel_version_written_now BEFORE INSERT OR UPDATE ON parcel_version "
    "FOR EACH ROW EXECUTE FUNCTION parcel_version_written_now()",
    "CREATE TRIGGER change_set_written_now BEFORE INSERT ON change_set "
    "FOR EACH ROW EXECUTE FUNCTION change_set_written_now()",
)

#: The functions this revision adds: the volatile ones run as the owner, nobody calls them.
VOLATILE_FUNCTIONS = (
    "parcel_placement_check(bigint, double precision)",
    "parcel_version_written_now()",
    "change_set_written_now()",
)
LEDGER_HASH_V2 = (
    "ledger_hash_v2(bigint, timestamptz, text, bigint, text, text, double precision, "
    "double precision, jsonb, jsonb, double precision, jsonb, text)"
)
#: Who may compute the hash (a pure function, as privileges.sql grants them).
HASH_READERS = ("parks_app", "parks_auditor")

# The commit check as it stood before this revision (format-1 rows, no placement check),
# written out here so that the way down never changes.
COMMIT_CHECK_BEFORE = r"""
CREATE OR REPLACE FUNCTION rule_commit_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
               < coalesce((v_high_parks ->> v_park.park)::double precision, 0)
                 - v_policy.tolerance_m2
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
"""


def _raw(sql: str) -> None:
    # The driver connection runs the text as one script: no bind-parameter parsing of the
    # '%s' and ':' inside PL/pgSQL bodies.
    op.get_bind().connection.driver_connection.execute(sql)


def _existing(roles: Sequence[str]) -> list[str]:
    found = op.get_bind().execute(
        sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:r) ORDER BY rolname"),
        {"r": list(roles)},
    )
    return list(found.scalars())


def upgrade() -> None:
    # Existing rows are format 1 (their hash covers what it always did); the commit check
    # writes format 2. IF NOT EXISTS: a database taken down and up again with format-2 rows
    # kept the column.
    op.execute(
        "ALTER TABLE ledger ADD COLUMN IF NOT EXISTS row_format smallint NOT NULL DEFAULT 1 "
        "CONSTRAINT ledger_row_format_known CHECK (row_format IN (1, 2))"
    )
    _raw(RULE_SQL.read_text(encoding="utf-8"))
    for statement in TRIGGERS:
        op.execute(statement)
    for function in (*VOLATILE_FUNCTIONS, LEDGER_HASH_V2):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    for role in _existing(HASH_READERS):
        op.execute(f"GRANT EXECUTE ON FUNCTION {LEDGER_HASH_V2} TO {role}")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS change_set_written_now ON change_set")
    op.execute("DROP TRIGGER IF EXISTS parcel_version_written_now ON parcel_version")
    _raw(COMMIT_CHECK_BEFORE)
    for function in (*VOLATILE_FUNCTIONS, LEDGER_HASH_V2):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    format_2 = op.get_bind().execute(sa.text("SELECT count(*) FROM ledger WHERE row_format = 2"))
    rows = format_2.scalar_one()
    if rows:
        # Dropping the column would make them format-1 rows whose hash no longer matches.
        log.warning(
            "%d ledger rows are of format 2: ledger.row_format is kept (rows written from "
            "now on are format 1 by its default)",
            rows,
        )
    else:
        op.execute("ALTER TABLE ledger DROP COLUMN row_format")

"""A session's commits look up the rule's record by index however young the city is: the
plans a session keeps (PL/pgSQL's, the foreign-key checks') are made while ``change_set``
and ``ledger`` hold a row or two after a load, and a plan that scans them then would scan
them at every commit as they grow a row a change set.

Real change sets through ``apply_change_set`` on a fresh copy of the loaded sample, in one
session, really committing; the scans counted by PostgreSQL's statistics.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.db.engine import make_engine

pytestmark = pytest.mark.integration

RECORD = ("change_set", "ledger")
COMMITS = 40


def _scans(url: str) -> dict[str, int]:
    """Sequential scans of the rule's record tables so far, as the statistics hold them."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            (list(RECORD),),
        ).fetchall()
    return dict(rows)


def _flush(engine) -> None:
    """Make the session report its counters: a backend sends them at the end of a
    transaction at most once a second."""
    time.sleep(1.1)
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))


def _status_changes(engine, n: int) -> list[ChangeSetRequest]:
    with engine.connect() as conn:
        codes = conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                "AND status = 'reserve' ORDER BY parcel_code LIMIT :n"
            ),
            {"n": n},
        ).scalars()
        return [
            ChangeSetRequest.model_validate(
                {
                    "kind": "set_status",
                    "reason": "plans test: a status change",
                    "operations": [{"op": "set_status", "parcel_code": code, "status": "ready"}],
                }
            )
            for code in codes
        ]


def test_a_sessions_commits_never_scan_the_change_sets_or_the_ledger(fresh_db_url):
    engine = make_engine(fresh_db_url, pool_size=1)
    try:
        changes = _status_changes(engine, COMMITS + 1)
        assert len(changes) == COMMITS + 1
        # The first commit makes the session's plans, with the record as the load left it.
        apply_change_set(engine, changes[0], actor="plans test", storage_srid=4545)
        _flush(engine)
        before = _scans(fresh_db_url)
        for change in changes[1:]:
            apply_change_set(engine, change, actor="plans test", storage_srid=4545)
        _flush(engine)
        after = _scans(fresh_db_url)
        with engine.connect() as conn:
            recorded = conn.execute(
                text("SELECT count(*) FROM change_set WHERE actor = 'plans test'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert recorded == COMMITS + 1
    assert {t: after[t] - before[t] for t in RECORD} == {t: 0 for t in RECORD}

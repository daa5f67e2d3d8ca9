"""The "as of" answers and the ledger tell the same history.

The ledger's running total at each row's moment must be what the parcel versions valid
at that moment add up to — otherwise an auditor asking "as of t" gets a state the ledger
never recorded. Checked for change sets made through the application and for two direct
SQL writers whose transactions overlap.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, pool
from support_audit import TOL_M2, make_history, pick, psycopg_url, query

from service.audit.queries import totals_as_of

pytestmark = pytest.mark.integration


def _mismatches(url: str) -> list[str]:
    """Ledger rows whose city total differs from the as-of total at their moment (and a
    microsecond before the next row)."""
    rows = query(url, "SELECT seq, at, total_city_m2 FROM ledger ORDER BY seq")
    engine = create_engine(url, poolclass=pool.NullPool)
    out = []
    try:
        with engine.connect() as conn:
            for (seq, at, total), following in zip(rows, [*rows[1:], None], strict=True):
                moments = [at]
                if following is not None and following[1] > at:
                    moments.append(following[1] - timedelta(microseconds=1))
                for moment in moments:
                    found = totals_as_of(conn, as_of=moment, group_by=["park"])["city"]
                    if abs(found["manufacturing_m2"] - total) > TOL_M2:
                        out.append(
                            f"ledger row {seq} at {moment.isoformat()}: ledger {total:.2f}, "
                            f"as of {found['manufacturing_m2']:.2f}"
                        )
    finally:
        engine.dispose()
    return out


def test_each_ledger_rows_total_is_the_as_of_total_at_its_moment(fresh_db_url):
    make_history(fresh_db_url)
    assert _mismatches(fresh_db_url) == []


def test_overlapping_direct_sql_writers_keep_as_of_totals_and_the_ledger_in_step(fresh_db_url):
    """Two transactions rezone storage land to industry with plain SQL; the one that
    started first tries to commit last. The as-of totals must still match the ledger rows
    (either the second writer waits for the first, or its versions are stamped so)."""
    x, _ = pick(fresh_db_url, "land_use_code = '0604' AND park = 'gaoxin'")
    y, _ = pick(fresh_db_url, "land_use_code = '0604' AND park = 'jiangtan'")
    sql = (
        "UPDATE parcel_version SET land_use_code = '0601' WHERE parcel_code = %s "
        "AND valid_to IS NULL"
    )
    first = psycopg.connect(psycopg_url(fresh_db_url))
    second = psycopg.connect(psycopg_url(fresh_db_url))
    try:
        first.execute(sql, (x,))

        def later_writer() -> None:
            second.execute(sql, (y,))  # may wait for the first writer, if it is serialised
            second.commit()

        thread = threading.Thread(target=later_writer)
        time.sleep(0.05)
        thread.start()
        thread.join(timeout=1.0)  # it commits now unless it waits for the first
        first.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
    finally:
        first.close()
        second.close()
    kinds = query(fresh_db_url, "SELECT kind FROM ledger ORDER BY seq")
    assert [k for (k,) in kinds] == ["register", "direct_sql", "direct_sql"]
    assert _mismatches(fresh_db_url) == []

"""The idle list's basis (idle_clock_basis) is kept by the database as contracts and
progress reports are written and corrected, and the list read from it says what the
reports say: a site's start reported, then its date corrected, moves the contract in and
out of the list; a day before a later report is still judged by the reports of that day.
The service's role can only read the basis. Writes really commit (fresh sample copy)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support_idle import contract_row, land_parcels, progress_row, write_records

from service.db.engine import make_engine
from service.supervision.idle import idle_land

pytestmark = pytest.mark.integration

AGREED_START = date(2023, 3, 1)
#: 600 days after the agreed start: not started by then, idle a year (365 ≤ 600 < 730).
AS_OF = date(2024, 10, 21)


@pytest.fixture
def engine(fresh_db_url):
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _basis(engine, contract_no: str):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT * FROM idle_clock_basis WHERE contract_no = :c"), {"c": contract_no}
        ).one_or_none()


def _stage(engine, contract_no: str, as_of: date) -> str | None:
    with engine.connect() as conn:
        rows = idle_land(conn, as_of=as_of)
    return next((r["stage"] for r in rows if r["contract_no"] == contract_no), None)


def test_a_contract_without_reports_has_an_empty_basis_and_runs_the_no_start_clock(engine):
    with engine.connect() as conn:
        (parcel,) = land_parcels(conn, 1)
    write_records(engine, [contract_row("BASIS-1", parcel, agreed_start_on=AGREED_START)], [], [])
    basis = _basis(engine, "BASIS-1")
    assert basis is not None and basis.last_event_on is None and basis.settled_on is None
    assert (AS_OF - AGREED_START).days == 600
    assert _stage(engine, "BASIS-1", AS_OF) == "idle_1y"


def test_a_start_and_its_correction_move_the_contract_in_and_out_of_the_list(engine):
    with engine.connect() as conn:
        (parcel,) = land_parcels(conn, 1)
    write_records(engine, [contract_row("BASIS-2", parcel, agreed_start_on=AGREED_START)], [], [])
    # started on time: not on a clock
    write_records(engine, [], [progress_row("BASIS-2", "2023-03-10", "start", 0, 0)], [])
    assert _basis(engine, "BASIS-2").settled_on == date(2023, 3, 10)
    assert _stage(engine, "BASIS-2", AS_OF) is None
    # the start was reported a year late: the report of 2023-03-10 is ended, one of
    # 2024-12-01 made; on AS_OF (before it) the site had not started
    with engine.begin() as conn:
        from service.changes.session import open_change_set
        from service.db.versioned_records import end_versions, put_versions

        cs = open_change_set(conn, kind="supervision", reason="corrected", actor="basis-test")
        end_versions(
            conn,
            change_set_id=cs.id,
            table="site_progress",
            keys=[{"contract_no": "BASIS-2", "reported_on": date(2023, 3, 10), "kind": "start"}],
        )
        put_versions(
            conn,
            change_set_id=cs.id,
            table="site_progress",
            rows=[progress_row("BASIS-2", "2024-12-01", "start", 0, 0)],
        )
    basis = _basis(engine, "BASIS-2")
    assert basis.settled_on == date(2024, 12, 1) and basis.last_event_on == date(2024, 12, 1)
    # AS_OF is before the last report: judged by the reports of that day (none): idle
    assert _stage(engine, "BASIS-2", AS_OF) == "idle_1y"
    # after the start: off the clock
    assert _stage(engine, "BASIS-2", date(2024, 12, 2)) is None


def test_a_stalled_site_is_on_the_clock_from_its_first_trailing_suspension(engine):
    with engine.connect() as conn:
        (parcel,) = land_parcels(conn, 1)
    write_records(
        engine,
        [contract_row("BASIS-3", parcel, agreed_start_on=AGREED_START)],
        [
            progress_row("BASIS-3", "2023-03-01", "start", 100, 10),
            progress_row("BASIS-3", "2023-04-01", "suspension", None, None),
            progress_row("BASIS-3", "2023-05-01", "suspension", None, None),
        ],
        [],
    )
    basis = _basis(engine, "BASIS-3")
    assert basis.stall_started_on == date(2023, 4, 1) and basis.started_on == date(2023, 3, 1)
    # 2023-04-01 + 730 days = 2025-03-31: idle two years on that day
    assert _stage(engine, "BASIS-3", date(2025, 3, 31)) == "idle_2y"
    write_records(engine, [], [progress_row("BASIS-3", "2024-01-01", "resumption", None, None)], [])
    assert _basis(engine, "BASIS-3").stall_started_on is None
    assert _stage(engine, "BASIS-3", date(2025, 3, 31)) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE idle_clock_basis SET settled_on = NULL",
        "DELETE FROM idle_clock_basis",
        "INSERT INTO idle_clock_basis (contract_no) VALUES ('FORGED')",
    ],
)
def test_the_service_role_cannot_write_the_basis(engine, statement):
    with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
        conn.execute(text(statement))

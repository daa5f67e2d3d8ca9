"""History is kept by the schema itself: one current version per parcel, validity periods
of a parcel never overlap, closed versions are never edited or deleted, and the table can't
be truncated — whatever client writes the SQL.

Only non-manufacturing parcels are touched and only status changes are committed, so the
manufacturing-land rule (judged at COMMIT) has nothing to say here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import support_reads as sr
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.exc import DBAPIError
from support_roles import owner_url

pytestmark = pytest.mark.integration

COPY_CURRENT = """
INSERT INTO parcel_version (parcel_code, park, land_use_code, status, holder, supply_mode,
                            supplied_on, geom, valid_from, valid_to, change_set_id)
SELECT parcel_code, park, land_use_code, status, holder, supply_mode, supplied_on, geom,
       {valid_from}, {valid_to}, change_set_id
  FROM parcel_version WHERE parcel_code = :code AND valid_to IS NULL
"""


@pytest.fixture(scope="module")
def residential_code() -> str:
    """A parcel the file classes as 0701 (urban residential): not manufacturing land."""
    parcels = sr.parcels()
    codes = parcels.loc[parcels["land_use_code"] == "0701", "parcel_code"]
    assert (~parcels.loc[codes.index, "land_use_code"].isin(sr.manufacturing_codes())).all()
    return codes.iloc[0]


@pytest.fixture(scope="module")
def history_url(databases, loaded_template, residential_code) -> str:
    """A copy of the loaded sample where *residential_code* has one committed status change,
    so it has a closed version. Shared by the module: every test below rolls back."""
    url = sr.database_url(databases.create(template=loaded_template))
    _commit_status_change(url, residential_code)
    return url


@pytest.fixture
def conn(history_url) -> Iterator[Connection]:
    """A connection as the database's owner (these tests take the schema's own layers
    apart to prove the one beneath), in a transaction rolled back at the end. The
    service's role can't do any of it: test_service_role_cannot_bypass_the_rule.py."""
    engine = create_engine(owner_url(history_url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        yield connection
        connection.rollback()
    engine.dispose()


def _closed_id(conn: Connection, code: str) -> int:
    return conn.execute(
        text(
            "SELECT version_id FROM parcel_version WHERE parcel_code = :c AND valid_to IS NOT NULL"
        ),
        {"c": code},
    ).scalar_one()


def _without_the_written_now_guard(conn: Connection) -> None:
    """Set aside, inside the test's rolled-back transaction, the guard that refuses any
    version inserted closed or dated other than its change set (parcel_version_written_now,
    proved in test_history_cannot_be_backdated.py): the layer beneath it is what is proved."""
    conn.execute(text("ALTER TABLE parcel_version DISABLE TRIGGER parcel_version_written_now"))


def _sqlstate(exc: pytest.ExceptionInfo[DBAPIError]) -> tuple[str, str | None]:
    orig = exc.value.orig
    return orig.sqlstate, getattr(orig.diag, "constraint_name", None)


def _commit_status_change(url: str, code: str) -> int:
    """Commit a status-only change of *code* as a change set; return the closed version's id."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as c:
            cs = c.execute(
                text(
                    "INSERT INTO change_set (kind, reason, actor) "
                    "VALUES ('set_status', 'history test', 'test') RETURNING id, committed_at"
                )
            ).one()
            closed = c.execute(
                text(
                    "UPDATE parcel_version SET valid_to = :at, ended_by_change_set_id = :cs "
                    "WHERE parcel_code = :code AND valid_to IS NULL RETURNING version_id"
                ),
                {"at": cs.committed_at, "cs": cs.id, "code": code},
            ).scalar_one()
            c.execute(
                text(
                    "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom, "
                    "valid_from, change_set_id) SELECT parcel_code, park, land_use_code, 'idle', "
                    "geom, :at, :cs FROM parcel_version WHERE version_id = :v"
                ),
                {"at": cs.committed_at, "cs": cs.id, "v": closed},
            )
        return closed
    finally:
        engine.dispose()


def test_a_second_current_version_of_a_parcel_is_refused(conn, residential_code):
    sql = COPY_CURRENT.format(valid_from="clock_timestamp()", valid_to="NULL")
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"code": residential_code})
    # Either guard may fire first: the unique partial index or the period exclusion.
    assert _sqlstate(caught) in {
        ("23505", "parcel_one_current_version"),
        ("23P01", "parcel_periods_do_not_overlap"),
    }


def test_the_unique_current_version_index_alone_refuses_a_second_current_version(
    conn, residential_code
):
    # Without the period checks (the exclusion constraint over closed versions and the
    # insert-time check of the standing one, both dropped inside this rolled-back
    # transaction), the unique partial index still holds the line.
    conn.execute(text("ALTER TABLE parcel_version DROP CONSTRAINT parcel_periods_do_not_overlap"))
    conn.execute(text("ALTER TABLE parcel_version DISABLE TRIGGER parcel_version_stamp"))
    _without_the_written_now_guard(conn)
    sql = COPY_CURRENT.replace("change_set_id)", "change_set_id, content_sha256)").replace(
        "change_set_id\n", "change_set_id, content_sha256\n"
    )
    sql = sql.format(valid_from="clock_timestamp()", valid_to="NULL")
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"code": residential_code})
    assert _sqlstate(caught) == ("23505", "parcel_one_current_version")


def test_overlapping_validity_periods_of_one_parcel_are_refused(conn, residential_code):
    # A closed version that ends an hour after the current one began overlaps it.
    sql = COPY_CURRENT.format(
        valid_from="valid_from - interval '1 day'", valid_to="valid_from + interval '1 hour'"
    )
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"code": residential_code})
    assert _sqlstate(caught) == ("23P01", "parcel_periods_do_not_overlap")


def test_a_closed_period_that_ends_where_the_history_begins_is_accepted(conn, residential_code):
    _without_the_written_now_guard(conn)
    first = "(SELECT min(valid_from) FROM parcel_version WHERE parcel_code = :code)"
    sql = COPY_CURRENT.format(valid_from=f"{first} - interval '1 day'", valid_to=first)
    assert conn.execute(text(sql), {"code": residential_code}).rowcount == 1


def test_a_period_that_ends_before_it_begins_is_refused(conn, residential_code):
    _without_the_written_now_guard(conn)
    sql = COPY_CURRENT.format(
        valid_from="valid_from - interval '1 day'", valid_to="valid_from - interval '2 days'"
    )
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"code": residential_code})
    assert _sqlstate(caught) == ("23514", "parcel_period_order")


def test_a_status_change_keeps_the_old_version_closed_at_the_moment_the_new_one_begins(
    conn, residential_code
):
    closed_id = _closed_id(conn, residential_code)
    versions = conn.execute(
        text(
            "SELECT version_id, status, valid_from, valid_to FROM parcel_version "
            "WHERE parcel_code = :code ORDER BY valid_from"
        ),
        {"code": residential_code},
    ).all()
    assert len(versions) == 2
    old, new = versions
    assert old.version_id == closed_id and old.valid_to == new.valid_from
    assert new.valid_to is None and new.status == "idle"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE parcel_version SET holder = 'rewritten' WHERE version_id = :v",
        "UPDATE parcel_version SET valid_to = valid_to + interval '1 second' WHERE version_id = :v",
        "DELETE FROM parcel_version WHERE version_id = :v",
    ],
    ids=["update-attribute", "update-period", "delete"],
)
def test_a_closed_version_can_never_be_changed_or_deleted(conn, residential_code, statement):
    closed_id = _closed_id(conn, residential_code)
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(statement), {"v": closed_id})
    assert caught.value.orig.sqlstate == "MF002"
    message = caught.value.orig.diag.message_primary
    assert residential_code in message and "history is kept forever" in message


def test_the_current_version_may_still_be_closed_by_sql(conn, residential_code):
    # The guard protects the past only: closing the current version is how change sets work.
    updated = conn.execute(
        text(
            "UPDATE parcel_version SET valid_to = clock_timestamp() "
            "WHERE parcel_code = :code AND valid_to IS NULL"
        ),
        {"code": residential_code},
    ).rowcount
    assert updated == 1


def test_truncating_parcel_history_is_refused(conn):
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text("TRUNCATE parcel_version"))
    assert caught.value.orig.sqlstate == "MF002"
    assert "parcel history is kept forever" in caught.value.orig.diag.message_primary


@pytest.mark.parametrize("table", ["change_set", "land_use_class"])
def test_truncating_the_tables_history_refers_to_is_refused(conn, table):
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(f"TRUNCATE {table} CASCADE"))
    assert caught.value.orig.sqlstate == "MF002"


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("status", "'demolished'", "parcel_status_known"),
        ("supply_mode", "'gift'", "parcel_supply_mode"),
        (
            "geom",
            "ST_Multi(ST_GeomFromText('POLYGON((0 0, 10 10, 10 0, 0 10, 0 0))', 4545))",
            "parcel_geom_valid",
        ),
    ],
)
def test_a_version_with_an_unknown_status_mode_or_invalid_geometry_is_refused(
    conn, residential_code, column, value, constraint
):
    columns = ["status", "supply_mode", "geom"]
    select = ", ".join(value if c == column else c for c in columns)
    closed = conn.execute(
        text(
            "UPDATE parcel_version SET valid_to = clock_timestamp() "
            "WHERE parcel_code = :code AND valid_to IS NULL RETURNING version_id"
        ),
        {"code": residential_code},
    ).scalar_one()
    with pytest.raises(DBAPIError) as caught:
        conn.execute(
            text(
                "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, "
                "supply_mode, geom, valid_from, change_set_id) "
                # standing from the moment, and by the change set, that closed it: what
                # this transaction may write
                f"SELECT parcel_code, park, land_use_code, {select}, valid_to, "
                "ended_by_change_set_id FROM parcel_version WHERE version_id = :v"
            ),
            {"v": closed},
        )
    assert _sqlstate(caught) == ("23514", constraint)


def test_a_standing_version_that_begins_inside_a_closed_period_is_refused(conn, residential_code):
    # Retire the parcel (close its standing version), then try to make it stand again from
    # a moment inside its closed history: the insert-time period check refuses it.
    conn.execute(
        text(
            "UPDATE parcel_version SET valid_to = clock_timestamp() "
            "WHERE parcel_code = :code AND valid_to IS NULL"
        ),
        {"code": residential_code},
    )
    sql = COPY_CURRENT.replace("AND valid_to IS NULL", "AND version_id = :v").format(
        valid_from="valid_from + interval '1 microsecond'", valid_to="NULL"
    )
    first = conn.execute(
        text("SELECT min(version_id) FROM parcel_version WHERE parcel_code = :c"),
        {"c": residential_code},
    ).scalar_one()
    with pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), {"code": residential_code, "v": first})
    assert _sqlstate(caught) == ("23P01", "parcel_periods_do_not_overlap")

"""The past can't be written, whoever writes the SQL: a parcel version is inserted standing,
by this transaction's change set, valid from that change set's moment; a change set is this
transaction's and dated now — not before the ledger's last row, not in the future. Each
refusal is SQLSTATE MF002 naming the column. The application's own changes still pass.

Plain SQL over psycopg (as the fixtures' role) on a copy of the loaded sample; each refused
statement is refused as it runs, and its transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
import shapely
from support_changes import change_set, engine_for, free_box, url_for

pytestmark = pytest.mark.integration

NEW_VERSION = (
    "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom{columns}) "
    "SELECT 'PAST-1', 'gaoxin', '0701', 'reserve', ST_Multi(ST_GeomFromWKB(%(wkb)s, 4545)){values} "
    "FROM change_set c WHERE c.txid = txid_current()"
)


@pytest.fixture(scope="module")
def url(databases, loaded_template) -> str:
    return url_for(databases.create(template=loaded_template))


@pytest.fixture(scope="module")
def wkb(url) -> bytes:
    """A free square in gaoxin: where a new parcel may stand."""
    with engine_for(url) as engine, engine.connect() as conn:
        return shapely.to_wkb(free_box(conn, "gaoxin", size_m=30))


@pytest.fixture
def conn(url) -> Iterator[psycopg.Connection]:
    """A connection whose transaction has recorded a change set; rolled back afterwards."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(
            "INSERT INTO change_set (kind, reason, actor) VALUES ('register', 'past', 'test')"
        )
        yield connection
        connection.rollback()


def _refused(conn: psycopg.Connection, sql: str, args=None) -> str:
    with pytest.raises(psycopg.Error) as refused:
        conn.execute(sql, args)
    assert refused.value.sqlstate == "MF002", refused.value
    return refused.value.diag.message_primary


def _last_ledger_at(conn: psycopg.Connection):
    return conn.execute("SELECT at FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()[0]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("valid_to", "c.committed_at + interval '1 hour'"),
        ("ended_by_change_set_id", "c.id"),
    ],
)
def test_a_version_inserted_closed_is_refused(conn, wkb, column, value):
    message = _refused(
        conn, NEW_VERSION.format(columns=f", {column}", values=f", {value}"), {"wkb": wkb}
    )
    assert f"{column} is set" in message and "PAST-1" in message


@pytest.mark.parametrize(
    "shift", ["- interval '1 day'", "- interval '1 microsecond'", "+ interval '1 second'"]
)
def test_a_version_valid_from_another_moment_than_its_change_set_is_refused(conn, wkb, shift):
    message = _refused(
        conn,
        NEW_VERSION.format(
            columns=", valid_from, change_set_id", values=f", c.committed_at {shift}, c.id"
        ),
        {"wkb": wkb},
    )
    assert "valid_from" in message and "PAST-1" in message


def test_a_version_of_another_change_set_is_refused(conn, wkb):
    message = _refused(
        conn,
        NEW_VERSION.format(
            columns=", valid_from, change_set_id",
            values=", c.committed_at, (SELECT min(id) FROM change_set)",
        ),
        {"wkb": wkb},
    )
    assert "change_set_id" in message and "PAST-1" in message


def test_a_version_written_now_is_accepted_and_cannot_be_redated_in_place(conn, wkb):
    conn.execute(
        NEW_VERSION.format(columns=", valid_from, change_set_id", values=", c.committed_at, c.id"),
        {"wkb": wkb},
    )
    message = _refused(
        conn,
        "UPDATE parcel_version SET valid_from = valid_from - interval '1 year' "
        "WHERE parcel_code = 'PAST-1'",
    )
    assert "valid_from" in message


def test_a_change_set_dated_before_the_ledgers_last_row_is_refused(url):
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        last_at = _last_ledger_at(conn)
        message = _refused(
            conn,
            "INSERT INTO change_set (kind, reason, actor, committed_at) "
            "VALUES ('rezone', 'backdated', 'test', %s)",
            (last_at - timedelta(microseconds=1),),
        )
        assert "committed_at" in message and "backdated" in message
        conn.rollback()
        # the moment of the last row itself is not the past
        conn.execute(
            "INSERT INTO change_set (kind, reason, actor, committed_at) "
            "VALUES ('rezone', 'at the last row', 'test', %s)",
            (last_at,),
        )
        conn.rollback()


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("committed_at", "clock_timestamp() + interval '1 day'", "in the future"),
        ("txid", "txid_current() - 1", "not this transaction's"),
    ],
)
def test_a_change_set_of_another_moment_or_transaction_is_refused(url, column, value, says):
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        message = _refused(
            conn,
            f"INSERT INTO change_set (kind, reason, actor, {column}) "
            f"VALUES ('rezone', 'forged', 'test', {value})",
        )
    assert column in message and says in message


def test_a_change_through_the_api_is_accepted_and_dated_by_its_change_set(
    url, make_client, make_token
):
    with engine_for(url) as engine, engine.connect() as c:
        code = c.exec_driver_sql(
            "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND status = 'reserve' "
            "ORDER BY parcel_code LIMIT 1"
        ).scalar_one()
        before = c.exec_driver_sql("SELECT max(at) FROM ledger").scalar_one()
    client = make_client(url)
    response = client.post(
        "/api/change-sets",
        json=change_set("set_status", {"op": "set_status", "parcel_code": code, "status": "ready"}),
        headers=make_token(url, "editor"),
    )
    assert response.status_code == 201, response.text
    with engine_for(url) as engine, engine.connect() as c:
        committed_at, valid_from, closed_at, ledger_at = c.exec_driver_sql(
            "SELECT s.committed_at, n.valid_from, o.valid_to, l.at FROM change_set s "
            "JOIN parcel_version n ON n.change_set_id = s.id "
            "JOIN parcel_version o ON o.ended_by_change_set_id = s.id "
            "JOIN ledger l ON l.change_set_id = s.id WHERE s.id = %s",
            (response.json()["id"],),
        ).one()
    assert committed_at == valid_from == closed_at == ledger_at
    assert committed_at >= before

"""Ledger row format 2: the hash of every row written now covers the high-water marks too
(city and per park), so they cannot be edited without breaking the chain; rows written
before (format 1) keep their hash and keep verifying.

Hashes are recomputed by the tests' own implementation of the canonical text
(support_changes.ledger_hash), not the service's.
"""

from __future__ import annotations

import psycopg
import pytest
from alembic import command
from support_audit import make_history, tampering
from support_changes import (
    GENESIS_HASH,
    engine_for,
    hash_chain_problems,
    ledger_hash,
    ledger_rows,
    url_for,
)
from support_roles import owner_url

from service.audit.verify import verify
from service.db.migrate import alembic_config, upgrade

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def history_url(databases, loaded_template) -> str:
    url = url_for(databases.create(template=loaded_template))
    make_history(url)  # ledger rows 2-4: a gain, a compensated rezone, a status change
    return url


def _rows(url: str) -> list[dict]:
    with engine_for(url) as engine, engine.connect() as conn:
        return ledger_rows(conn)


def _verified(url: str) -> dict:
    with engine_for(url) as engine, engine.connect() as conn:
        return verify(conn).body()


def test_rows_written_now_are_format_2_and_their_hash_covers_the_high_water_marks(history_url):
    rows = _rows(history_url)
    assert [r["row_format"] for r in rows] == [2, 2, 2, 2]
    assert hash_chain_problems(rows) == []
    for row in rows:
        assert ledger_hash(row) == row["hash"]
        # the same row read as format 1 (no high-water marks) would not match
        assert ledger_hash({**row, "row_format": 1}) != row["hash"]
    # the gain raised the marks the later hashes cover
    assert rows[1]["high_water_city_m2"] > rows[0]["high_water_city_m2"]
    assert _verified(history_url)["problems"] == []


@pytest.mark.parametrize(
    "edit",
    [
        "high_water_city_m2 = high_water_city_m2 + 0.001",
        "high_water_parks = jsonb_set(high_water_parks, '{gaoxin}', "
        "to_jsonb((high_water_parks ->> 'gaoxin')::float8 + 0.001))",
    ],
    ids=["city", "park"],
)
def test_an_edited_high_water_mark_of_a_format_2_row_breaks_its_hash(history_url, edit):
    # 0.001 m² is within the tolerance of the running-maximum checks: only the hash can tell.
    with tampering(owner_url(history_url)) as t:
        t("ledger", f"UPDATE ledger SET {edit} WHERE seq = 3")
        body = t.verify()
    assert body["chain_ok"] is False
    assert [(p["check"], p["ledger_seq"]) for p in body["problems"]] == [("hash", 3)]


PARCEL = (
    "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom) "
    "VALUES (%s, 'old', %s, 'reserve', ST_Multi(ST_MakeEnvelope(%s, 3800100, %s, 3800300, 4545)))"
)


def test_a_database_with_format_1_rows_from_revision_0012_keeps_verifying(empty_db_url):
    owner = owner_url(empty_db_url)
    upgrade(owner)
    command.downgrade(alembic_config(owner), "0012")
    dsn = owner.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        # history written at 0012 by plain SQL: a park, then two parcels, two change sets
        conn.execute(
            "INSERT INTO park (code, name_zh, name_en, boundary) VALUES ('old', '旧园', 'old', "
            "ST_Multi(ST_MakeEnvelope(500000, 3800000, 501000, 3801000, 4545)))"
        )
        conn.commit()
        conn.execute(PARCEL, ("OLD-1", "0601", 500100, 500300))
        conn.commit()
        conn.execute(PARCEL, ("OLD-2", "0604", 500300, 500500))
        conn.commit()
    upgrade(owner)
    rows = _rows(empty_db_url)
    assert [r["row_format"] for r in rows] == [1, 1]
    assert hash_chain_problems(rows) == [] and rows[0]["prev_hash"] == GENESIS_HASH
    assert _verified(empty_db_url)["problems"] == []

    with psycopg.connect(empty_db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "UPDATE parcel_version SET land_use_code = '0601' WHERE parcel_code = 'OLD-2' "
            "AND valid_to IS NULL"
        )
        conn.commit()
    rows = _rows(empty_db_url)
    assert [r["row_format"] for r in rows] == [1, 1, 2]
    assert rows[2]["prev_hash"] == rows[1]["hash"]
    assert hash_chain_problems(rows) == []
    assert _verified(empty_db_url)["problems"] == []

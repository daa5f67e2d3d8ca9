"""The rule in the database: whatever writes the parcels, a loss is refused at COMMIT.

Raw SQL over psycopg on a fresh copy of the loaded sample, really committing.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest
import shapely
from support_changes import (
    GENESIS_HASH,
    engine_for,
    every_table_fingerprint,
    find_parcels,
    hash_chain_problems,
    last_ledger,
    ledger_hash,
    ledger_rows,
    manufacturing_totals,
    parcel,
    url_for,
)
from support_roles import owner_url

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def untouched_db_url(databases, loaded_template):
    """A copy of the sample shared by the tests whose writes are all refused: each proves
    that its refused transaction left every table as it was, so they cannot disturb one
    another (and a database per test costs seconds)."""
    return url_for(databases.create(template=loaded_template))


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _money(x: float) -> str:
    """*x* rounded to 2 decimals the way PostgreSQL's round(numeric) does."""
    return str(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _commit_refused(conn: psycopg.Connection, sqlstate: str = "MF001") -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        conn.commit()
    assert info.value.sqlstate == sqlstate, info.value
    return info.value


def _area(url: str, code: str) -> float:
    with engine_for(url) as engine, engine.connect() as conn:
        return float(shapely.area(parcel(conn, code)["geom"]))


def _pick(url: str, where: str, n: int = 1) -> list[str]:
    with engine_for(url) as engine, engine.connect() as conn:
        return find_parcels(conn, where, limit=n)


def _fingerprints(url: str):
    with engine_for(url) as engine, engine.connect() as conn:
        return every_table_fingerprint(conn, except_=())


def test_rezoning_industrial_land_by_sql_is_refused_at_commit_with_the_shortfall(untouched_db_url):
    (code,) = _pick(untouched_db_url, "v.land_use_code = '0601'")
    area = _area(untouched_db_url, code)
    before = _fingerprints(untouched_db_url)
    with _connect(untouched_db_url) as conn:
        # The statement itself goes through (as a new version); the COMMIT is judged.
        conn.execute(
            "UPDATE parcel_version SET land_use_code = '0701' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (code,),
        )
        error = _commit_refused(conn)
    message = error.diag.message_primary
    assert f"{_money(area)} m² below its high-water mark" in message
    assert f"{Decimal(repr(area * 15 / 10000)).quantize(Decimal('0.0001'), ROUND_HALF_UP)} 亩" in (
        message
    )
    assert code in message
    detail = json.loads(error.diag.message_detail)
    assert detail["scope"] == "city"
    assert detail["shortfall_m2"] == pytest.approx(area, abs=1e-6)
    assert detail["total_before_m2"] - detail["total_after_m2"] == pytest.approx(area, abs=1e-6)
    assert detail["parcels"] == [code]
    assert _fingerprints(untouched_db_url) == before


def test_deleting_the_current_version_of_an_industrial_parcel_is_refused(untouched_db_url):
    (code,) = _pick(untouched_db_url, "v.land_use_code = '0601'")
    area = _area(untouched_db_url, code)
    before = _fingerprints(untouched_db_url)
    with _connect(untouched_db_url) as conn:
        conn.execute("DELETE FROM parcel_version WHERE parcel_code = %s", (code,))
        error = _commit_refused(conn)
    assert json.loads(error.diag.message_detail)["shortfall_m2"] == pytest.approx(area, abs=1e-6)
    assert f"{_money(area)} m²" in error.diag.message_primary
    assert _fingerprints(untouched_db_url) == before


def test_shrinking_an_industrial_parcels_geometry_is_refused(untouched_db_url):
    (code,) = _pick(untouched_db_url, "v.land_use_code = '0601'")
    with engine_for(untouched_db_url) as engine, engine.connect() as c:
        geom = parcel(c, code)["geom"]
    smaller = shapely.MultiPolygon([geom.geoms[0].buffer(-2.0, join_style="mitre")])
    loss = float(shapely.area(geom) - shapely.area(smaller))
    assert loss > 100
    before = _fingerprints(untouched_db_url)
    with _connect(untouched_db_url) as conn:
        conn.execute(
            "UPDATE parcel_version SET geom = ST_SetSRID(ST_GeomFromWKB(%s), 4545) "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (shapely.to_wkb(smaller), code),
        )
        error = _commit_refused(conn)
    detail = json.loads(error.diag.message_detail)
    assert detail["shortfall_m2"] == pytest.approx(loss, abs=1e-4)
    assert f"{_money(loss)} m²" in error.diag.message_primary
    assert _fingerprints(untouched_db_url) == before


def test_turning_off_the_manufacturing_flag_of_a_class_is_refused(untouched_db_url):
    with engine_for(untouched_db_url) as engine, engine.connect() as c:
        city, _ = manufacturing_totals(c)
    before = _fingerprints(untouched_db_url)
    with _connect(untouched_db_url) as conn:
        # Through the audited admin function (the service's role may not UPDATE the class).
        conn.execute(
            "SELECT admin_set_class_manufacturing('0601', false, 'tester', 'flag flip test')"
        )
        error = _commit_refused(conn)
    detail = json.loads(error.diag.message_detail)
    assert detail["shortfall_m2"] == pytest.approx(city, abs=0.01)
    assert detail["total_after_m2"] == pytest.approx(0.0, abs=0.01)
    assert _fingerprints(untouched_db_url) == before


def test_a_loss_compensated_in_the_same_sql_transaction_is_accepted_as_direct_sql(fresh_db_url):
    (loser,) = _pick(fresh_db_url, "v.land_use_code = '0601' AND v.area_m2 < 20000")
    loss = _area(fresh_db_url, loser)
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        (gainer,) = find_parcels(
            c, "v.land_use_code = '0701' AND v.area_m2 > :a", {"a": loss}, limit=1
        )
    gain = _area(fresh_db_url, gainer)
    assert gain > loss
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        seq_before = last_ledger(c)["seq"]
        city_before, _ = manufacturing_totals(c)
    with _connect(fresh_db_url) as conn:
        conn.execute(
            "UPDATE parcel_version SET land_use_code = '0701' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (loser,),
        )
        conn.execute(
            "UPDATE parcel_version SET land_use_code = '0601' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (gainer,),
        )
        conn.commit()
        user = conn.execute("SELECT session_user").fetchone()[0]
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        rows = ledger_rows(c)
        city_after, _ = manufacturing_totals(c)
        change = c.exec_driver_sql(
            "SELECT kind, actor FROM change_set WHERE id = %s", (rows[-1]["change_set_id"],)
        ).one()
    assert [r["seq"] for r in rows][-2:] == [seq_before, seq_before + 1]
    last = rows[-1]
    assert last["kind"] == "direct_sql"
    assert tuple(change) == ("direct_sql", user)
    assert last["actor"] == user
    assert last["delta_city_m2"] == pytest.approx(gain - loss, abs=1e-6)
    assert last["total_city_m2"] == pytest.approx(city_after, abs=0.01)
    assert city_after - city_before == pytest.approx(gain - loss, abs=1e-6)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger SET total_city_m2 = total_city_m2 + 1 WHERE seq = 1",
        "DELETE FROM ledger WHERE seq = 1",
        "TRUNCATE ledger CASCADE",
    ],
    ids=["update", "delete", "truncate"],
)
def test_the_ledger_is_append_only(untouched_db_url, statement):
    # As the owner, who holds every privilege on it: the trigger still refuses. (The
    # service's role has no privilege to try: test_service_role_cannot_bypass_the_rule.py.)
    before = _fingerprints(untouched_db_url)
    with _connect(owner_url(untouched_db_url)) as conn, pytest.raises(psycopg.Error) as info:
        conn.execute(statement)
        conn.commit()
    assert info.value.sqlstate == "MF002"
    assert "append-only" in info.value.diag.message_primary
    assert _fingerprints(untouched_db_url) == before


def _set_status_via_service(url: str, code: str, status: str) -> int:
    request = ChangeSetRequest.model_validate(
        {
            "kind": "set_status",
            "reason": "test",
            "operations": [{"op": "set_status", "parcel_code": code, "status": status}],
        }
    )
    with engine_for(url) as engine:
        return apply_change_set(engine, request, actor="tester", storage_srid=4545).id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE parcel_version SET land_use_code = '0701' WHERE version_id = %(v)s",
        "DELETE FROM parcel_version WHERE version_id = %(v)s",
    ],
    ids=["update", "delete"],
)
def test_a_closed_parcel_version_cannot_be_edited(untouched_db_url, statement):
    (code,) = _pick(untouched_db_url, "v.land_use_code = '0701' AND v.status = 'operating'")
    _set_status_via_service(untouched_db_url, code, "idle")
    with _connect(untouched_db_url) as conn:
        closed = conn.execute(
            "SELECT version_id FROM parcel_version WHERE parcel_code = %s AND valid_to IS NOT NULL",
            (code,),
        ).fetchone()[0]
    before = _fingerprints(untouched_db_url)
    with _connect(untouched_db_url) as conn, pytest.raises(psycopg.Error) as info:
        conn.execute(statement, {"v": closed})
        conn.commit()
    assert info.value.sqlstate == "MF002"
    assert _fingerprints(untouched_db_url) == before


@pytest.mark.parametrize("table", ["parcel_version", "change_set", "land_use_class"])
def test_history_tables_cannot_be_truncated(untouched_db_url, table):
    # As the owner (the service's role may not TRUNCATE at all).
    with _connect(owner_url(untouched_db_url)) as conn, pytest.raises(psycopg.Error) as info:
        conn.execute(f"TRUNCATE {table} CASCADE")
    assert info.value.sqlstate == "MF002"


def test_closing_a_version_by_sql_neither_rewrites_what_it_was_nor_backdates_its_end(
    fresh_db_url,
):
    """Closing a standing version (setting valid_to) is a write the history guard lets
    through; it must not carry other edits into the closed version, nor end it at a moment
    of the writer's choosing — either would change what the city held "as of" the past."""
    rewritten, backdated = _pick(fresh_db_url, "v.land_use_code = '0701'", n=2)
    with _connect(fresh_db_url) as conn:
        was = conn.execute(
            "SELECT land_use_code, status, holder FROM parcel_version "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (rewritten,),
        ).fetchone()
    for statement, code in [
        (
            "UPDATE parcel_version SET valid_to = clock_timestamp(), land_use_code = '0601', "
            "status = 'operating', holder = 'forged' WHERE parcel_code = %s AND valid_to IS NULL",
            rewritten,
        ),
        (
            "UPDATE parcel_version SET valid_to = valid_from + interval '1 second' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            backdated,
        ),
    ]:
        with _connect(fresh_db_url) as conn:
            try:
                conn.execute(statement, (code,))
                conn.commit()
            except psycopg.Error as exc:  # refusing the write is a fine answer too
                assert exc.sqlstate == "MF002", exc
    with _connect(fresh_db_url) as conn:
        closed = conn.execute(
            "SELECT land_use_code, status, holder FROM parcel_version "
            "WHERE parcel_code = %s ORDER BY valid_from LIMIT 1",
            (rewritten,),
        ).fetchone()
        ended = conn.execute(
            "SELECT v.valid_to, c.committed_at FROM parcel_version v "
            "LEFT JOIN change_set c ON c.id = v.ended_by_change_set_id "
            "WHERE v.parcel_code = %s AND v.valid_to IS NOT NULL",
            (backdated,),
        ).fetchall()
    assert closed == was, "the closed version's content was rewritten"
    for valid_to, committed_at in ended:
        assert valid_to == committed_at, "the version was closed at a moment of SQL's choosing"


def test_the_ledgers_hash_chain_recomputes_from_its_canonical_text(fresh_db_url):
    # A few rows of every origin: the load, a service change set (with a document number
    # and a zero delta), and two raw SQL transactions with deltas in two parks.
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        loaded = len(ledger_rows(c))
    (code,) = _pick(fresh_db_url, "v.land_use_code = '0701' AND v.status = 'operating'")
    _set_status_via_service(fresh_db_url, code, "idle")
    gx, jt = (
        _pick(fresh_db_url, "v.land_use_code = '0701' AND v.park = 'gaoxin'")[0],
        _pick(fresh_db_url, "v.land_use_code = '0810' AND v.park = 'jiangtan'")[0],
    )
    for target in (gx, jt):
        with _connect(fresh_db_url) as conn:
            conn.execute(
                "UPDATE parcel_version SET land_use_code = '0601' "
                "WHERE parcel_code = %s AND valid_to IS NULL",
                (target,),
            )
            conn.commit()
    request = ChangeSetRequest.model_validate(
        {
            "kind": "rezone",
            "reason": "链式校验",
            "document_no": "宝政土〔2026〕17号",
            "operations": [{"op": "rezone", "parcel_code": code, "land_use_code": "0601"}],
        }
    )
    with engine_for(fresh_db_url) as engine:
        apply_change_set(engine, request, actor="审计员 α", storage_srid=4545)
        with engine.connect() as c:
            rows = ledger_rows(c)
    assert len(rows) == loaded + 4
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert [r["kind"] for r in rows[loaded:]] == [
        "set_status",
        "direct_sql",
        "direct_sql",
        "rezone",
    ]
    assert [r["document_no"] for r in rows][-1] == "宝政土〔2026〕17号"
    assert {r["actor"] for r in rows[loaded:]} >= {"审计员 α", "tester"}
    assert hash_chain_problems(rows) == []
    for row in rows:
        assert ledger_hash(row) == row["hash"]


def test_the_hash_chain_check_detects_a_changed_row(untouched_db_url):
    # The verifier the other tests trust must be able to fail: alter a copy of a row.
    with engine_for(untouched_db_url) as engine, engine.connect() as c:
        rows = ledger_rows(c)
    assert hash_chain_problems(rows) == []
    first = rows[0]
    for field, value in [
        ("total_city_m2", first["total_city_m2"] + 0.001),
        ("actor", "someone else"),
        ("total_parks", {**first["total_parks"], "gaoxin": 1.0}),
        ("at", first["at"] + timedelta(microseconds=1)),
        ("prev_hash", "f" * 64),
        # format 2 (every row written since the load): the high-water marks too
        ("high_water_city_m2", first["high_water_city_m2"] + 0.001),
        ("high_water_parks", {**first["high_water_parks"], "gaoxin": 1.0}),
    ]:
        assert hash_chain_problems([{**first, field: value}, *rows[1:]]), field


def _rezone_pair_across_parks(url: str) -> tuple[str, float, str, float]:
    (loser,) = _pick(url, "v.land_use_code = '0601' AND v.park = 'gaoxin' AND v.area_m2 < 15000")
    loss = _area(url, loser)
    with engine_for(url) as engine, engine.connect() as c:
        (gainer,) = find_parcels(
            c,
            "v.land_use_code = '0701' AND v.park = 'jiangtan' AND v.area_m2 > :a",
            {"a": loss},
            limit=1,
        )
    return loser, loss, gainer, _area(url, gainer)


def _rezone_both(url: str, loser: str, gainer: str) -> None:
    with _connect(url) as conn:
        for code, cls in ((loser, "0701"), (gainer, "0601")):
            conn.execute(
                "UPDATE parcel_version SET land_use_code = %s "
                "WHERE parcel_code = %s AND valid_to IS NULL",
                (cls, code),
            )
        conn.commit()


def test_the_per_park_floor_refuses_a_parks_loss_that_the_default_policy_accepts(fresh_db_url):
    loser, loss, gainer, gain = _rezone_pair_across_parks(fresh_db_url)
    with _connect(fresh_db_url) as conn:
        assert conn.execute("SELECT per_park_floor FROM rule_policy").fetchone()[0] is False
        conn.execute("SELECT admin_set_rule_policy(true, NULL, 'tester', 'per-park floor on')")
        conn.commit()
    before = _fingerprints(fresh_db_url)
    with pytest.raises(psycopg.Error) as info:
        _rezone_both(fresh_db_url, loser, gainer)
    assert info.value.sqlstate == "MF001"
    detail = json.loads(info.value.diag.message_detail)
    assert detail["scope"] == "gaoxin"
    assert detail["shortfall_m2"] == pytest.approx(loss, abs=1e-6)
    assert detail["parcels"] == [loser]
    assert "gaoxin" in info.value.diag.message_primary
    assert _fingerprints(fresh_db_url) == before

    # The same change under the default policy (the city only) is accepted.
    with _connect(fresh_db_url) as conn:
        conn.execute("SELECT admin_set_rule_policy(false, NULL, 'tester', 'per-park floor off')")
        conn.commit()
    _rezone_both(fresh_db_url, loser, gainer)
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        last = last_ledger(c)
    assert last["delta_parks"]["gaoxin"] == pytest.approx(-loss, abs=1e-6)
    assert last["delta_parks"]["jiangtan"] == pytest.approx(gain, abs=1e-6)
    assert last["delta_city_m2"] == pytest.approx(gain - loss, abs=1e-6)


# --- cost: in proportion to the rows touched, not to the city's size --------------------------


def _grow_city(url: str, extra: int) -> None:
    """Add *extra* manufacturing parcels (small squares in a new park far from the others)
    by raw SQL."""
    with _connect(url) as conn:
        # (the parcels must lie in their park: the database checks where they stand)
        conn.execute(
            "INSERT INTO park (code, name_zh, name_en, boundary) VALUES ('grown', '扩园', "
            "'grown', ST_Multi(ST_MakeEnvelope(299990, 2999990, 302010, 3000000 + "
            "(%s / 100 + 1) * 20, 4545)))",
            (extra,),
        )
        conn.execute(
            "INSERT INTO change_set (kind, reason, actor) VALUES ('register', 'grow', 'test')"
        )
        conn.execute(
            "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom, "
            "valid_from, change_set_id) "
            "SELECT 'BIG-' || i, 'grown', CASE WHEN i %% 2 = 0 THEN '0601' ELSE '0701' END, "
            "'reserve', ST_Multi(ST_MakeEnvelope("
            "300000 + (i %% 100) * 20, 3000000 + (i / 100) * 20, "
            "300010 + (i %% 100) * 20, 3000010 + (i / 100) * 20, 4545)), c.committed_at, c.id "
            "FROM generate_series(1, %s) AS i, change_set c WHERE c.txid = txid_current()",
            (extra,),
        )
        conn.commit()


def _parcel_reads(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
        "FROM pg_stat_xact_user_tables WHERE relname = 'parcel_version'"
    ).fetchone()
    return row[0] if row else 0


def test_the_rule_collects_rows_in_proportion_to_the_parcels_touched_not_the_city(fresh_db_url):
    """The same edits on the sample (about a thousand parcels) and on a city grown by
    6,000 more."""
    sample = _standing(fresh_db_url)
    small = _touch_batches(fresh_db_url)
    _grow_city(fresh_db_url, 6000)
    assert _standing(fresh_db_url) == sample + 6000
    grown = _touch_batches(fresh_db_url)
    # The commit-time check reads as many parcel rows in a city six times the size.
    for (n, read_small), (_, read_grown) in zip(small, grown, strict=True):
        assert read_grown <= read_small + n, (n, read_small, read_grown)


def _standing(url: str) -> int:
    with _connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL"
        ).fetchone()[0]


def _touch_batches(url: str) -> list[tuple[int, int]]:
    """Rezone batches of 1, 7 and 40 parcels; (parcels, parcel rows the commit-time check
    read) for each."""
    codes = _pick(url, "v.land_use_code IN ('0701', '0810', '0505') AND v.park <> 'gaoxin'", n=48)
    batches = [codes[:1], codes[1:8], codes[8:48]]
    reads = []
    for batch in batches:
        with _connect(url) as conn:
            conn.execute(
                "UPDATE parcel_version SET land_use_code = '0601' "
                "WHERE parcel_code = ANY(%s) AND valid_to IS NULL",
                (batch,),
            )
            rows, parcels = conn.execute(
                "SELECT count(*), count(DISTINCT parcel_code) FROM rule_pending "
                "WHERE txid = txid_current()"
            ).fetchone()
            # One row per version written: at most the closed one and its successor.
            assert parcels == len(batch)
            assert len(batch) <= rows <= 2 * len(batch)
            # Run the commit-time check now and count the parcel rows it reads: the rule
            # none (it works from the collected rows and the ledger's last row); the
            # placement check the versions made and those they replace (a rezone keeps
            # the shape: no neighbour is judged), a few per parcel whatever plan the
            # statistics give — never in proportion to the city.
            reads_before = _parcel_reads(conn)
            conn.execute("SET CONSTRAINTS rule_check_at_commit IMMEDIATE")
            read = _parcel_reads(conn) - reads_before
            assert read <= 6 * len(batch), (len(batch), read)
            reads.append((len(batch), read))
            conn.commit()
        with _connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM rule_pending").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM rule_txn").fetchone()[0] == 0
    return reads


def test_a_status_change_by_sql_collects_nothing_but_still_gets_a_ledger_row(fresh_db_url):
    codes = _pick(fresh_db_url, "v.land_use_code = '0601' AND v.status = 'reserve'", n=5)
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        seq = last_ledger(c)["seq"]
    with _connect(fresh_db_url) as conn:
        conn.execute(
            "UPDATE parcel_version SET status = 'ready' "
            "WHERE parcel_code = ANY(%s) AND valid_to IS NULL",
            (codes,),
        )
        moved = conn.execute(
            "SELECT coalesce(sum(delta_m2), 0) FROM rule_pending WHERE txid = txid_current()"
        ).fetchone()[0]
        assert moved == pytest.approx(0.0, abs=1e-9)
        conn.commit()
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        last = last_ledger(c)
    assert last["seq"] == seq + 1
    assert last["delta_city_m2"] == 0


# --- the rule's own bookkeeping cannot be used to slip a loss through ------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM rule_pending WHERE txid = txid_current()",
        "DELETE FROM rule_txn WHERE txid = txid_current()",
    ],
    ids=["delete-pending", "delete-txn"],
)
@pytest.mark.parametrize("as_owner", [False, True], ids=["service-role", "owner"])
def test_a_loss_cannot_be_hidden_by_editing_the_rules_pending_rows(fresh_db_url, tamper, as_owner):
    # The service's role has no privilege on the rule's working tables; their owner has,
    # and meets the guard that lets only the commit check empty them.
    (code,) = _pick(fresh_db_url, "v.land_use_code = '0601'")
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        city_before, _ = manufacturing_totals(c)
    refused = False
    with _connect(owner_url(fresh_db_url) if as_owner else fresh_db_url) as conn:
        conn.execute(
            "UPDATE parcel_version SET land_use_code = '0701' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (code,),
        )
        try:
            conn.execute(tamper)
            conn.commit()
        except psycopg.Error as exc:
            refused = exc.sqlstate == ("MF002" if as_owner else "42501")
            conn.rollback()
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        city_after, _ = manufacturing_totals(c)
        last = last_ledger(c)
    assert refused, "a raw SQL transaction lost manufacturing land and was committed"
    assert city_after == pytest.approx(city_before, abs=0.01)
    assert last["total_city_m2"] == pytest.approx(city_after, abs=0.01)


def test_losses_within_the_tolerance_cannot_accumulate_beyond_it(fresh_db_url):
    """Each cut below is 0.004 m² — noise on its own — but the rule compares with the
    high-water mark, not the last total: the third cut would leave the city 0.012 m² below
    it and is refused."""
    (code,) = _pick(fresh_db_url, "v.land_use_code = '0601' AND v.area_m2 > 5000")
    with engine_for(fresh_db_url) as engine, engine.connect() as c:
        geom = parcel(c, code)["geom"]
    x0, y0, x1, y1 = geom.bounds
    corners = [(x0, y0, 1, 1), (x1, y0, -1, 1), (x1, y1, -1, -1)]
    outcomes = []
    for x, y, sx, sy in corners:
        # A right triangle of legs 0.08 m and 0.1 m at a corner of the bounding box,
        # cut from the parcel where the parcel reaches into it.
        notch = shapely.Polygon([(x, y), (x + sx * 0.08, y), (x, y + sy * 0.1)])
        cut = geom.difference(notch)
        loss = float(shapely.area(geom) - shapely.area(cut))
        assert 0.0035 < loss <= 0.004001, "the parcel does not fill this corner"
        with _connect(fresh_db_url) as conn:
            conn.execute(
                "UPDATE parcel_version SET geom = ST_SetSRID(ST_GeomFromWKB(%s), 4545) "
                "WHERE parcel_code = %s AND valid_to IS NULL",
                (shapely.to_wkb(shapely.MultiPolygon(list(getattr(cut, "geoms", [cut])))), code),
            )
            try:
                conn.commit()
                outcomes.append("accepted")
                geom = cut
            except psycopg.Error as exc:
                outcomes.append(exc.sqlstate)
    assert outcomes == ["accepted", "accepted", "MF001"]

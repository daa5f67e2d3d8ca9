""" "As of" totals are answered from each committed change set's effect (and snapshots of
their sum), kept by the database at commit — and must be exactly what the parcel versions
valid at that moment add up to.

The expected totals are our own SQL over ``parcel_version`` (``valid_from <= t`` and
``valid_to`` NULL or after t), never the service's. The history mixes change sets made
through the application and plain-SQL transactions (an UPDATE, a DELETE, an INSERT, two
statements on one version, and a writer dated before a snapshot that commits after it);
the totals are compared at every ledger row's moment, a microsecond before it, after each
step and before anything. Snapshots are taken at every commit in one run (the
``parks.totals_snapshot_rows`` setting of the writers' sessions) and at the default pace in
the other. Then verification must name a tampered effect or snapshot row, and an upgrade
of a database whose history was written without the effects must answer the same.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import shapely
from sqlalchemy import create_engine, pool
from support_audit import TOL_M2, make_history, pick, problems_where, psycopg_url, query
from support_changes import change_set, free_box, geojson, split_in_two, touching_pair
from support_roles import owner_url

from parks.operations import ChangeSetRequest
from service.audit.queries import totals_as_of
from service.changes.apply import apply_change_set

pytestmark = pytest.mark.integration

#: The land standing at %(t)s per (park, class, status), from the versions alone.
VERSIONS_AS_OF = """
SELECT v.park, v.land_use_code, v.status, count(*), sum(v.area_m2),
       sum(CASE WHEN c.is_manufacturing THEN v.area_m2 ELSE 0 END)
  FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code
 WHERE v.valid_from <= %(t)s AND (v.valid_to IS NULL OR v.valid_to > %(t)s)
 GROUP BY v.park, v.land_use_code, v.status
"""
GROUPS = ["park", "land_use", "status"]


def _options(snapshot_rows: str | None) -> str:
    return f"-c parks.totals_snapshot_rows={snapshot_rows}" if snapshot_rows else ""


class Writer:
    """Change sets through the application and plain SQL, in sessions that take a
    snapshot of the totals every *snapshot_rows* effect rows (None: the default)."""

    def __init__(self, url: str, snapshot_rows: str | None) -> None:
        self.url = url
        self.options = _options(snapshot_rows)
        self.moments: list[datetime] = [datetime.now(UTC)]

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(psycopg_url(self.url), options=self.options)

    def apply(self, *operations: dict, kind: str) -> None:
        engine = create_engine(
            self.url, poolclass=pool.NullPool, connect_args={"options": self.options}
        )
        try:
            apply_change_set(
                engine,
                ChangeSetRequest.model_validate(change_set(kind, *operations)),
                actor="effects-test",
                storage_srid=4545,
            )
        finally:
            engine.dispose()
        self.moments.append(datetime.now(UTC))

    def sql(self, *statements: tuple[str, tuple]) -> None:
        """One plain-SQL transaction (the database makes its change set)."""
        with self.connect() as conn:
            for statement, args in statements:
                conn.execute(statement, args)
            conn.commit()
        self.moments.append(datetime.now(UTC))


def _geometry(url: str, code: str):
    (wkb,) = query(
        url,
        "SELECT ST_AsBinary(geom) FROM parcel_version WHERE parcel_code = %s AND valid_to IS NULL",
        (code,),
    )[0]
    return shapely.from_wkb(bytes(wkb))


def _history(url: str, writer: Writer) -> None:
    """make_history's three change sets, then every kind of writer."""
    make_history(url)
    writer.moments.append(datetime.now(UTC))
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            square = free_box(conn, "jiangtan", size_m=30)
            other = free_box(conn, "fengxiang", size_m=30)
            a, b = touching_pair(
                conn,
                "a.land_use_code = '0601' AND b.land_use_code = '0601' AND a.status = b.status",
            )
    finally:
        engine.dispose()
    register = {
        "op": "register",
        "parcel_code": "JT-EFF-1",
        "park": "jiangtan",
        "land_use_code": "0601",
        "status": "reserve",
        "crs": "EPSG:4545",
        "geometry": geojson(square),
    }
    writer.apply(register, kind="register")
    split, _ = pick(url, "land_use_code = '0601' AND park = 'caijiapo' AND status = 'reserve'")
    west, east = split_in_two(_geometry(url, split))
    parts = [
        {"parcel_code": f"{split}-W", "geometry": geojson(west)},
        {"parcel_code": f"{split}-E", "geometry": geojson(east)},
    ]
    writer.apply(
        {"op": "split", "parcel_code": split, "crs": "EPSG:4545", "parts": parts}, kind="split"
    )
    writer.apply(
        {"op": "merge", "parcel_codes": [a, b], "parcel_code": f"{a}-M", "land_use_code": "0601"},
        kind="merge",
    )
    retired, area = pick(url, "land_use_code = '0601' AND park = 'gaoxin'", order="area_m2")
    gained, _ = pick(url, f"land_use_code = '0701' AND area_m2 > {area}", order="area_m2")
    writer.apply(
        {"op": "retire", "parcel_code": retired},
        {"op": "rezone", "parcel_code": gained, "land_use_code": "0601"},
        kind="retire",
    )
    supplied, _ = pick(url, "status = 'ready'")
    writer.apply(
        {"op": "supply", "parcel_code": supplied, "holder": "测试企业", "mode": "lease"},
        kind="supply",
    )
    # plain SQL: a status change, a rezoning to industry, a retirement, a new parcel, and
    # one transaction that changes a parcel and then its new version again
    status, _ = pick(url, "status = 'reserve' AND park = 'fengxiang'")
    writer.sql(
        (
            "UPDATE parcel_version SET status = 'ready' WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (status,),
        )
    )
    storage, _ = pick(url, "land_use_code = '0604'")
    writer.sql(
        (
            "UPDATE parcel_version SET land_use_code = '0601' WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (storage,),
        )
    )
    housing, _ = pick(url, "land_use_code = '0701'")
    writer.sql(
        ("DELETE FROM parcel_version WHERE parcel_code = %s AND valid_to IS NULL", (housing,))
    )
    writer.sql(
        (
            "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom) "
            "VALUES ('FX-SQL-1', 'fengxiang', '0604', 'reserve', "
            "ST_Multi(ST_GeomFromText(%s, 4545)))",
            (other.wkt,),
        )
    )
    twice, _ = pick(url, "status = 'idle'")
    writer.sql(
        (
            "UPDATE parcel_version SET status = 'operating' WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (twice,),
        ),
        (
            "UPDATE parcel_version SET land_use_code = '0601', status = 'supplied' "
            "WHERE parcel_code = %s AND valid_to IS NULL",
            (twice,),
        ),
    )
    _late_writer(url, writer)


def _late_writer(url: str, writer: Writer) -> None:
    """A plain-SQL writer that records its change set (dated then) before another change
    set, which commits first — so the totals snapshot of that one's commit was taken
    without it, and its commit must add it there."""
    early, _ = pick(url, "land_use_code = '0604' AND park = 'gaoxin'")
    later, _ = pick(url, "status = 'ready' AND park = 'caijiapo'")
    first = writer.connect()
    try:
        first.execute(
            "INSERT INTO change_set (kind, reason, actor) VALUES ('direct_sql', 'late', 'test')"
        )
        first.execute(
            "UPDATE parcel_version SET land_use_code = '0601' WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (early,),
        )
        time.sleep(0.01)
        done = threading.Event()

        def second() -> None:
            writer.apply(
                {"op": "set_status", "parcel_code": later, "status": "idle"}, kind="set_status"
            )
            done.set()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=1.0)  # it commits first unless the ledger lock makes it wait
        first.commit()
        thread.join(timeout=30)
        assert done.is_set()
    finally:
        first.close()
    writer.moments.append(datetime.now(UTC))


def _moments(url: str, writer: Writer) -> list[datetime]:
    ats = [at for (at,) in query(url, "SELECT at FROM ledger ORDER BY seq")]
    made = [at for (at,) in query(url, "SELECT committed_at FROM change_set")]
    out = {ats[0] - timedelta(days=1), *writer.moments}
    for at in ats + made:
        out |= {at, at - timedelta(microseconds=1), at + timedelta(microseconds=1)}
    return sorted(out)


def _differences(url: str, moments: list[datetime]) -> list[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    out = []
    try:
        with engine.connect() as conn:
            for t in moments:
                want = {
                    (p, c, s): (n, area, mfg)
                    for p, c, s, n, area, mfg in query(url, VERSIONS_AS_OF, {"t": t})
                }
                body = totals_as_of(conn, as_of=t, group_by=GROUPS)
                got = {
                    (r["park"], r["land_use_code"], r["status"]): (
                        r["parcels"],
                        r["area_m2"],
                        r["manufacturing_m2"],
                    )
                    for r in body["rows"]
                }
                if set(got) != set(want):
                    out.append(f"{t}: groups {sorted(set(got) ^ set(want))}")
                for key in set(got) & set(want):
                    (n, area, mfg), (wn, warea, wmfg) = got[key], want[key]
                    if n != wn or abs(area - warea) > TOL_M2 or abs(mfg - wmfg) > TOL_M2:
                        out.append(f"{t} {key}: {got[key]} != {want[key]}")
                city = body["city"]
                if (
                    city["parcels"] != sum(v[0] for v in want.values())
                    or abs(city["manufacturing_m2"] - sum(v[2] for v in want.values())) > TOL_M2
                ):
                    out.append(f"{t}: city {city}")
    finally:
        engine.dispose()
    return out


@pytest.mark.parametrize("snapshot_rows", ["1", None], ids=["snapshot-every-commit", "default"])
def test_as_of_totals_from_the_effects_equal_the_parcel_versions_valid_then(
    fresh_db_url, snapshot_rows
):
    writer = Writer(fresh_db_url, snapshot_rows)
    _history(fresh_db_url, writer)
    cuts = query(fresh_db_url, "SELECT count(DISTINCT cut_at) FROM totals_snapshot")[0][0]
    if snapshot_rows == "1":
        assert cuts >= 10  # the snapshots are what most answers come from
    assert query(fresh_db_url, "SELECT count(*) FROM totals_pending")[0][0] == 0
    assert _differences(fresh_db_url, _moments(fresh_db_url, writer)) == []


def test_a_change_set_dated_before_a_snapshot_but_committed_after_it_is_added_to_it(fresh_db_url):
    writer = Writer(fresh_db_url, "1")
    _late_writer(fresh_db_url, writer)
    (early_at, late_at) = query(
        fresh_db_url,
        "SELECT min(c.committed_at), max(c.committed_at) FROM change_set c "
        "JOIN ledger l ON l.change_set_id = c.id WHERE l.seq > 1",
    )[0]
    (order,) = query(
        fresh_db_url,
        "SELECT array_agg(c.reason ORDER BY l.seq) FROM ledger l "
        "JOIN change_set c ON c.id = l.change_set_id WHERE l.seq > 1",
    )[0]
    assert order[-1] == "late", "the late writer did not commit last"
    assert query(
        fresh_db_url, "SELECT count(*) FROM totals_snapshot WHERE cut_at = %s", (late_at,)
    )[0][0]
    assert _differences(fresh_db_url, _moments(fresh_db_url, writer)) == []
    assert early_at < late_at


# --- verification ---------------------------------------------------------------------------


@pytest.fixture
def verified_history(fresh_db_url) -> str:
    writer = Writer(fresh_db_url, "2")
    _history(fresh_db_url, writer)
    return fresh_db_url


def _verify_with(url: str, *statements: str) -> dict:
    """Verification after *statements* run with the totals tables' triggers off (rolled
    back afterwards)."""
    from service.audit.verify import verify

    engine = create_engine(owner_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            for table in ("totals_effect", "totals_snapshot"):
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            for statement in statements:
                conn.exec_driver_sql(statement)
            body = verify(conn).body()
            transaction.rollback()
    finally:
        engine.dispose()
    return body


def test_an_untouched_record_of_the_totals_verifies(verified_history):
    body = _verify_with(verified_history)
    assert body["problems"] == []


def test_a_tampered_effect_row_is_named_by_its_change_set_and_group(verified_history):
    url = verified_history
    cs, park, code, status, area = query(
        url,
        "SELECT change_set_id, park, land_use_code, status, area_delta_m2::float8 "
        "FROM totals_effect WHERE change_set_id = (SELECT change_set_id FROM ledger WHERE seq = 2) "
        "ORDER BY area_delta_m2 DESC LIMIT 1",
    )[0]
    body = _verify_with(
        url,
        f"UPDATE totals_effect SET area_delta_m2 = area_delta_m2 + 100 WHERE change_set_id = {cs} "
        f"AND park = '{park}' AND land_use_code = '{code}' AND status = '{status}'",
    )
    assert body["ok"] is False and body["chain_ok"] is True
    (named,) = problems_where(body, check="totals_effect")
    assert (named["change_set_id"], named["park"], named["land_use_code"], named["status"]) == (
        cs,
        park,
        code,
        status,
    )
    assert abs(named["expected"]["area_m2"] - area) <= TOL_M2
    assert abs(named["found"]["area_m2"] - area - 100) <= TOL_M2
    # and the answers it feeds are named too, at the moments after it
    assert problems_where(body, check="totals_as_of")
    assert {p["check"] for p in body["problems"]} <= {
        "totals_effect",
        "totals_as_of",
        "totals_snapshot",
    }


def test_a_deleted_effect_row_and_a_tampered_snapshot_are_named(verified_history):
    url = verified_history
    cs, park, code, status, n = query(
        url,
        "SELECT change_set_id, park, land_use_code, status, parcels_delta FROM totals_effect "
        "WHERE change_set_id = (SELECT change_set_id FROM ledger WHERE seq = 3) LIMIT 1",
    )[0]
    cut, cut_cs = query(url, "SELECT cut_at, change_set_id FROM totals_snapshot LIMIT 1")[0]
    body = _verify_with(
        url,
        f"DELETE FROM totals_effect WHERE change_set_id = {cs} AND park = '{park}' "
        f"AND land_use_code = '{code}' AND status = '{status}'",
        "UPDATE totals_snapshot SET parcels = parcels + 1 WHERE cut_at = "
        f"'{cut.isoformat()}' AND park = 'gaoxin' AND land_use_code = '0601' "
        "AND status = 'operating'",
    )
    (effect,) = problems_where(body, check="totals_effect", change_set_id=cs)
    assert effect["expected"]["parcels"] == n and effect["found"]["parcels"] == 0
    snapshots = problems_where(body, check="totals_snapshot", change_set_id=cut_cs)
    assert any(
        p["park"] == "gaoxin" and p["found"]["parcels"] == p["expected"]["parcels"] + 1
        for p in snapshots
    )


def test_the_record_of_the_totals_can_only_be_written_by_a_commit(verified_history):
    # The service's role has no privilege on the record at all; even its owner, who has,
    # meets the guard triggers.
    for url, sqlstate in ((verified_history, "42501"), (owner_url(verified_history), "MF002")):
        with psycopg.connect(psycopg_url(url)) as conn:
            for statement in (
                "UPDATE totals_effect SET parcels_delta = parcels_delta + 1",
                "DELETE FROM totals_snapshot",
                "INSERT INTO totals_effect SELECT change_set_id + 1000, park, land_use_code, "
                "status, at, parcels_delta, area_delta_m2 FROM totals_effect LIMIT 1",
                "TRUNCATE totals_effect",
            ):
                with pytest.raises(psycopg.Error) as refused:
                    conn.execute(statement)
                assert refused.value.sqlstate == sqlstate, statement
                conn.rollback()


# --- the migration ---------------------------------------------------------------------------


def test_a_database_upgraded_with_history_written_before_the_effects_answers_the_same(
    fresh_db_url,
):
    """History written at the revision before the effects existed (through the application
    and plain SQL) gets its effects re-derived by the upgrade."""
    from alembic import command

    from service.db.migrate import alembic_config, upgrade

    # Before the roles, one role owned and wrote everything: the history of that time
    # is written as the owner.
    url = owner_url(fresh_db_url)
    command.downgrade(alembic_config(owner_url(url)), "0006")
    assert not query(url, "SELECT to_regclass('totals_effect') IS NOT NULL")[0][0]
    writer = Writer(url, None)
    _history(url, writer)
    upgrade(owner_url(url))
    rows = query(url, "SELECT count(*), count(DISTINCT change_set_id) FROM totals_effect")[0]
    assert rows[0] > 0 and rows[1] == query(url, "SELECT count(*) FROM change_set")[0][0]
    assert _differences(url, _moments(url, writer)) == []
    from service.audit.verify import verify

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            assert verify(conn).body()["problems"] == []
    finally:
        engine.dispose()

"""The availability search's index of the current parcels is brought up to date after a
commit by patching in what the new change sets made and ended — and the next search's
answer is the answer of an index built from scratch on the same database.

"From scratch" is independent of the patched index: the same database reached through
another URL (a different ``application_name``) is another index, loaded whole on its
first search. Each step commits a real change set (through the application, or as plain
SQL), then runs the same searches through both and compares the whole answers.
"""

from __future__ import annotations

import itertools

import pytest
import shapely
import support_reads as sr
from sqlalchemy import text
from support_changes import change_set, free_box, geojson, register_op, split_in_two

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.db.engine import make_engine
from service.planning import index
from service.planning.availability import parse_criteria, search

pytestmark = pytest.mark.integration

#: Searches that between them meet every kind of change: near/away distances, groups of
#: touching parcels, classes, statuses, small parcels (no minimum) and the whole city.
SEARCHES = [
    {
        "park": "jiangtan",
        "min_area_mu": "60",
        "land_use": "0601",
        "near": "roads/main:500",
        "away": "river:200",
        "combine": "true",
        "limit": "1000",
    },
    {
        "min_area_mu": "40",
        "status": "reserve,ready,idle",
        "near": "roads:300",
        "away": "flood_zone:0",
        "combine": "true",
        "limit": "1000",
    },
    {"park": "jiangtan", "status": "reserve,ready", "near": "roads:2000", "limit": "1000"},
    {"land_use": "06", "status": "reserve,ready,supplied", "away": "river:100", "limit": "1000"},
]

_fresh = itertools.count()


def _answers(url: str) -> list[dict]:
    with sr.connect(url) as conn:
        return [
            search(conn, parse_criteria(params), storage_srid=sr.STORAGE_EPSG)
            for params in SEARCHES
        ]


def _from_scratch(url: str) -> list[dict]:
    """The answers of an index built afresh: the same database under another URL."""
    return _answers(f"{url}?application_name=fresh-index-{next(_fresh)}")


@pytest.fixture
def loads(monkeypatch, fresh_db_url) -> list[str]:
    """Every whole load of the index of *fresh_db_url* (not of its from-scratch twins)."""
    made: list[str] = []
    whole = index._load_parcels

    def counting(conn, db):
        if conn.engine.url.render_as_string(hide_password=False) == fresh_db_url:
            made.append("load")
        return whole(conn, db)

    monkeypatch.setattr(index, "_load_parcels", counting)
    return made


def _apply(url: str, body: dict) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        apply_change_set(
            engine,
            ChangeSetRequest.model_validate(body),
            actor="index-test",
            storage_srid=sr.STORAGE_EPSG,
        )
    finally:
        engine.dispose()


def _sql(url: str, statement: str, params: dict | None = None) -> None:
    with sr.connect(url) as conn:
        conn.execute(text(statement), params or {})
        conn.commit()


def _one(url: str, where: str) -> str:
    with sr.connect(url) as conn:
        return conn.execute(
            text(
                "SELECT parcel_code FROM parcel_version v WHERE valid_to IS NULL AND "
                f"({where}) ORDER BY area_m2 DESC, parcel_code LIMIT 1"
            )
        ).scalar_one()


def _geometry(url: str, code: str):
    with sr.connect(url) as conn:
        wkb = conn.execute(
            text(
                "SELECT ST_AsBinary(geom) FROM parcel_version "
                "WHERE parcel_code = :c AND valid_to IS NULL"
            ),
            {"c": code},
        ).scalar_one()
    return shapely.from_wkb(bytes(wkb))


def _codes(answer: dict) -> set[str]:
    out = set()
    for feature in answer["features"]:
        p = feature["properties"]
        out |= {p["parcel_code"]} if p["kind"] == "parcel" else set(p["members"])
    return out


@pytest.mark.parametrize(
    "boxes", [index.MAX_BRUTE_FORCE_BOXES, 0], ids=["pairs-patched", "pairs-afresh"]
)
def test_after_each_committed_change_set_the_next_search_answers_as_an_index_built_afresh(
    fresh_db_url, loads, monkeypatch, boxes
):
    monkeypatch.setattr(index, "MAX_BRUTE_FORCE_BOXES", boxes)
    url = fresh_db_url
    first = _answers(url)  # the index is loaded, then learns distances and edge sharing
    assert first == _from_scratch(url)
    best = next(
        f["properties"]["parcel_code"]
        for f in first[0]["features"]
        if f["properties"]["kind"] == "parcel"
    )
    group = next(f for f in first[0]["features"] if f["properties"]["kind"] == "group")
    member = group["properties"]["members"][0]
    steps: list[tuple[str, dict]] = []

    # register: a new reserve industrial parcel on free land in Jiangtan
    with sr.connect(url) as conn:
        square = free_box(conn, "jiangtan", size_m=40)
    register = register_op("JT-IDX-1", "jiangtan", square, crs="EPSG:4545")
    steps.append(("register", change_set("register", register)))
    # rezone: a reserve storage parcel becomes industrial (the same shape, a new version)
    rezoned = _one(url, "land_use_code = '0604' AND status = 'reserve'")
    steps.append(("rezone", change_set("rezone", _rezone(rezoned, "0601"))))
    # split: the best site of the first search, in two halves that touch
    west, east = split_in_two(_geometry(url, best))
    parts = [
        {"parcel_code": f"{best}-W", "geometry": geojson(west)},
        {"parcel_code": f"{best}-E", "geometry": geojson(east)},
    ]
    split = {"op": "split", "parcel_code": best, "crs": "EPSG:4545", "parts": parts}
    steps.append(("split", change_set("split", split)))
    # retire: a member of a group the first search offered, compensated (占补平衡) by a
    # larger parcel rezoned to industry
    compensation = _one(url, "land_use_code = '0701'")
    retire = {"op": "retire", "parcel_code": member}
    steps.append(("retire", change_set("retire", retire, _rezone(compensation, "0601"))))
    # supply and a status change (new versions of unchanged shapes)
    supplied = _one(url, "park = 'jiangtan' AND status = 'ready' AND land_use_code = '0601'")
    supply = {"op": "supply", "parcel_code": supplied, "holder": "测试企业", "mode": "grant"}
    steps.append(("supply", change_set("supply", supply)))
    idle = _one(url, "park = 'jiangtan' AND status = 'reserve' AND land_use_code = '0601'")
    status = {"op": "set_status", "parcel_code": idle, "status": "idle"}
    steps.append(("set_status", change_set("set_status", status)))

    for label, body in steps:
        _apply(url, body)
        patched = _answers(url)
        assert patched == _from_scratch(url), f"after the {label}, the patched index differs"

    everywhere = set().union(*(_codes(answer) for answer in patched))
    assert "JT-IDX-1" in everywhere
    assert rezoned in everywhere
    assert best not in everywhere and {f"{best}-W", f"{best}-E"} & everywhere
    assert member not in everywhere
    assert supplied not in _codes(patched[0]) | _codes(patched[1]) | _codes(patched[2])
    assert supplied in _codes(patched[3])  # the search that asks for supplied land
    assert loads == ["load"], "the index was loaded whole again instead of patched"


def _rezone(code: str, land_use_code: str) -> dict:
    return {"op": "rezone", "parcel_code": code, "land_use_code": land_use_code}


def test_a_search_sees_parcels_changed_by_plain_sql_in_the_transaction_before_it(
    fresh_db_url, loads
):
    """A plain-SQL UPDATE (a new version, made by a change set the database makes for it)
    and DELETE (the parcel retired) are ledgered like any change set: the next search sees
    them, as an index built afresh does."""
    url = fresh_db_url
    before = _answers(url)
    moved = before[2]["features"][0]["properties"]["parcel_code"]
    gone = before[2]["features"][1]["properties"]["parcel_code"]
    _sql(
        url,
        "UPDATE parcel_version SET status = 'operating' "
        "WHERE parcel_code = :c AND valid_to IS NULL",
        {"c": moved},
    )
    after_update = _answers(url)
    assert moved not in _codes(after_update[2])
    assert after_update == _from_scratch(url)
    with sr.connect(url) as conn:
        industrial = conn.execute(
            text(
                "SELECT c.is_manufacturing FROM parcel_version v JOIN land_use_class c "
                "ON c.code = v.land_use_code WHERE v.parcel_code = :c AND v.valid_to IS NULL"
            ),
            {"c": gone},
        ).scalar_one()
    if not industrial:  # retiring industrial land alone would be refused by the rule
        _sql(
            url,
            "DELETE FROM parcel_version WHERE parcel_code = :c AND valid_to IS NULL",
            {"c": gone},
        )
        after_delete = _answers(url)
        assert gone not in _codes(after_delete[2])
        assert after_delete == _from_scratch(url)
    assert loads == ["load"]


def test_what_is_known_of_an_unchanged_shape_is_carried_to_its_new_version(fresh_db_url):
    """A status change makes a new version of the same shape: what was measured of the
    old version (its distances) is the new one's, not measured again."""
    url = fresh_db_url
    _answers(url)
    code = _one(url, "park = 'jiangtan' AND status = 'ready' AND land_use_code = '0601'")
    with sr.connect(url) as conn:
        before = index.current_parcels(conn)
    (old,) = (before.parcel_code == code).nonzero()[0]
    measured = {key: before.dist[key][old] for key in before.dist if before.known[key][old]}
    assert measured
    _apply(
        url,
        change_set("set_status", {"op": "set_status", "parcel_code": code, "status": "reserve"}),
    )
    with sr.connect(url) as conn:
        after = index.current_parcels(conn)
    (new,) = (after.parcel_code == code).nonzero()[0]
    assert after.version_id[new] != before.version_id[old]
    assert after.geom_key[new] == before.geom_key[old]
    for key, distance in measured.items():
        assert after.known[key][new]
        assert after.dist[key][new] == pytest.approx(distance, abs=0, nan_ok=True)


def test_versions_committed_out_of_the_order_they_were_numbered_are_placed_in_order(
    fresh_db_url, loads
):
    """A plain-SQL writer that recorded its change set without the ledger lock writes its
    versions (lower numbers) before another change set commits (higher numbers), and
    commits after it: the index takes both, each after its commit, in version order."""
    import threading

    import psycopg

    url = fresh_db_url
    _answers(url)
    first_code = _one(url, "park = 'jiangtan' AND status = 'reserve' AND land_use_code = '0601'")
    second_code = _one(url, "park = 'gaoxin' AND status = 'reserve' AND land_use_code = '0601'")
    first = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        first.execute(
            "INSERT INTO change_set (kind, reason, actor) VALUES ('direct_sql', 'early', 'test')"
        )
        first.execute(
            "UPDATE parcel_version SET status = 'ready' WHERE parcel_code = %s "
            "AND valid_to IS NULL",
            (first_code,),
        )
        body = change_set(
            "set_status", {"op": "set_status", "parcel_code": second_code, "status": "ready"}
        )
        thread = threading.Thread(target=_apply, args=(url, body))
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
        between = _answers(url)
        assert between == _from_scratch(url)
        first.commit()
    finally:
        first.close()
    after = _answers(url)
    assert after == _from_scratch(url)
    with sr.connect(url) as conn:
        parcels = index.current_parcels(conn)
    assert (parcels.version_id[1:] > parcels.version_id[:-1]).all()
    ids = dict(zip(parcels.parcel_code.tolist(), parcels.version_id.tolist(), strict=True))
    assert ids[first_code] < ids[second_code]  # numbered first, committed last
    assert loads == ["load"]

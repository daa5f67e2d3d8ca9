"""Placement in the database: whatever writes the parcels, a standing parcel may not share
more than 0.01 m² of its interior with another, nor lie more than 0.01 m² outside its park —
refused at COMMIT with SQLSTATE MF003, naming the parcels (or the parcel and the park) and
the area.

Raw SQL over psycopg on copies of the loaded sample, really committing. Expected areas are
shapely's, in EPSG:4545, of geometries the tests build from the stored ones.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest
import shapely
from shapely.geometry import box
from support_changes import (
    change_set,
    engine_for,
    find_parcels,
    free_box,
    parcel,
    park_boundary,
    register_op,
    split_in_two,
    touching_pair,
    url_for,
)
from support_roles import owner_url

pytestmark = pytest.mark.integration

INSERT = (
    "INSERT INTO parcel_version (parcel_code, park, land_use_code, status, geom) "
    "VALUES (%s, %s, %s, 'reserve', ST_Multi(ST_GeomFromWKB(%s, 4545)))"
)


@pytest.fixture(scope="module")
def url(databases, loaded_template) -> str:
    """A copy of the sample shared by the module: its tests commit only what is refused,
    and the one accepted change touches a parcel none of the others picks."""
    return url_for(databases.create(template=loaded_template))


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _money(x: float) -> str:
    """*x* rounded to 2 decimals the way PostgreSQL's round(numeric) does."""
    return str(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _standing(url: str, code: str) -> dict:
    with engine_for(url) as engine, engine.connect() as conn:
        return parcel(conn, code)


def _refused_at_commit(url: str, *inserts: tuple) -> psycopg.Error:
    """Insert (code, park, class, shapely geometry) versions by plain SQL; the statements
    pass, the COMMIT must be refused with MF003."""
    with psycopg.connect(_dsn(url)) as conn:
        for code, park, land_use_code, geom in inserts:
            conn.execute(INSERT, (code, park, land_use_code, shapely.to_wkb(geom)))
        with pytest.raises(psycopg.Error) as refused:
            conn.commit()
    assert refused.value.sqlstate == "MF003", refused.value
    return refused.value


def _stored(url: str, *codes: str) -> list[str]:
    with psycopg.connect(_dsn(url)) as conn:
        rows = conn.execute(
            "SELECT parcel_code FROM parcel_version WHERE parcel_code = ANY(%s)", (list(codes),)
        )
        return [r[0] for r in rows]


def test_a_version_overlapping_a_standing_parcel_is_refused_at_commit_naming_both_and_the_area(
    url,
):
    with engine_for(url) as engine, engine.connect() as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
    standing = _standing(url, code)
    inside = standing["geom"].representative_point()
    # A piece of the standing parcel: inside its park, over that parcel alone.
    piece = shapely.intersection(
        standing["geom"], box(inside.x - 30, inside.y - 20, inside.x + 30, inside.y + 20)
    )
    expected_m2 = shapely.area(shapely.intersection(piece, standing["geom"]))
    assert expected_m2 > 100
    error = _refused_at_commit(url, ("SQL-OVER-1", standing["park"], "0601", piece))
    detail = json.loads(error.diag.message_detail)
    assert detail["kind"] == "overlap"
    assert detail["codes"] == ["SQL-OVER-1", code]
    assert detail["area_m2"] == pytest.approx(expected_m2, abs=1e-6)
    assert (
        f"parcel SQL-OVER-1 overlaps parcel {code} by {_money(detail['area_m2'])} m²"
        in error.diag.message_primary
    )
    assert _stored(url, "SQL-OVER-1") == []


def test_a_version_partly_outside_its_park_is_refused_at_commit_naming_the_park_and_the_area(url):
    with engine_for(url) as engine, engine.connect() as conn:
        boundary = park_boundary(conn, "jiangtan")
    corner = shapely.get_coordinates(
        boundary.exterior if boundary.geom_type == "Polygon" else boundary.geoms[0].exterior
    )[0]
    straddling = box(corner[0] - 20, corner[1] - 20, corner[0] + 20, corner[1] + 20)
    expected_m2 = shapely.area(shapely.difference(straddling, boundary))
    assert 0.01 < expected_m2 < shapely.area(straddling)
    error = _refused_at_commit(url, ("SQL-EDGE-1", "jiangtan", "0601", straddling))
    detail = json.loads(error.diag.message_detail)
    assert (detail["kind"], detail["codes"], detail["park"]) == (
        "outside_park",
        ["SQL-EDGE-1"],
        "jiangtan",
    )
    assert detail["area_m2"] == pytest.approx(expected_m2, abs=1e-6)
    assert (
        f"parcel SQL-EDGE-1 lies {_money(detail['area_m2'])} m² outside park jiangtan"
        in error.diag.message_primary
    )
    assert _stored(url, "SQL-EDGE-1") == []


def test_of_two_writers_placing_parcels_over_each_other_the_second_to_commit_is_refused(url):
    """Each writes while the other's parcel is not yet visible; the judgement at commit
    sees what was committed before it."""
    with engine_for(url) as engine, engine.connect() as conn:
        free = free_box(conn, "gaoxin", size_m=40)
    x, y = free.bounds[:2]
    first, second = box(x, y, x + 30, y + 30), box(x + 10, y + 10, x + 40, y + 40)
    expected_m2 = shapely.area(shapely.intersection(first, second))
    with psycopg.connect(_dsn(url)) as a, psycopg.connect(_dsn(url)) as b:
        # Each records its change set first, without the ledger lock (which a plain-SQL
        # write without one would take, making the other wait): both write at once.
        for conn, code, geom in ((a, "RACE-A", first), (b, "RACE-B", second)):
            conn.execute(
                "INSERT INTO change_set (kind, reason, actor) VALUES ('register', 'race', 't')"
            )
            conn.execute(INSERT, (code, "gaoxin", "0701", shapely.to_wkb(geom)))
        a.commit()
        with pytest.raises(psycopg.Error) as refused:
            b.commit()
    assert refused.value.sqlstate == "MF003"
    detail = json.loads(refused.value.diag.message_detail)
    assert detail["codes"] == ["RACE-B", "RACE-A"]
    assert detail["area_m2"] == pytest.approx(expected_m2, abs=1e-6)
    assert sorted(_stored(url, "RACE-A", "RACE-B")) == ["RACE-A"]


def test_parts_touching_each_other_and_their_neighbours_are_accepted(url):
    """A split by plain SQL: the parent retired, its two halves registered; they share the
    cut with each other and the parent's edges with its neighbours, overlapping nothing."""
    with engine_for(url) as engine, engine.connect() as conn:
        code, neighbour = touching_pair(
            conn, "a.land_use_code = '0604' AND b.land_use_code <> '0601'"
        )
    parent = _standing(url, code)
    west, east = split_in_two(parent["geom"])
    assert shapely.area(shapely.intersection(west, east)) == pytest.approx(0, abs=1e-9)
    assert shapely.length(shapely.intersection(west, east)) > 1
    with psycopg.connect(_dsn(url)) as conn:
        conn.execute(
            "DELETE FROM parcel_version WHERE parcel_code = %s AND valid_to IS NULL", (code,)
        )
        for part, geom in ((f"{code}-W", west), (f"{code}-E", east)):
            conn.execute(INSERT, (part, parent["park"], "0604", shapely.to_wkb(geom)))
        conn.commit()
    stored = {c: _standing(url, c) for c in (f"{code}-W", f"{code}-E", neighbour)}
    assert stored[f"{code}-W"]["area_m2"] == pytest.approx(shapely.area(west), abs=1e-6)
    assert stored[f"{code}-E"]["area_m2"] == pytest.approx(shapely.area(east), abs=1e-6)
    assert any(
        shapely.length(shapely.intersection(stored[part]["geom"], stored[neighbour]["geom"])) > 1
        for part in (f"{code}-W", f"{code}-E")
    )


def test_a_parcel_placed_before_the_check_may_still_change_without_moving(fresh_db_url):
    """A version that keeps the shape and park of the one it replaces is not judged again;
    moving it is."""
    url = fresh_db_url
    with engine_for(url) as engine, engine.connect() as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
    standing = _standing(url, code)
    p = standing["geom"].representative_point()
    old = shapely.intersection(standing["geom"], box(p.x - 10, p.y - 10, p.x + 10, p.y + 10))
    # Placed as a database without this check could have (the commit check set aside, as
    # the owner, for this one transaction).
    with psycopg.connect(_dsn(owner_url(url))) as conn:
        conn.execute("ALTER TABLE rule_txn DISABLE TRIGGER rule_check_at_commit")
        conn.execute(INSERT, ("OLD-OVER-1", standing["park"], "0701", shapely.to_wkb(old)))
        conn.execute("ALTER TABLE rule_txn ENABLE TRIGGER rule_check_at_commit")
        conn.commit()
    with psycopg.connect(_dsn(url)) as conn:
        for who in ("OLD-OVER-1", code):
            conn.execute(
                "UPDATE parcel_version SET status = 'ready' WHERE parcel_code = %s "
                "AND valid_to IS NULL",
                (who,),
            )
        conn.commit()
    assert _standing(url, "OLD-OVER-1")["status"] == "ready"
    with psycopg.connect(_dsn(url)) as conn:
        conn.execute(
            "UPDATE parcel_version SET geom = ST_Multi(ST_Translate(geom, 1, 0)) "
            "WHERE parcel_code = 'OLD-OVER-1' AND valid_to IS NULL"
        )
        with pytest.raises(psycopg.Error) as refused:
            conn.commit()
    assert refused.value.sqlstate == "MF003"
    assert json.loads(refused.value.diag.message_detail)["codes"] == ["OLD-OVER-1", code]


def test_the_api_answers_a_placement_the_database_refuses_with_422_naming_it(
    url, make_client, make_token, monkeypatch
):
    """With the application's own placement check out of the way (as another client would
    have it), the refusal at commit reaches the client as an invalid change set."""
    import service.changes.apply as apply

    monkeypatch.setattr(apply, "check_placement", lambda *args, **kwargs: None)
    with engine_for(url) as engine, engine.connect() as conn:
        (code,) = find_parcels(conn, "v.land_use_code = '0701'", limit=1)
    standing = _standing(url, code)
    p = standing["geom"].representative_point()
    piece = shapely.intersection(standing["geom"], box(p.x - 25, p.y - 25, p.x + 25, p.y + 25))
    expected_m2 = shapely.area(piece)
    client = make_client(url)
    response = client.post(
        "/api/change-sets",
        json=change_set(
            "register",
            register_op("API-OVER-1", standing["park"], piece, crs="EPSG:4545"),
        ),
        headers=make_token(url, "editor"),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_change_set"
    (problem,) = body["problems"]
    assert f"parcel API-OVER-1 overlaps parcel {code} by" in problem["message"]
    area = float(problem["message"].split(" by ")[1].split(" m²")[0])
    assert area == pytest.approx(expected_m2, abs=0.006)
    assert _stored(url, "API-OVER-1") == []

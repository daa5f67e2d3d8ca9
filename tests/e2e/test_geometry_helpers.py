"""POST /api/geometry/split and /api/geometry/snap, the map editor's helpers, through the
app on a real PostGIS: parts that cover the parcel exactly and that a split change set
takes as they are; a boundary snapped onto its neighbour so that a reshape leaves no
overlap; invalid input refused naming the parameter; roles.

Expected numbers are computed here: shapely areas of the geometry read straight from the
database in EPSG:4545, lines and shifts built with our own pyproj transformer.
"""

from __future__ import annotations

import pytest
import shapely
import shapely.affinity
from shapely.geometry import LineString, shape
from sqlalchemy import create_engine
from support_changes import (
    STORAGE_EPSG,
    TOLERANCE_M2,
    change_set,
    find_parcels,
    geojson,
    parcel,
    to_crs,
    touching_pair,
)

pytestmark = pytest.mark.e2e

PARK = "caijiapo"
M2_PER_MU = 10000 / 15


@pytest.fixture
def engine(fresh_db_url):
    engine = create_engine(fresh_db_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def editor(fresh_db_url, make_client, make_token):
    """The app (editors applying directly, as the old suite runs) and an editor's token,
    on a database of the test's own: the test commits the change set it built."""
    client = make_client(fresh_db_url)
    return client, make_token(fresh_db_url, "editor")


@pytest.fixture
def read_engine(sample_db_url):
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def reader(sample_db_url, make_client, make_token):
    """The app and an editor's token on the module's database: the helpers store nothing."""
    client = make_client(sample_db_url)
    return client, make_token(sample_db_url, "editor")


def _line_across(geom, *, at: float = 0.5) -> LineString:
    """A north-south line (EPSG:4545) through *geom* at fraction *at* of its width,
    reaching 5 m past it at both ends."""
    minx, miny, maxx, maxy = geom.bounds
    x = minx + (maxx - minx) * at
    return LineString([(x, miny - 5), (x, maxy + 5)])


def _lonlat(geom):
    return geojson(to_crs(geom, STORAGE_EPSG, 4326))


def test_split_parts_cover_the_parcel_and_a_split_change_set_takes_them(editor, engine):
    client, headers = editor
    with engine.connect() as conn:
        code = find_parcels(
            conn, "v.park = :p AND ST_NumGeometries(v.geom) = 1", {"p": PARK}, limit=1
        )[0]
        parent = parcel(conn, code)
    whole = parent["geom"]
    response = client.post(
        "/api/geometry/split",
        json={"parcel_code": code, "line": _lonlat(_line_across(whole, at=0.4))},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["parcel_code"] == code and body["crs_storage"] == "EPSG:4545"
    parts = body["parts"]
    assert len(parts) == 2
    storage = [shape(p["geometry_storage"]) for p in parts]
    for part, geom in zip(parts, storage, strict=True):
        assert part["area_m2"] == pytest.approx(geom.area, abs=1e-3)
        assert part["area_mu"] == pytest.approx(geom.area / M2_PER_MU, abs=1e-5)
        # The map's copy is the same part, in lon/lat.
        back = to_crs(shape(part["geometry"]), 4326, STORAGE_EPSG)
        assert back.symmetric_difference(geom).area < 0.05
    assert sum(p["area_m2"] for p in parts) == pytest.approx(whole.area, abs=TOLERANCE_M2)
    assert shapely.union_all(storage).symmetric_difference(whole).area < 1e-6
    assert storage[0].intersection(storage[1]).area < 1e-6
    # West part first: the line is at 40 % of the width.
    assert storage[0].centroid.x < storage[1].centroid.x
    assert storage[0].area < storage[1].area

    split = {
        "op": "split",
        "parcel_code": code,
        "crs": body["crs_storage"],
        "parts": [
            {"parcel_code": f"{code}-{n}", "geometry": p["geometry_storage"]}
            for n, p in enumerate(parts, start=1)
        ],
    }
    applied = client.post("/api/change-sets", json=change_set("split", split), headers=headers)
    assert applied.status_code == 201, applied.text
    with engine.connect() as conn:
        made = [parcel(conn, f"{code}-{n}") for n in (1, 2)]
    for stored, geom in zip(made, storage, strict=True):
        assert stored["geom"].symmetric_difference(geom).area < 1e-6
        assert stored["area_m2"] == pytest.approx(geom.area, abs=1e-3)


def test_a_line_that_leaves_the_parcel_whole_is_refused_naming_line(reader, read_engine):
    client, headers = reader
    with read_engine.connect() as conn:
        code = find_parcels(conn, "v.park = :p", {"p": PARK}, limit=1)[0]
        whole = parcel(conn, code)["geom"]
    minx, miny, maxx, maxy = whole.bounds
    mid_x = (minx + maxx) / 2
    cases = {
        "stops inside": _lonlat(LineString([(mid_x, miny - 5), whole.centroid.coords[0]])),
        "misses": _lonlat(LineString([(maxx + 50, miny), (maxx + 50, maxy)])),
        "not a line": _lonlat(whole),
        "one position": {"type": "LineString", "coordinates": [[107.59, 34.31], [107.59, 34.31]]},
        "metres as degrees": geojson(_line_across(whole)),
    }
    for case, line in cases.items():
        response = client.post(
            "/api/geometry/split", json={"parcel_code": code, "line": line}, headers=headers
        )
        assert response.status_code == 422, (case, response.text)
        assert response.json()["error"] == "invalid_parameter", case
        assert response.json()["parameter"] == "line", case
    unknown = client.post(
        "/api/geometry/split",
        json={"parcel_code": "NO-SUCH-1", "line": _lonlat(_line_across(whole))},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["parameter"] == "parcel_code"


def test_snapping_a_shifted_boundary_puts_it_back_against_its_neighbour(editor, engine):
    client, headers = editor
    with engine.connect() as conn:
        a_code, b_code = touching_pair(conn, "a.park = 'caijiapo'")
        a, b = parcel(conn, a_code)["geom"], parcel(conn, b_code)["geom"]
    shared_m = a.intersection(b).length
    assert shared_m > 1
    # Drawn by hand: A moved 0.3 m towards B (along the line between their centres).
    dx, dy = b.centroid.x - a.centroid.x, b.centroid.y - a.centroid.y
    norm = (dx * dx + dy * dy) ** 0.5
    drawn = shapely.affinity.translate(a, 0.3 * dx / norm, 0.3 * dy / norm)
    assert drawn.intersection(b).area > 0.1 * shared_m  # an overlap before snapping
    response = client.post(
        "/api/geometry/snap",
        json={"geometry": _lonlat(drawn), "park": PARK, "exclude": [a_code]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    snapped = shape(body["geometry_storage"])
    assert body["snapped_vertices"] > 0
    assert body["area_m2"] == pytest.approx(snapped.area, abs=1e-3)
    assert snapped.intersection(b).area < TOLERANCE_M2  # no overlap left
    # No sliver either: the snapped boundary runs along B's for the whole shared edge.
    assert snapped.boundary.intersection(b.boundary).length == pytest.approx(shared_m, rel=0.02)
    reshape = {
        "op": "reshape",
        "parcel_code": a_code,
        "crs": body["crs_storage"],
        "geometry": body["geometry_storage"],
    }
    applied = client.post("/api/change-sets", json=change_set("reshape", reshape), headers=headers)
    assert applied.status_code == 201, applied.text


def test_the_helpers_refuse_bad_input_naming_the_parameter_and_need_an_editing_role(
    reader, read_engine, sample_db_url, make_token
):
    client, headers = reader
    with read_engine.connect() as conn:
        code = find_parcels(conn, "v.park = :p", {"p": PARK}, limit=1)[0]
        whole = parcel(conn, code)["geom"]
    polygon = _lonlat(whole)
    bad = {
        "tolerance_m": {"geometry": polygon, "park": PARK, "tolerance_m": 6},
        "park": {"geometry": polygon, "park": "atlantis"},
        "geometry": {"geometry": geojson(LineString([(0, 0), (1, 1)])), "park": PARK},
    }
    for parameter, body in bad.items():
        response = client.post("/api/geometry/snap", json=body, headers=headers)
        assert response.status_code == 422, (parameter, response.text)
        assert response.json()["parameter"] == parameter
    line = {"parcel_code": code, "line": _lonlat(_line_across(whole))}
    assert client.post("/api/geometry/split", json=line).status_code == 401
    viewer = make_token(sample_db_url, "viewer")
    assert client.post("/api/geometry/split", json=line, headers=viewer).status_code == 403
    approver = make_token(sample_db_url, "approver")
    assert client.post("/api/geometry/split", json=line, headers=approver).status_code == 200


def test_a_parks_map_carries_the_editor_only_for_a_role_that_may_propose(
    reader, sample_db_url, make_token
):
    client, editor_headers = reader
    viewer = make_token(sample_db_url, "viewer")
    script = '<script src="/static/map/editor.js"'
    assert script in client.get(f"/map/{PARK}", headers=editor_headers).text
    assert script not in client.get(f"/map/{PARK}", headers=viewer).text
    assert script not in client.get(f"/map/{PARK}").text
    assert script not in client.get("/map", headers=editor_headers).text  # the city's map

"""No database: the editor helpers' geometry — reading the drawn line, snapping a drawn
boundary onto its neighbours, and handing geometry back with every digit kept.

Squares in EPSG:4545 metres near Caijiapo; expected values are worked out here by hand.
"""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon, box, mapping, shape

from service.editing.errors import BadHelperGeometry
from service.editing.shapes import both_ways, line_in_storage
from service.editing.snap import snap_onto

#: A corner in EPSG:4545 (no zone number in front of its eastings), in Caijiapo.
X0, Y0 = 458_000.0, 3_800_000.0
TO_LONLAT = Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def _lonlat(line: LineString) -> dict:
    return {
        "type": "LineString",
        "coordinates": [TO_LONLAT.transform(x, y) for x, y in line.coords],
    }


def test_a_drawn_line_is_read_into_the_storage_crs():
    drawn = LineString([(X0, Y0), (X0 + 100, Y0 + 50)])
    line = line_in_storage(_lonlat(drawn), src_epsg=4326, storage_epsg=4545, max_vertices=100)
    assert line.geom_type == "LineString"
    assert line.length == pytest.approx(drawn.length, abs=1e-4)
    heights = {
        "type": "LineString",
        "coordinates": [[*p, 450.0] for p in _lonlat(drawn)["coordinates"]],
    }
    assert not line_in_storage(heights, src_epsg=4326, storage_epsg=4545, max_vertices=100).has_z


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ({"type": "Point", "coordinates": [107.59, 34.31]}, "LineString, not Point"),
        ("LINESTRING (0 0, 1 1)", "LineString, not str"),
        ({"type": "LineString", "coordinates": "no"}, "malformed"),
        ({"type": "LineString", "coordinates": [[107.59, 34.31], [107.59, 34.31]]}, "two distinct"),
        (
            {"type": "LineString", "coordinates": [[558000, 3800000], [558100, 3800000]]},
            "EPSG:4326",
        ),
        (
            {"type": "LineString", "coordinates": [[107.59, 34.31]] * 3 + [[107.6, 34.3]]},
            "at most 3",
        ),
    ],
)
def test_a_line_that_is_not_one_is_refused_naming_line(line, says):
    with pytest.raises(BadHelperGeometry) as caught:
        line_in_storage(line, src_epsg=4326, storage_epsg=4545, max_vertices=3)
    assert caught.value.parameter == "line"
    assert says in caught.value.message


def test_vertices_near_a_neighbour_move_onto_its_corners_and_edges():
    neighbour = box(X0 + 100, Y0, X0 + 200, Y0 + 100)
    # Drawn by hand: its east side 0.3 m into the neighbour, one vertex mid-edge.
    drawn = Polygon(
        [
            (X0, Y0),
            (X0 + 100.3, Y0 - 0.2),
            (X0 + 100.2, Y0 + 50),
            (X0 + 99.8, Y0 + 100.1),
            (X0, Y0 + 100),
        ]
    )
    snapped = snap_onto(drawn, [neighbour.boundary], tolerance_m=0.5)
    coords = {tuple(c) for c in shapely.get_coordinates(snapped)}
    assert (X0 + 100, Y0) in coords and (X0 + 100, Y0 + 100) in coords  # onto its corners
    assert (X0 + 100, Y0 + 50) in coords  # onto its edge
    assert snapped.intersection(neighbour).area == pytest.approx(0, abs=1e-9)
    assert snapped.area == pytest.approx(100 * 100, abs=1e-6)  # no sliver left either


def test_a_neighbours_corner_near_a_drawn_edge_is_put_into_the_edge():
    # Two neighbours meet at (X0+100, Y0+40); the drawn edge runs straight past it.
    north = box(X0 + 100, Y0 + 40, X0 + 200, Y0 + 100)
    south = box(X0 + 100.2, Y0, X0 + 200, Y0 + 40)
    drawn = box(X0, Y0, X0 + 100, Y0 + 100)
    snapped = snap_onto(drawn, [north.boundary, south.boundary], tolerance_m=0.5)
    assert snapped.intersection(north).area == pytest.approx(0, abs=1e-9)
    assert snapped.intersection(south).area == pytest.approx(0, abs=1e-9)
    # The gap to the southern neighbour is closed: the boundaries run together.
    assert snapped.boundary.intersection(south.boundary).length == pytest.approx(40, abs=1e-6)


def test_far_neighbours_and_no_neighbours_leave_the_drawing_as_it_is():
    drawn = box(X0, Y0, X0 + 10, Y0 + 10)
    assert snap_onto(drawn, [], tolerance_m=0.5).equals_exact(drawn, 0)
    far = box(X0 + 11, Y0, X0 + 20, Y0 + 10)
    assert snap_onto(drawn, [far.boundary], tolerance_m=0.5).equals_exact(drawn, 0)


def test_geometry_goes_back_in_the_storage_crs_with_every_digit():
    part = box(X0 + 0.123456789, Y0 + 0.987654321, X0 + 40.000000001, Y0 + 25.5)
    out = both_ways(part, storage_epsg=4545)
    again = shape(json.loads(json.dumps(out["geometry_storage"])))
    assert again.equals_exact(part, 0)  # the very same floats
    assert out["area_m2"] == pytest.approx(part.area, abs=1e-4)
    assert out["area_mu"] == pytest.approx(part.area * 15 / 10000, abs=1e-6)
    lon, lat = mapping(shape(out["geometry"]))["coordinates"][0][0]
    assert 107 < lon < 108 and 34 < lat < 35

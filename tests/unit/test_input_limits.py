"""Input limits of a change set: vertices per parcel and per change set, text lengths the
same for every field of every operation, and no NUL character anywhere.

Vertex counts expected here come from shapely (``get_num_coordinates`` of the parsed
GeoJSON), not from the code under test.
"""

from __future__ import annotations

import math

import pytest
import shapely
from pydantic import ValidationError
from shapely.geometry import shape

from parks.errors import Problem
from parks.limits import InputLimits, geojson_vertex_count, input_problems
from parks.operations import ChangeSetRequest, problems_from_errors

SMALL = InputLimits(
    max_parcel_vertices=20,
    max_change_set_vertices=50,
    max_text_chars=10,
    max_reason_chars=30,
    min_parcel_area_m2=1.0,
)


def _ring(n: int, *, x0: float = 462_000.0, y0: float = 3_798_000.0, r: float = 50.0):
    """A closed ring of *n* positions (n - 1 distinct points on a circle, then the first)."""
    points = [
        [x0 + r * math.cos(2 * math.pi * k / (n - 1)), y0 + r * math.sin(2 * math.pi * k / (n - 1))]
        for k in range(n - 1)
    ]
    return [*points, points[0]]


def _polygon(n: int, **kwargs) -> dict:
    return {"type": "Polygon", "coordinates": [_ring(n, **kwargs)]}


def _register(code: str = "CJP-N100", *, geometry=None, **fields) -> dict:
    return {
        "op": "register",
        "parcel_code": code,
        "park": "caijiapo",
        "land_use_code": "0601",
        "status": "reserve",
        "geometry": geometry or _polygon(5),
        "crs": "EPSG:4545",
        **fields,
    }


def _supply(**fields) -> dict:
    return {
        "op": "supply",
        "parcel_code": "CJP-0001",
        "holder": "某公司",
        "mode": "grant",
        **fields,
    }


def _request(*ops, reason: str = "test", **fields) -> ChangeSetRequest:
    body = {"kind": "register", "reason": reason, "operations": list(ops), **fields}
    return ChangeSetRequest.model_validate(body)


# --- counting vertices ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geometry",
    [
        _polygon(5),
        {"type": "Polygon", "coordinates": [_ring(40), _ring(7, r=10.0)]},  # with a hole
        {
            "type": "MultiPolygon",
            "coordinates": [[_ring(9)], [_ring(12, x0=463_000.0), _ring(5, x0=463_000.0, r=5.0)]],
        },
        {"type": "Feature", "properties": {}, "geometry": _polygon(33)},
        {"type": "Polygon", "coordinates": [[[p[0], p[1], 8.5] for p in _ring(6)]]},  # 3D
    ],
    ids=["polygon", "polygon-with-hole", "multipolygon", "feature", "3d"],
)
def test_vertex_count_from_geojson_matches_the_parsed_geometry(geometry):
    parsed = shape(geometry.get("geometry", geometry))
    assert geojson_vertex_count(geometry) == shapely.get_num_coordinates(parsed)


@pytest.mark.parametrize(
    "geometry",
    [{}, {"type": "Point", "coordinates": [1, 2]}, {"type": "Polygon", "coordinates": 7}, None],
)
def test_vertex_count_of_what_is_not_polygonal_geojson_is_zero_and_left_to_the_parser(geometry):
    assert geojson_vertex_count(geometry) == 0


# --- vertices per parcel and per change set ---------------------------------------------------


def test_parcel_with_more_vertices_than_the_limit_is_refused():
    problems = input_problems(_request(_register(geometry=_polygon(21))), SMALL)
    assert problems == [
        Problem(0, "geometry has 21 vertices; at most 20 per parcel (PARKS_MAX_PARCEL_VERTICES)")
    ]


def test_parcel_with_exactly_the_vertex_limit_is_accepted():
    assert input_problems(_request(_register(geometry=_polygon(20))), SMALL) == []


def test_a_reshape_with_more_vertices_than_the_limit_is_refused():
    reshape = {"op": "reshape", "parcel_code": "CJP-0001", "geometry": _polygon(25)}
    problems = input_problems(_request(_register(), reshape), SMALL)
    assert [p.operation for p in problems] == [1]
    assert problems[0].message.startswith("geometry has 25 vertices; at most 20 per parcel")


def test_a_split_part_with_more_vertices_than_the_limit_is_refused_naming_the_part():
    split = {
        "op": "split",
        "parcel_code": "CJP-0001",
        "parts": [
            {"parcel_code": "CJP-0001A", "geometry": _polygon(5)},
            {"parcel_code": "CJP-0001B", "geometry": _polygon(30)},
        ],
    }
    problems = input_problems(_request(split), SMALL)
    assert problems == [
        Problem(
            0,
            "parts[1].geometry has 30 vertices; at most 20 per parcel (PARKS_MAX_PARCEL_VERTICES)",
        )
    ]


def test_a_change_set_with_more_vertices_than_its_limit_is_refused_as_a_whole():
    ops = [_register(f"CJP-N10{n}", geometry=_polygon(18)) for n in range(3)]  # 54 > 50
    problems = input_problems(_request(*ops), SMALL)
    assert problems == [
        Problem(
            None,
            "the change set's geometries have 54 vertices in all; at most 50 per change set "
            "(PARKS_MAX_CHANGE_SET_VERTICES)",
        )
    ]


def test_the_default_limit_refuses_a_parcel_of_20001_vertices_with_thousands_separators():
    problems = input_problems(_request(_register(geometry=_polygon(20_001))), InputLimits())
    assert problems == [
        Problem(
            0,
            "geometry has 20,001 vertices; at most 20,000 per parcel (PARKS_MAX_PARCEL_VERTICES)",
        )
    ]


# --- text lengths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (_register(), "holder"),
        (_register(), "park"),
        (_register(), "crs"),
        (_supply(), "holder"),
        (_supply(), "project"),
    ],
    ids=["register.holder", "register.park", "register.crs", "supply.holder", "supply.project"],
)
def test_text_longer_than_the_limit_is_refused_in_every_operation(op, field):
    too_long = {**op, field: "x" * 11}
    problems = input_problems(_request(too_long), SMALL)
    assert problems == [Problem(0, f"{field} has 11 characters; at most 10 (PARKS_MAX_TEXT_CHARS)")]
    at_limit = {**op, field: "x" * 10}
    assert input_problems(_request(at_limit), SMALL) == []


def test_a_document_number_longer_than_the_text_limit_is_refused():
    problems = input_problems(_request(_supply(), document_no="宝" * 11), SMALL)
    assert problems == [
        Problem(None, "document_no has 11 characters; at most 10 (PARKS_MAX_TEXT_CHARS)")
    ]


def test_a_reason_longer_than_its_limit_is_refused():
    problems = input_problems(_request(_supply(), reason="因" * 2001), InputLimits())
    assert problems == [
        Problem(None, "reason has 2,001 characters; at most 2,000 (PARKS_MAX_REASON_CHARS)")
    ]
    assert input_problems(_request(_supply(), reason="因" * 2000), InputLimits()) == []


def test_a_five_megabyte_holder_is_refused_on_register_and_on_supply():
    holder = "某" * 5_000_000
    for op in (_register(holder=holder), _supply(holder=holder)):
        problems = input_problems(_request(op), InputLimits())
        assert problems == [
            Problem(0, "holder has 5,000,000 characters; at most 500 (PARKS_MAX_TEXT_CHARS)")
        ]


def test_text_caps_are_settings_not_part_of_the_schema():
    # The schema used to cap a holder at 200 characters and a document number at 200:
    # the setting decides now, the same for every field.
    request = _request(_supply(holder="某" * 300), document_no="号" * 300)
    assert input_problems(request, InputLimits()) == []
    assert [p.message.split(" ")[0] for p in input_problems(request, SMALL)] == [
        "document_no",
        "holder",
    ]


def test_limits_are_read_from_the_settings():
    from service.settings import Settings

    settings = Settings(
        max_parcel_vertices=123,
        max_change_set_vertices=4567,
        max_text_chars=89,
        max_reason_chars=1011,
        min_parcel_area_m2=2.5,
    )
    assert InputLimits.from_settings(settings) == InputLimits(
        max_parcel_vertices=123,
        max_change_set_vertices=4567,
        max_text_chars=89,
        max_reason_chars=1011,
        min_parcel_area_m2=2.5,
    )
    assert InputLimits.from_settings(Settings()) == InputLimits()


# --- NUL characters ---------------------------------------------------------------------------


def _nul_problems(body: dict) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        ChangeSetRequest.model_validate(body)
    return problems_from_errors(info.value.errors())


@pytest.mark.parametrize(
    ("where", "operation", "field"),
    [
        ("reason", None, "reason"),
        ("document_no", None, "document_no"),
        ("register.holder", 0, "holder"),
        ("register.park", 0, "park"),
        ("register.crs", 0, "crs"),
        ("supply.holder", 0, "holder"),
        ("supply.project", 0, "project"),
        ("register.geometry", 0, "geometry"),
        ("register.geometry-key", 0, "geometry"),
        ("split.geometry", 0, "parts.0.geometry"),
    ],
)
def test_a_nul_character_in_any_text_is_refused_naming_the_field(where, operation, field):
    body = {"kind": "register", "reason": "test", "operations": [_register()]}
    nul = "a\u0000b"
    if where in ("reason", "document_no"):
        body[where] = nul
    elif where == "register.geometry":
        body["operations"] = [_register(geometry={**_polygon(5), "type": "Polygon\u0000"})]
    elif where == "register.geometry-key":
        body["operations"] = [_register(geometry={**_polygon(5), "name\u0000": "x"})]
    elif where == "split.geometry":
        body["operations"] = [
            {
                "op": "split",
                "parcel_code": "CJP-0001",
                "parts": [
                    {
                        "parcel_code": "CJP-0001A",
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, "\u0000"]]]},
                    },
                    {"parcel_code": "CJP-0001B", "geometry": _polygon(5)},
                ],
            }
        ]
    elif where.startswith("register."):
        body["operations"] = [_register(**{field: nul})]
    else:
        body["operations"] = [_supply(**{field: nul})]
    problems = _nul_problems(body)
    assert [p.operation for p in problems] == [operation]
    assert problems[0].message.startswith(f"{field}: ")
    assert "NUL" in problems[0].message
    assert "\u0000" not in problems[0].message


def test_a_problem_message_never_carries_a_nul_character():
    errors = [{"loc": ("operations", 0, "op"), "msg": "Input tag 'x\u0000' does not match"}]
    (problem,) = problems_from_errors(errors)
    assert "\u0000" not in problem.message
    assert "\\u0000" in problem.message

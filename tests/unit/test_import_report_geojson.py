"""No database: the import's problems as GeoJSON (RFC 7946) — every problem a feature, a
point in lon/lat where it has a place, null geometry where it has none."""

from __future__ import annotations

import json
import math
from dataclasses import replace

from support_import_outcomes import IMG, outcome, problems

from parks.imports.problems import ImportProblem, ProblemKind
from service.imports.report_geojson import problems_feature_collection

PROPERTIES = {"kind", "kind_zh", "severity", "row", "parcel_code", "message", "measure", "unit",
              "other"}  # fmt: skip


def test_every_problem_is_one_feature_in_the_reports_order():
    fc = problems_feature_collection(outcome())
    assert fc["type"] == "FeatureCollection"
    assert [f["type"] for f in fc["features"]] == ["Feature"] * len(problems())
    assert [f["properties"]["kind"] for f in fc["features"]] == [p.kind for p in problems()]
    assert [f["id"] for f in fc["features"]] == list(range(1, len(problems()) + 1))


def test_a_problem_with_a_place_is_a_point_in_lon_lat_order():
    fc = problems_feature_collection(outcome())
    first = fc["features"][0]
    assert first["geometry"] == {"type": "Point", "coordinates": [107.59, 34.315]}
    for feature, problem in zip(fc["features"], problems(), strict=True):
        if problem.lon is not None:
            assert feature["geometry"]["coordinates"] == [
                round(problem.lon, 7),
                round(problem.lat, 7),
            ]


def test_a_problem_without_a_place_has_null_geometry_and_stays_in_the_collection():
    fc = problems_feature_collection(outcome())
    (missing,) = [f for f in fc["features"] if f["properties"]["kind"] == "missing_field"]
    assert "geometry" in missing and missing["geometry"] is None
    assert missing["properties"]["row"] is None


def test_coordinates_are_rounded_to_seven_decimals():
    problem = ImportProblem(
        ProblemKind.TINY, "tiny", row=1, lon=107.123456789012, lat=34.987654321098
    )
    fc = problems_feature_collection(outcome(problems=[problem]))
    assert fc["features"][0]["geometry"]["coordinates"] == [107.1234568, 34.9876543]


def test_properties_carry_the_kind_its_chinese_name_severity_feature_message_and_measure():
    fc = problems_feature_collection(outcome())
    overlap = next(f for f in fc["features"] if f["properties"]["kind"] == "overlap_in_file")
    assert set(overlap["properties"]) == PROPERTIES
    assert overlap["properties"] == {
        "kind": "overlap_in_file",
        "kind_zh": "文件内重叠",
        "severity": "blocking",
        "row": 8,
        "parcel_code": "=1+1",
        "message": "overlaps row 9 by 0.31 m²",
        "measure": 0.3125,
        "unit": "m2",
        "other": "</script><script>alert(2)</script>",
    }
    gap = next(f for f in fc["features"] if f["properties"]["kind"] == "gap")
    assert gap["properties"]["severity"] == "warning"
    assert gap["properties"]["kind_zh"] == "相邻宗地间缝隙"


def test_hostile_text_is_kept_as_data_exactly():
    fc = problems_feature_collection(outcome())
    codes = [f["properties"]["parcel_code"] for f in fc["features"]]
    assert IMG in codes


def test_the_collection_is_strict_json_even_with_a_measure_or_place_that_is_not_a_number():
    odd = [
        ImportProblem(ProblemKind.TINY, "nan area", row=1, lon=107.5, lat=34.3, measure=math.nan),
        ImportProblem(ProblemKind.TINY, "no place", row=2, lon=math.inf, lat=34.3, measure=0.2),
    ]
    fc = problems_feature_collection(outcome(problems=odd))
    text = json.dumps(fc, allow_nan=False)  # raises on NaN or infinity
    back = json.loads(text)
    assert back["features"][0]["properties"]["measure"] is None
    assert back["features"][1]["geometry"] is None


def test_an_import_without_problems_is_an_empty_collection():
    assert problems_feature_collection(outcome(problems=[])) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_a_problem_with_only_a_longitude_has_no_place():
    half = replace(problems()[0], lat=None)
    fc = problems_feature_collection(outcome(problems=[half]))
    assert fc["features"][0]["geometry"] is None

"""No database: CQL2 filters (cql2-text and cql2-json) become one SQL boolean fragment whose
every value is a bind parameter; property names reach the SQL only through the queryables;
anything else is a FilterError (HTTP 400) that says what and, for cql2-text, where."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api import errors
from service.ogc.cql2 import (
    MAX_FILTER_BYTES,
    MAX_FILTER_DEPTH,
    MAX_FILTER_NODES,
    FilterError,
    Queryable,
    compile_filter,
)

QUERYABLES = {
    q.name: q
    for q in (
        Queryable("parcel_code", "v.parcel_code", "string"),
        Queryable("land_use_code", "v.land_use_code", "string"),
        Queryable("holder", "v.holder", "string"),
        Queryable("area_m2", "v.area_m2", "number"),
        Queryable("storeys", "b.storeys", "integer"),
        Queryable("is_manufacturing", "lu.is_manufacturing", "boolean"),
        Queryable("supplied_on", "v.supplied_on", "date"),
        Queryable("valid_from", "v.valid_from", "datetime"),
        Queryable("geometry", "v.geom", "geometry"),
    )
}
SQUARE_CRS84 = "POLYGON((107 34, 108 34, 108 35, 107 35, 107 34))"


def cql(expression, **kw) -> tuple[str, dict]:
    """Compile against the test queryables (storage EPSG:4545) and check the SQL holds no
    literal value: only column expressions, operators, SQL words and ``:f_n`` names."""
    kw.setdefault("storage_srid", 4545)
    sql, params = compile_filter(expression, queryables=QUERYABLES, **kw)
    assert_no_literals(sql, params)
    return sql, params


def assert_no_literals(sql: str, params: dict) -> None:
    assert sorted(params) == sorted(f"f_{i}" for i in range(len(params)))
    assert set(re.findall(r":(f_\d+)", sql)) == set(params), sql
    rest = re.sub(r":f_\d+", " ", sql)
    for queryable in QUERYABLES.values():
        rest = rest.replace(queryable.sql, " ")
    assert "'" not in rest and '"' not in rest and ";" not in rest and "--" not in rest, sql
    assert not re.search(r"\d", rest), sql
    for value in params.values():
        if isinstance(value, str) and len(value) > 1:
            assert value not in rest, sql


def refused(expression, **kw) -> FilterError:
    kw.setdefault("storage_srid", 4545)
    with pytest.raises(FilterError) as caught:
        compile_filter(expression, queryables=QUERYABLES, **kw)
    return caught.value


# --- what each construct becomes --------------------------------------------------------------


def test_equality_on_a_string_property_binds_the_value() -> None:
    assert cql("land_use_code = '0601'") == ("v.land_use_code = :f_0", {"f_0": "0601"})


@pytest.mark.parametrize(
    ("written", "op"),
    [("=", "="), ("<>", "<>"), ("!=", "<>"), ("<", "<"), ("<=", "<="), (">", ">"), (">=", ">=")],
)
def test_each_comparison_operator_compares_the_column_with_a_bound_number(written, op) -> None:
    assert cql(f"area_m2 {written} 1500.5") == (f"v.area_m2 {op} :f_0", {"f_0": 1500.5})


def test_a_literal_on_the_left_is_bound_and_checked_like_one_on_the_right() -> None:
    assert cql("'0601' = land_use_code") == (":f_0 = v.land_use_code", {"f_0": "0601"})
    assert "area_m2" in refused("'big' < area_m2").message


def test_two_properties_of_one_type_compare_without_parameters() -> None:
    assert cql("area_m2 > storeys") == ("v.area_m2 > b.storeys", {})


def test_like_and_not_like_bind_the_pattern() -> None:
    assert cql("parcel_code LIKE 'GX-%'") == ("v.parcel_code LIKE :f_0", {"f_0": "GX-%"})
    assert cql("holder NOT LIKE '宝鸡_%'") == ("v.holder NOT LIKE :f_0", {"f_0": "宝鸡_%"})


def test_casei_compares_both_sides_lowered() -> None:
    sql, params = cql("CASEI(parcel_code) LIKE CASEI('gx-00%')")
    assert sql == "lower(v.parcel_code) LIKE lower(CAST(:f_0 AS text))"
    assert params == {"f_0": "gx-00%"}


def test_in_and_not_in_bind_each_value() -> None:
    assert cql("land_use_code IN ('0601', '0604')") == (
        "v.land_use_code IN (:f_0, :f_1)",
        {"f_0": "0601", "f_1": "0604"},
    )
    assert cql("land_use_code NOT IN ('07')") == ("v.land_use_code NOT IN (:f_0)", {"f_0": "07"})


def test_between_binds_both_bounds() -> None:
    assert cql("area_m2 BETWEEN 10000 AND 20000.25") == (
        "v.area_m2 BETWEEN :f_0 AND :f_1",
        {"f_0": 10000, "f_1": 20000.25},
    )
    sql, _ = cql("area_m2 NOT BETWEEN 1 AND 2")
    assert sql == "v.area_m2 NOT BETWEEN :f_0 AND :f_1"


def test_is_null_and_is_not_null_need_no_parameter() -> None:
    assert cql("holder IS NULL") == ("v.holder IS NULL", {})
    assert cql("holder IS NOT NULL") == ("v.holder IS NOT NULL", {})
    assert cql("geometry IS NOT NULL") == ("v.geom IS NOT NULL", {})


def test_and_binds_tighter_than_or() -> None:
    sql, params = cql("holder IS NULL OR area_m2 > 5 AND land_use_code = '0601'")
    assert sql == "((v.holder IS NULL) OR (((v.area_m2 > :f_0) AND (v.land_use_code = :f_1))))"
    assert params == {"f_0": 5, "f_1": "0601"}
    sql, _ = cql("area_m2 > 5 AND land_use_code = '0601' OR holder IS NULL")
    assert sql == "((((v.area_m2 > :f_0) AND (v.land_use_code = :f_1))) OR (v.holder IS NULL))"


def test_a_long_and_chain_is_one_flat_conjunction() -> None:
    sql, params = cql(" AND ".join(f"area_m2 <> {n}" for n in range(50)))
    assert sql.count(" AND ") == 49 and len(params) == 50
    assert sql.startswith("((v.area_m2 <> :f_0) AND (v.area_m2 <> :f_1)")


def test_not_negates_a_parenthesised_condition_and_a_bare_predicate() -> None:
    sql, _ = cql("NOT (land_use_code = '0601' AND holder IS NULL)")
    assert sql == "NOT (((v.land_use_code = :f_0) AND (v.holder IS NULL)))"
    assert cql("NOT holder IS NULL")[0] == "NOT (v.holder IS NULL)"
    assert cql("NOT NOT holder IS NULL")[0] == "NOT (NOT (v.holder IS NULL))"


def test_boolean_literals_are_bound_as_booleans() -> None:
    assert cql("is_manufacturing = TRUE") == ("lu.is_manufacturing = :f_0", {"f_0": True})
    assert cql("is_manufacturing <> false") == ("lu.is_manufacturing <> :f_0", {"f_0": False})


def test_date_and_timestamp_literals_are_bound_as_a_date_and_a_utc_instant() -> None:
    assert cql("supplied_on >= DATE('2024-01-31')") == (
        "v.supplied_on >= :f_0",
        {"f_0": date(2024, 1, 31)},
    )
    sql, params = cql("valid_from < TIMESTAMP('2025-12-31T16:00:00Z')")
    assert sql == "v.valid_from < :f_0"
    assert params["f_0"] == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert params["f_0"].utcoffset().total_seconds() == 0


def test_a_doubled_quote_is_one_quote_inside_a_string() -> None:
    assert cql("holder = 'O''Brien'") == ("v.holder = :f_0", {"f_0": "O'Brien"})


def test_line_breaks_are_white_space() -> None:
    sql, params = cql("land_use_code = '0601'\nAND\r\n area_m2 > 5")
    assert sql == "((v.land_use_code = :f_0) AND (v.area_m2 > :f_1))"


def test_keywords_are_case_insensitive() -> None:
    assert cql("holder is not null and area_m2 between 1 and 2")[0] == (
        "((v.holder IS NOT NULL) AND (v.area_m2 BETWEEN :f_0 AND :f_1))"
    )


@pytest.mark.parametrize(
    ("cql2", "postgis"),
    [
        ("S_INTERSECTS", "ST_Intersects"),
        ("S_WITHIN", "ST_Within"),
        ("S_CONTAINS", "ST_Contains"),
        ("S_DISJOINT", "ST_Disjoint"),
        ("S_TOUCHES", "ST_Touches"),
        ("S_CROSSES", "ST_Crosses"),
        ("S_OVERLAPS", "ST_Overlaps"),
        ("S_EQUALS", "ST_Equals"),
    ],
)
def test_a_spatial_operator_binds_the_wkt_and_srid_and_transforms_to_storage(cql2, postgis) -> None:
    sql, params = cql(f"{cql2}(geometry, {SQUARE_CRS84})")
    assert sql == f"{postgis}(v.geom, ST_Transform(ST_GeomFromText(:f_0, :f_1), :f_2))"
    assert shapely.equals(shapely.from_wkt(params["f_0"]), shapely.from_wkt(SQUARE_CRS84))
    assert params["f_1"] == 4326 and params["f_2"] == 4545


def test_a_geometry_literal_in_epsg4545_is_bound_with_that_srid() -> None:
    wkt = "POLYGON((440000 3800000, 441000 3800000, 441000 3801000, 440000 3800000))"
    sql, params = cql(f"S_INTERSECTS(geometry, {wkt})", filter_srid=4545)
    assert params["f_1"] == 4545 and params["f_2"] == 4545
    assert shapely.from_wkt(params["f_0"]).bounds == (440000, 3800000, 441000, 3801000)


def test_coordinates_keep_their_full_precision() -> None:
    _, params = cql("S_INTERSECTS(geometry, POINT(107.123456789012 34.987654321098))")
    point = shapely.from_wkt(params["f_0"])
    assert (point.x, point.y) == (107.123456789012, 34.987654321098)


def test_swap_axes_reads_latitude_first() -> None:
    _, params = cql("S_INTERSECTS(geometry, POINT(34.35 107.2))", swap_axes=True)
    point = shapely.from_wkt(params["f_0"])
    assert (point.x, point.y) == (107.2, 34.35)


def test_a_bbox_literal_is_the_rectangle_it_names() -> None:
    _, params = cql("S_INTERSECTS(geometry, BBOX(107.1, 34.3, 107.3, 34.4))")
    assert shapely.from_wkt(params["f_0"]).bounds == (107.1, 34.3, 107.3, 34.4)


def test_every_wkt_geometry_type_is_accepted() -> None:
    for wkt in (
        "POINT(107 34)",
        "LINESTRING(107 34, 108 35)",
        "MULTIPOINT(107 34, 108 35)",
        "MULTILINESTRING((107 34, 108 35), (107 35, 108 34))",
        f"MULTIPOLYGON(({SQUARE_CRS84[8:-1]}))",
        "GEOMETRYCOLLECTION(POINT(107 34), LINESTRING(107 34, 108 35))",
    ):
        _, params = cql(f"S_INTERSECTS(geometry, {wkt})")
        assert shapely.equals(shapely.from_wkt(params["f_0"]), shapely.from_wkt(wkt)), wkt


def test_the_storage_srid_is_one_parameter_however_many_geometries() -> None:
    sql, params = cql(
        f"S_INTERSECTS(geometry, {SQUARE_CRS84}) AND NOT S_CONTAINS(geometry, POINT(107 34))"
    )
    assert sorted(params.values(), key=str).count(4545) == 1
    assert sql.count(":f_2") == 2


# --- cql2-json says the same as cql2-text ------------------------------------------------------


def comparable(params: dict) -> dict:
    """*params* with WKT normalised (GeoJSON and WKT may list a ring from another vertex)."""
    return {
        key: shapely.normalize(shapely.from_wkt(value)).wkt
        if isinstance(value, str) and "(" in value
        else value
        for key, value in params.items()
    }


def prop(name: str) -> dict:
    return {"property": name}


@pytest.mark.parametrize(
    ("text", "as_json"),
    [
        ("land_use_code = '0601'", {"op": "=", "args": [prop("land_use_code"), "0601"]}),
        ("area_m2 >= 5", {"op": ">=", "args": [prop("area_m2"), 5]}),
        ("parcel_code LIKE 'GX%'", {"op": "like", "args": [prop("parcel_code"), "GX%"]}),
        (
            "CASEI(holder) LIKE CASEI('x%')",
            {
                "op": "like",
                "args": [
                    {"op": "casei", "args": [prop("holder")]},
                    {"op": "casei", "args": ["x%"]},
                ],
            },
        ),
        (
            "land_use_code IN ('0601', '07')",
            {"op": "in", "args": [prop("land_use_code"), ["0601", "07"]]},
        ),
        ("area_m2 BETWEEN 1 AND 2", {"op": "between", "args": [prop("area_m2"), 1, 2]}),
        ("area_m2 BETWEEN 1 AND 2", {"op": "between", "args": [prop("area_m2"), [1, 2]]}),
        ("holder IS NULL", {"op": "isNull", "args": [prop("holder")]}),
        ("NOT holder IS NULL", {"op": "not", "args": [{"op": "isNull", "args": [prop("holder")]}]}),
        (
            "holder IS NULL OR area_m2 > 5 AND is_manufacturing = TRUE",
            {
                "op": "or",
                "args": [
                    {"op": "isNull", "args": [prop("holder")]},
                    {
                        "op": "and",
                        "args": [
                            {"op": ">", "args": [prop("area_m2"), 5]},
                            {"op": "=", "args": [prop("is_manufacturing"), True]},
                        ],
                    },
                ],
            },
        ),
        (
            "supplied_on = DATE('2024-01-31')",
            {"op": "=", "args": [prop("supplied_on"), {"date": "2024-01-31"}]},
        ),
        (
            "valid_from > TIMESTAMP('2025-01-01T00:00:00Z')",
            {"op": ">", "args": [prop("valid_from"), {"timestamp": "2025-01-01T00:00:00Z"}]},
        ),
        (
            "S_INTERSECTS(geometry, POINT(107 34))",
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "Point", "coordinates": [107, 34]}],
            },
        ),
        (
            "S_WITHIN(geometry, BBOX(107, 34, 108, 35))",
            {"op": "s_within", "args": [prop("geometry"), {"bbox": [107, 34, 108, 35]}]},
        ),
        (
            "S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(107 34)))",
            {
                "op": "s_intersects",
                "args": [
                    prop("geometry"),
                    {
                        "type": "GeometryCollection",
                        "geometries": [{"type": "Point", "coordinates": [107, 34]}],
                    },
                ],
            },
        ),
    ],
)
def test_cql2_json_compiles_to_the_same_sql_as_cql2_text(text, as_json) -> None:
    expected_sql, expected_params = cql(text)
    for given in (as_json, json.dumps(as_json)):
        sql, params = cql(given, lang="cql2-json")
        assert sql == expected_sql
        assert comparable(params) == comparable(expected_params)


def test_a_cql2_json_boolean_property_alone_is_a_condition() -> None:
    assert cql(prop("is_manufacturing"), lang="cql2-json") == ("lu.is_manufacturing", {})


# --- what is refused, and where ---------------------------------------------------------------


def test_an_unknown_property_is_named_with_its_position_and_the_queryables() -> None:
    error = refused("land_use_code = '0601' AND colour = 'red'")
    assert error.position == len("land_use_code = '0601' AND ")
    assert 'unknown property "colour"' in error.message
    assert "at position 27" in error.message
    assert "land_use_code" in error.message and "area_m2" in error.message


def test_comparing_a_number_property_with_a_string_is_refused_naming_the_property() -> None:
    error = refused("storeys = 2 AND area_m2 > '1000'")
    assert 'property "area_m2" is a number' in error.message
    assert error.position == len("storeys = 2 AND ")


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("land_use_code = 601", "land_use_code"),
        ("is_manufacturing = 'true'", "is_manufacturing"),
        ("is_manufacturing > FALSE", "is_manufacturing"),
        ("supplied_on = '2024-01-01'", "supplied_on"),
        ("supplied_on = TIMESTAMP('2024-01-01T00:00:00Z')", "supplied_on"),
        ("valid_from > DATE('2024-01-01')", "valid_from"),
        ("area_m2 = TRUE", "area_m2"),
        ("area_m2 LIKE '1%'", "area_m2"),
        ("area_m2 IN (1, '2')", "area_m2"),
        ("area_m2 BETWEEN 'a' AND 'b'", "area_m2"),
        ("is_manufacturing BETWEEN TRUE AND FALSE", "is_manufacturing"),
        ("geometry = 'POINT(1 2)'", "geometry"),
        ("S_INTERSECTS(holder, POINT(107 34))", "holder"),
        ("CASEI(area_m2) = CASEI('x')", "area_m2"),
        ("area_m2 > holder", "area_m2"),
    ],
)
def test_a_literal_or_operator_of_the_wrong_type_is_refused_naming_the_property(
    expression, named
) -> None:
    error = refused(expression)
    assert f'"{named}"' in error.message
    assert error.position == expression.index(named)


@pytest.mark.parametrize(
    ("expression", "position", "says"),
    [
        ("land_use_code = ", 15, "ends too early"),
        ("land_use_code = '0601' AND", 26, "ends too early"),
        ("land_use_code = '0601' $ 3", 23, "unexpected character '$'"),
        ("land_use_code == '0601'", 15, "unexpected '='"),
        ("area_m2 > 5 area_m2 < 9", 12, "unexpected 'area_m2'"),
        ("land_use_code = '0601", 16, "a string that is never closed"),
        ("(holder IS NULL", 15, "ends too early"),
    ],
)
def test_a_syntax_error_names_its_position(expression, position, says) -> None:
    error = refused(expression)
    assert error.position == position
    assert f"at position {position}" in error.message
    assert says in error.message
    assert f"column {position + 1}" in error.message


def test_a_syntax_error_on_a_later_line_names_line_and_column() -> None:
    text = "land_use_code = '0601'\nAND area_m2 >"
    error = refused(text)
    assert error.position == len(text)
    assert "line 2, column 14" in error.message


def test_an_invalid_date_names_its_position() -> None:
    text = "supplied_on = DATE('2024-13-01')"
    error = refused(text)
    assert error.position == text.index("2024")
    assert "month" in error.message


@pytest.mark.parametrize(
    ("wkt", "says"),
    [
        ("POLYGON((107 34, 108 34))", "invalid geometry literal"),
        ("POLYGON((107 34, 108 35, 108 34, 107 35, 107 34))", "not valid: Self-intersection"),
        ("POINT(107 95)", "cannot be transformed"),
        ("POINT(1e400 34)", "not numbers"),
    ],
)
def test_an_invalid_geometry_literal_is_refused(wkt, says) -> None:
    assert says in refused(f"S_INTERSECTS(geometry, {wkt})").message


def test_a_wkt_that_does_not_parse_is_a_syntax_error_with_position() -> None:
    text = "S_INTERSECTS(geometry, POLYGON((107 34, 108)))"
    error = refused(text)
    assert error.position == text.index("))")


def test_a_geometry_literal_must_take_its_crs_from_filter_crs() -> None:
    text = "S_INTERSECTS(geometry, SRID=4545;POINT(440000 3800000))"
    error = refused(text)
    assert "filter-crs" in error.message and error.position == text.index("SRID")
    assert (
        "filter-crs"
        in refused(
            {
                "op": "s_intersects",
                "args": [prop("geometry"), {"type": "Point", "coordinates": [1, 2], "crs": {}}],
            },
            lang="cql2-json",
        ).message
    )


def test_a_spatial_operator_needs_a_geometry_property() -> None:
    assert "geometry property" in refused("S_INTERSECTS(POINT(107 34), POINT(107 34))").message
    assert "needs a geometry" in refused("S_INTERSECTS(geometry, 'x')").message


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("area_m2 + 1 > 5", "arithmetic"),
        ("valid_from T_AFTER TIMESTAMP('2024-01-01T00:00:00Z')", "temporal"),
        ("upper(holder) = 'X'", "function upper()"),
        ("S_INTERSECTS(geometry, ENVELOPE(107 108 34 35))", "BBOX"),
        ("'a' = 'a'", "both sides are literals"),
    ],
)
def test_what_is_not_supported_is_refused_saying_so(expression, says) -> None:
    assert says in refused(expression).message


def test_an_unknown_filter_lang_is_refused_naming_the_parameter() -> None:
    error = refused("holder IS NULL", lang="cql-text")
    assert error.parameter == "filter-lang"
    assert "cql-text" in error.message and "cql2-text" in error.message


def test_a_filter_over_the_size_limit_is_refused() -> None:
    text = "holder = '" + "x" * MAX_FILTER_BYTES + "'"
    assert "bytes" in refused(text).message
    assert (
        "bytes"
        in refused(
            {"op": "=", "args": [prop("holder"), "x" * MAX_FILTER_BYTES]}, lang="cql2-json"
        ).message
    )


def test_a_filter_with_too_many_values_is_refused() -> None:
    values = ", ".join(f"'{n}'" for n in range(MAX_FILTER_NODES))
    assert f"{MAX_FILTER_NODES:,}" in refused(f"land_use_code IN ({values})").message


def test_deep_nesting_is_refused_without_exhausting_the_stack() -> None:
    depth = MAX_FILTER_DEPTH + 1
    error = refused("(" * depth + "holder IS NULL" + ")" * depth)
    assert error.position == MAX_FILTER_DEPTH
    assert "nest" in refused("NOT " * 20_000 + "holder IS NULL").message
    nested: dict = {"op": "isNull", "args": [prop("holder")]}
    for _ in range(depth):
        nested = {"op": "not", "args": [nested]}
    assert "nest" in refused(nested, lang="cql2-json").message
    assert "nested" in refused("[" * 50_000 + "]" * 50_000, lang="cql2-json").message


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ('{"op": "=", "args": [', "not JSON"),
        ('{"op": "=", "args": [{"property": "area_m2"}, NaN]}', "NaN"),
        ({"op": "accenti", "args": [prop("holder")]}, "invalid cql2-json"),
        ({"op": ">", "args": [prop("valid_from"), {"timestamp": "yesterday"}]}, "ISO 8601"),
        ({"op": "=", "args": [prop("holder"), None]}, "isNull"),
        ({}, "empty"),
        ("", "empty"),
    ],
)
def test_bad_cql2_json_is_refused(given, says) -> None:
    assert says in refused(given, lang="cql2-json").message


def test_a_cql2_json_syntax_error_names_its_position() -> None:
    assert refused('{"op": "=", "args": [', lang="cql2-json").position == 21


# --- injection ---------------------------------------------------------------------------------


def test_a_quote_injection_becomes_one_harmless_bound_string() -> None:
    sql, params = cql("land_use_code = '0601'' OR 1=1 --'")
    assert sql == "v.land_use_code = :f_0"
    assert params == {"f_0": "0601' OR 1=1 --"}


@pytest.mark.parametrize(
    "expression",
    [
        "land_use_code = '0601' OR 1=1 --",
        "land_use_code = '0601'; DROP TABLE parcel_version; --",
        "land_use_code = '0601' /* */",
        "land_use_code = '0601' UNION SELECT 1",
    ],
)
def test_sql_written_outside_a_string_is_a_syntax_error(expression) -> None:
    assert refused(expression).position is not None


@pytest.mark.parametrize(
    "name",
    [
        "x; DROP TABLE parcel_version",
        "v.geom) OR (1=1",
        "land_use_code = land_use_code --",
        "pg_sleep(10)",
        "LAND_USE_CODE",
    ],
)
def test_a_hostile_property_name_is_refused_and_never_reaches_the_sql(name) -> None:
    error = refused(f"\"{name}\" = 'x'")
    assert "unknown property" in error.message and error.position == 0
    json_error = refused({"op": "=", "args": [prop(name), "x"]}, lang="cql2-json")
    assert "unknown property" in json_error.message


def test_strings_that_look_like_sql_stay_bound_values() -> None:
    hostile = "'); DELETE FROM parcel_version; --"
    sql, params = cql({"op": "like", "args": [prop("holder"), hostile]}, lang="cql2-json")
    assert sql == "v.holder LIKE :f_0" and params == {"f_0": hostile}


def test_a_nul_character_is_refused_before_postgresql_sees_it() -> None:
    assert "NUL" in refused("holder = 'a\x00b'").message
    assert (
        "NUL" in refused({"op": "=", "args": [prop("holder"), "a\x00b"]}, lang="cql2-json").message
    )


# --- the API's side ------------------------------------------------------------------------------


def test_a_filter_error_is_a_400_naming_the_parameter_and_position() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/items")
    def items(filter: str) -> dict:
        compile_filter(filter, queryables=QUERYABLES, storage_srid=4545)
        return {}

    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/items", params={"filter": "land_use_code = "})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_filter" and body["parameter"] == "filter"
    assert body["position"] == 15 and "position 15" in body["message"]
    assert errors.status_for(FilterError("x")) == 400


def test_a_queryable_of_an_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        Queryable("x", "v.x", "text")

"""No database: which column of an imported file is which target field
(``parks.imports.mapping``) — by the names surveyors use, by ``--map`` and by a mapping
file — and the errors that name the bad option."""

from __future__ import annotations

import pytest

from parks.errors import ParksError
from parks.fields import PARCEL_FIELDS
from parks.imports.mapping import MappingError, parse_map_option, resolve_mapping
from parks.imports.problems import ProblemKind


def test_a_surveyors_chinese_columns_map_without_being_told():
    mapping = resolve_mapping(["OBJECTID", "宗地编号", "用地性质", "权利人", "面积", "备注"])
    assert mapping.targets == {
        "parcel_code": "宗地编号",
        "land_use_code": "用地性质",
        "holder": "权利人",
        "declared_area_m2": "面积",
    }
    assert mapping.unmapped == ["OBJECTID", "备注"]
    assert mapping.problems == []


def test_pinyin_abbreviations_map_whatever_their_case_and_surrounding_spaces():
    mapping = resolve_mapping([" zddm ", "Dlbm", "QLR", "zdmj"])
    assert mapping.targets == {
        "parcel_code": " zddm ",
        "land_use_code": "Dlbm",
        "holder": "QLR",
        "declared_area_m2": "zdmj",
    }


@pytest.mark.parametrize(
    ("name", "target"),
    [(name, f.target) for f in PARCEL_FIELDS if f.target is not None for name in f.names()],
)
def test_every_name_of_a_field_maps_to_its_target(name, target):
    assert resolve_mapping([name]).targets.get(target) == name


def test_names_of_derived_fields_map_to_nothing():
    mapping = resolve_mapping(["ZDDM", "DLBM", "area_mu", "亩", "valid_from"])
    assert set(mapping.targets) == {"parcel_code", "land_use_code"}
    assert mapping.unmapped == ["area_mu", "亩", "valid_from"]


def test_the_exact_english_name_wins_over_the_chinese_and_the_aliases():
    mapping = resolve_mapping(["ZDDM", "宗地编号", "parcel_code", "DLBM"])
    assert mapping.targets["parcel_code"] == "parcel_code"
    assert mapping.unmapped == ["ZDDM", "宗地编号"]


def test_the_chinese_name_wins_over_an_alias():
    mapping = resolve_mapping(["DKBH", "宗地编号", "DLBM"])
    assert mapping.targets["parcel_code"] == "宗地编号"
    assert mapping.unmapped == ["DKBH"]


def test_aliases_win_in_the_order_they_are_listed():
    # parcel_code lists ZDDM before DKBH.
    mapping = resolve_mapping(["DKBH", "ZDDM", "DLBM"])
    assert mapping.targets["parcel_code"] == "ZDDM"
    assert mapping.unmapped == ["DKBH"]


def test_a_dxf_label_is_the_parcel_code():
    mapping = resolve_mapping(["Layer", "EntityHandle", "label", "DLBM"])
    assert mapping.targets["parcel_code"] == "label"


def test_a_kml_name_is_the_parcel_code_only_when_no_other_column_is():
    assert resolve_mapping(["Name", "Description", "DLBM"]).targets["parcel_code"] == "Name"
    mapping = resolve_mapping(["Name", "宗地编号", "DLBM"])
    assert mapping.targets["parcel_code"] == "宗地编号"
    assert "Name" in mapping.unmapped


def test_a_land_use_name_column_stands_in_when_no_column_is_the_code():
    assert resolve_mapping(["ZDDM", "地类名称"]).targets["land_use_code"] == "地类名称"
    mapping = resolve_mapping(["ZDDM", "地类名称", "地类编码"])
    assert mapping.targets["land_use_code"] == "地类编码"
    assert mapping.unmapped == ["地类名称"]


def test_a_missing_required_field_is_a_blocking_problem_naming_the_columns():
    mapping = resolve_mapping(["BH", "用地性质"])
    (problem,) = mapping.problems
    assert problem.kind is ProblemKind.MISSING_FIELD and problem.blocking
    assert "parcel_code" in problem.message and "BH, 用地性质" in problem.message


def test_both_required_fields_missing_are_two_problems():
    assert len(resolve_mapping(["A", "B"]).problems) == 2


def test_a_map_option_wins_over_the_names():
    mapping = resolve_mapping(["宗地编号", "BH", "DLBM"], overrides={"BH": "parcel_code"})
    assert mapping.targets["parcel_code"] == "BH"
    assert mapping.unmapped == ["宗地编号"]


def test_a_map_option_can_send_a_known_name_elsewhere_and_the_next_best_takes_its_place():
    mapping = resolve_mapping(["宗地编号", "ZDDM", "DLBM"], overrides={"宗地编号": "holder"})
    assert mapping.targets["holder"] == "宗地编号"
    assert mapping.targets["parcel_code"] == "ZDDM"


def test_a_map_option_to_a_dash_leaves_a_column_out():
    mapping = resolve_mapping(["ZDDM", "DLBM", "面积"], overrides={"面积": "-"})
    assert "declared_area_m2" not in mapping.targets
    assert mapping.unmapped == ["面积"]


def test_a_map_option_matches_a_column_whatever_its_case():
    mapping = resolve_mapping(["bh", "DLBM"], overrides={"BH": "parcel_code"})
    assert mapping.targets["parcel_code"] == "bh"


def test_a_mapping_file_maps_columns_and_a_map_option_wins_over_it():
    mapping_file = {"fields": {"编号": "parcel_code", "类别": "land_use_code"}}
    mapping = resolve_mapping(["编号", "类别", "旧编号"], mapping_file=mapping_file)
    assert mapping.targets == {"parcel_code": "编号", "land_use_code": "类别"}
    mapping = resolve_mapping(
        ["编号", "类别", "旧编号"],
        mapping_file=mapping_file,
        overrides={"旧编号": "parcel_code"},
    )
    assert mapping.targets == {"parcel_code": "旧编号", "land_use_code": "类别"}
    assert mapping.unmapped == ["编号"]


def test_a_mapping_file_may_hold_value_tables_beside_its_fields():
    mapping_file = {"fields": {"编号": "parcel_code"}, "values": {"status": {"在建": "x"}}}
    assert resolve_mapping(["编号", "DLBM"], mapping_file=mapping_file).problems == []


def test_mapping_to_an_unknown_target_is_an_error_listing_the_targets():
    with pytest.raises(MappingError) as caught:
        resolve_mapping(["BH", "DLBM"], overrides={"BH": "parcel_no"})
    message = str(caught.value)
    assert "--map" in message and "parcel_no" in message
    assert "parcel_code, land_use_code, status" in message


def test_mapping_a_column_the_file_lacks_is_an_error_listing_its_columns():
    with pytest.raises(MappingError) as caught:
        resolve_mapping(["BH", "DLBM"], overrides={"宗地号": "parcel_code"})
    assert "宗地号" in str(caught.value) and "BH, DLBM" in str(caught.value)


def test_a_mapping_file_naming_a_column_the_file_lacks_is_an_error_naming_the_file():
    with pytest.raises(MappingError, match=r"mapping file \[fields\].*编号"):
        resolve_mapping(["BH"], mapping_file={"fields": {"编号": "parcel_code"}})


def test_an_unknown_table_in_a_mapping_file_is_an_error():
    with pytest.raises(MappingError, match=r"\[field\]"):
        resolve_mapping(["BH"], mapping_file={"field": {"BH": "parcel_code"}})


def test_two_columns_mapped_to_one_target_is_an_error():
    with pytest.raises(MappingError, match="both"):
        resolve_mapping(["A", "B"], overrides={"A": "parcel_code", "B": "parcel_code"})


def test_map_options_parse_as_source_and_target():
    assert parse_map_option(["宗地编号=parcel_code", " QLR = holder ", "a=b=status"]) == {
        "宗地编号": "parcel_code",
        "QLR": "holder",
        "a=b": "status",
    }


@pytest.mark.parametrize("bad", ["parcel_code", "=parcel_code", ""])
def test_a_map_option_without_source_and_target_is_an_error_showing_the_syntax(bad):
    with pytest.raises(MappingError, match="SOURCE=TARGET"):
        parse_map_option([bad])


def test_a_mapping_error_is_a_domain_error_with_its_own_code():
    error = MappingError("--map x: bad")
    assert isinstance(error, ParksError)
    assert error.body() == {"error": "invalid_mapping", "message": "--map x: bad"}

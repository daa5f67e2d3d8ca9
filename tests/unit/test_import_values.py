"""No database: translating an imported file's values into the ledger's
(``parks.imports.values``) — land-use codes and names, class maps, statuses, supply modes,
dates and areas as surveyors write them."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from parks.imports.mapping import MappingError
from parks.imports.values import (
    LandUseTranslator,
    ValueMaps,
    is_empty,
    parse_area,
    parse_date,
    read_class_map,
    translate_status,
    translate_supply_mode,
)
from parks.landuse import read_classes

CLASSES = read_classes()


@pytest.fixture
def translator() -> LandUseTranslator:
    return LandUseTranslator(CLASSES)


# --- land use -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0601",
        " 0601 ",
        "工业用地",
        " 工业 用地 ",
        "Industrial land",
        "INDUSTRIAL  LAND",
        "0601 工业用地",
        "0601工业用地",
        "工业用地(0601)",
        "工业用地（0601）",
    ],
)
def test_a_gbt21010_code_or_name_translates_to_the_code(translator, value):
    assert translator.translate(value) == "0601"
    assert translator.untranslated == {}


@pytest.mark.parametrize("value", [601, 601.0, np.int64(601), np.float64(601.0)])
def test_a_code_read_as_a_number_gets_its_leading_zero_back(translator, value):
    assert translator.translate(value) == "0601"


def test_a_first_level_code_read_as_a_number_translates_too(translator):
    assert translator.translate(6) == "06"
    assert translator.translate(1001) == "1001"


def test_a_code_written_as_text_without_its_leading_zero_is_not_guessed(translator):
    assert translator.translate("601") is None
    assert translator.untranslated == {"601": 1}


def test_a_fractional_number_or_a_name_with_another_code_is_not_a_class(translator):
    assert translator.translate(601.5) is None
    assert translator.translate("0604 工业用地") is None


def test_empty_values_are_none_and_not_counted_as_untranslated(translator):
    for value in (None, "", "  ", float("nan")):
        assert translator.translate(value) is None
    assert translator.untranslated == {}


def test_values_nothing_translates_are_counted_most_frequent_first(translator):
    for value in ("M1", "M9", "M9", "工业", 9999):
        assert translator.translate(value) is None
    assert translator.untranslated == {"M9": 2, "M1": 1, "工业": 1, "9999": 1}
    assert list(translator.untranslated)[0] == "M9"


def test_a_class_map_translates_another_schemes_values_and_wins_over_the_table():
    # 1001 is 工业用地 in the 2023 用地用海 classes, but 铁路用地 in GB/T 21010-2017.
    translator = LandUseTranslator(CLASSES, {"M1": "0601", "1001": "0601", "W1": "0604"})
    assert translator.translate("M1") == "0601"
    assert translator.translate("m1") == "0601"
    assert translator.translate("1001") == "0601"
    assert translator.translate(1001) == "0601"
    assert translator.translate("W1") == "0604"
    assert translator.translate("0701") == "0701"


def test_a_class_map_naming_a_code_not_in_the_table_is_an_error_naming_the_entry():
    with pytest.raises(MappingError, match="M1 → 9999"):
        LandUseTranslator(CLASSES, {"M1": "9999"})


def test_a_class_map_csv_with_a_header_is_read(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("source,code\nM1,0601\n\nW1, 0604\n", encoding="utf-8")
    assert read_class_map(path) == {"M1": "0601", "W1": "0604"}


def test_a_class_map_csv_may_have_its_columns_the_other_way_round(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("code,source\n0601,M1\n", encoding="utf-8")
    assert read_class_map(path) == {"M1": "0601"}


def test_a_class_map_without_a_header_in_gb18030_is_read(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_bytes("一类工业用地,0601\n物流仓储用地,0604\n".encode("gb18030"))
    assert read_class_map(path) == {"一类工业用地": "0601", "物流仓储用地": "0604"}


def test_a_class_map_in_utf8_with_a_bom_is_read(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_bytes("\ufeffsource,code\n工矿用地,0601\n".encode())
    assert read_class_map(path) == {"工矿用地": "0601"}


def test_a_class_map_line_with_an_unknown_code_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("source,code\nM1,0601\nM2,0699\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"classes\.csv, line 3: M2 → 0699"):
        read_class_map(path, classes=CLASSES)
    with pytest.raises(MappingError, match="line 3"):
        LandUseTranslator(CLASSES, read_class_map(path))


def test_a_class_map_line_without_a_code_is_an_error(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("M1\n", encoding="utf-8")
    with pytest.raises(MappingError, match="line 1"):
        read_class_map(path)


def test_a_class_map_giving_one_value_two_codes_is_an_error(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("M1,0601\nM1,0604\n", encoding="utf-8")
    with pytest.raises(MappingError, match="line 1 and to 0604"):
        read_class_map(path)


# --- statuses and supply modes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("reserve", "reserve"),
        ("READY", "ready"),
        ("储备", "reserve"),
        ("待供应", "ready"),
        ("已供应", "supplied"),
        ("在建", "under_construction"),
        ("投产", "operating"),
        (" 闲置 ", "idle"),
        ("Ready for supply", "ready"),
        ("under construction", "under_construction"),
        ("已出让", "supplied"),
    ],
)
def test_a_status_translates_from_its_code_chinese_or_english_name(value, status):
    assert translate_status(value) == status


def test_an_empty_status_says_nothing():
    assert translate_status(None) is None
    assert translate_status(" ") is None


def test_a_status_that_means_nothing_is_refused_listing_the_accepted_ones():
    with pytest.raises(ValueError) as caught:
        translate_status("在售")
    assert "reserve (储备, Reserve)" in str(caught.value)
    assert "idle (闲置, Idle)" in str(caught.value)


def test_a_mapping_files_status_words_are_tried_first():
    assert translate_status("已开工", {"已开工": "under_construction"}) == "under_construction"
    assert translate_status("储备", {"已开工": "under_construction"}) == "reserve"


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("出让", "grant"),
        ("划拨", "allocate"),
        ("租赁", "lease"),
        ("grant", "grant"),
        ("Allocation", "allocate"),
        ("LEASE", "lease"),
        ("招拍挂", "grant"),
    ],
)
def test_a_supply_mode_translates_from_its_code_chinese_or_english_name(value, mode):
    assert translate_supply_mode(value) == mode


def test_a_supply_mode_that_means_nothing_is_refused_listing_the_accepted_ones():
    with pytest.raises(ValueError, match=r"grant \(出让, Grant\)"):
        translate_supply_mode("赠与")


def test_a_mapping_files_value_tables_are_read_and_checked():
    maps = ValueMaps.from_mapping_file(
        {"values": {"status": {"在建": "under_construction"}, "supply_mode": {"挂牌": "grant"}}}
    )
    assert maps.status == {"在建": "under_construction"}
    assert maps.supply_mode == {"挂牌": "grant"}
    assert ValueMaps.from_mapping_file(None) == ValueMaps()
    with pytest.raises(MappingError, match=r"\[values.status\] 在建 = 'building'"):
        ValueMaps.from_mapping_file({"values": {"status": {"在建": "building"}}})
    with pytest.raises(MappingError, match=r"\[values.holder\]"):
        ValueMaps.from_mapping_file({"values": {"holder": {"a": "b"}}})


# --- dates and areas --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01",
        "2024/3/1",
        "2024.03.01",
        "20240301",
        "2024年3月1日",
        "2024-03-01 00:00:00",
        "2024-03-01T08:30:00",
        20240301,
        date(2024, 3, 1),
        datetime(2024, 3, 1, 15, 0),
    ],
)
def test_a_date_is_read_as_surveyors_write_it(value):
    assert parse_date(value) == date(2024, 3, 1)


def test_an_empty_date_says_nothing():
    assert parse_date(None) is None
    assert parse_date("") is None
    assert parse_date(float("nan")) is None


@pytest.mark.parametrize("value", ["next spring", "2024-13-01", "01/03/24", 2024.5])
def test_a_date_that_means_nothing_is_refused_listing_the_accepted_forms(value):
    with pytest.raises(ValueError, match="2024年3月1日"):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "area_m2"),
    [
        (1234.5, 1234.5),
        (1234, 1234.0),
        ("1234.5", 1234.5),
        ("1,234.5", 1234.5),
        ("1234.5㎡", 1234.5),
        ("1234.5 m2", 1234.5),
        ("1234.5m²", 1234.5),
        ("1234.5平方米", 1234.5),
        ("15亩", 15 * 10000 / 15),
        ("1.2 ha", 1.2 * 10000),
        ("0.5公顷", 0.5 * 10000),
    ],
)
def test_an_area_is_read_in_square_metres_whatever_its_unit(value, area_m2):
    assert parse_area(value) == pytest.approx(area_m2)


def test_an_empty_area_says_nothing():
    assert parse_area(None) is None
    assert parse_area(" ") is None
    assert parse_area(math.nan) is None


@pytest.mark.parametrize("value", ["about 1200", "12 acres", "-5", -5.0, "1.2.3", True])
def test_an_area_that_means_nothing_is_refused(value):
    with pytest.raises(ValueError, match="not an area"):
        parse_area(value)


def test_none_nan_na_and_blank_text_are_empty_but_zero_is_not():
    empties = (None, "", "  ", float("nan"), np.float64("nan"), pd.NA, pd.NaT)
    assert all(is_empty(v) for v in empties)
    assert not any(is_empty(v) for v in (0, "0", 0.0, "x"))

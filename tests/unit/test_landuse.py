"""The land-use class table of GB/T 21010-2017 as data: every class present, parents derived,
and only 工业用地 0601 flagged as manufacturing land."""

from __future__ import annotations

import pytest

from parks.landuse import STANDARD_GBT21010_2017, read_classes

#: The first-level classes of GB/T 21010-2017 (土地利用现状分类), from the standard.
FIRST_LEVEL = {
    "01": "耕地",
    "02": "园地",
    "03": "林地",
    "04": "草地",
    "05": "商服用地",
    "06": "工矿仓储用地",
    "07": "住宅用地",
    "08": "公共管理与公共服务用地",
    "09": "特殊用地",
    "10": "交通运输用地",
    "11": "水域及水利设施用地",
    "12": "其他土地",
}
#: The second-level classes of 06 工矿仓储用地.
CLASS_06 = {"0601": "工业用地", "0602": "采矿用地", "0603": "盐田", "0604": "仓储用地"}
#: The standard has 73 second-level classes.
SECOND_LEVEL_COUNT = 73


@pytest.fixture(scope="module")
def classes():
    return read_classes()


def test_every_first_level_class_is_present_with_its_chinese_name(classes):
    first = {c.code: c.name_zh for c in classes if c.level == 1}
    assert first == FIRST_LEVEL


def test_every_second_level_class_of_06_is_present(classes):
    of_06 = {c.code: c.name_zh for c in classes if c.level == 2 and c.code.startswith("06")}
    assert of_06 == CLASS_06


def test_the_table_has_the_standards_73_second_level_classes_each_under_a_first_level_one(
    classes,
):
    second = [c for c in classes if c.level == 2]
    assert len(second) == SECOND_LEVEL_COUNT
    assert len({c.code for c in classes}) == len(classes), "codes are unique"
    for c in second:
        assert len(c.code) == 4 and c.code.isdigit()
        assert c.code[:2] in FIRST_LEVEL


def test_only_0601_industrial_land_is_manufacturing(classes):
    assert [c.code for c in classes if c.is_manufacturing] == ["0601"]


def test_parents_are_derived_from_the_code_and_come_before_their_children(classes):
    position = {c.code: i for i, c in enumerate(classes)}
    for c in classes:
        if c.level == 1:
            assert c.parent_code is None
        else:
            assert c.parent_code == c.code[:2]
            assert position[c.parent_code] < position[c.code]


def test_every_class_carries_an_english_name_and_the_standard(classes):
    for c in classes:
        assert c.name_en.strip() == c.name_en and c.name_en
        assert c.standard == STANDARD_GBT21010_2017 == "GB/T 21010-2017"


def test_a_class_table_file_is_read_with_its_flags_and_sorted_parents_first(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text(
        "code,level,name_zh,name_en,is_manufacturing\n"
        "1001,2, 工业用地 ,Industrial land,TRUE\n"
        "1002,2,采矿用地,Mining land,1\n"
        "1003,2,盐田,Salt pan,yes\n"
        "1004,2,仓储用地,Storage land,false\n"
        "10,1,工矿用地,Industrial and mining land,0\n",
        encoding="utf-8",
    )
    got = read_classes(path)
    assert [c.code for c in got] == ["10", "1001", "1002", "1003", "1004"]
    assert [c.is_manufacturing for c in got] == [False, True, True, True, False]
    assert got[1].name_zh == "工业用地"  # surrounding blanks trimmed
    assert got[1].parent_code == "10"

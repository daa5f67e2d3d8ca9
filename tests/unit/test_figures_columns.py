"""No database: the columns of an enterprises' figures file — the headers accepted
(Chinese or English, full-width or not, in any order), the units refused, numbers as
officials type them, names and codes as they are matched, the code derived from a name —
and the row checks of a whole file (service.supervision.figures.check_sheet)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from parks.supervision.figures_columns import (
    BY_FIELD,
    CellError,
    column_of,
    derived_code,
    figure,
    header_score,
    match_header,
    normal_code,
    normal_name,
    parse_number,
    year_of,
)
from service.supervision.figures import Sheet, check_sheet, kind_of

CHINESE = [
    "统一社会信用代码",
    "企业名称",
    "税收（万元）",
    "销售收入(万元)",
    "工业增加值（万元）",
    "综合能耗（吨标准煤）",
    "研发经费(万元)",
    "从业人员",
    "年份",
]
ENGLISH = [
    "enterprise_code",
    "name",
    "tax_wan",
    "revenue_wan",
    "added_value_wan",
    "energy_tce",
    "rd_wan",
    "employees",
    "year",
]


@pytest.mark.parametrize("headers", [CHINESE, ENGLISH], ids=["chinese", "english"])
def test_every_column_is_recognised_by_its_chinese_or_english_header(headers):
    match = match_header(headers)
    assert match.problems == []
    assert match.index == {field: i for i, field in enumerate(ENGLISH)}


def test_columns_may_come_in_any_order_with_extra_columns_ignored():
    match = match_header(["序号", "Revenue_Wan", " 企业名称 ", "备注", "Tax"])
    assert match.problems == []
    assert match.index == {"revenue_wan": 1, "name": 2, "tax_wan": 4}
    assert match.ignored == ["序号", "备注"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("营业收入（万元）", "revenue_wan"),
        ("营业收入", "revenue_wan"),
        ("主营业务收入(万元)", "revenue_wan"),
        ("税收(万元)*", "tax_wan"),
        ("综合能耗(吨标煤)", "energy_tce"),
        ("从业人员(人)", "employees"),
        ("R&D经费(万元)", "rd_wan"),
        ("社会信用代码", "enterprise_code"),
        ("ＮＡＭＥ", "name"),  # full-width letters
    ],
)
def test_the_usual_other_names_of_a_column_are_accepted(header, field):
    assert column_of(header) == (field, None)


@pytest.mark.parametrize("header", ["税收(元)", "销售收入（亿元）", "综合能耗(千瓦时)"])
def test_a_unit_other_than_the_columns_is_refused_never_converted(header):
    match = match_header(["企业名称", "税收(万元)", "销售收入(万元)", header])
    assert len(match.problems) == 1
    named, message = match.problems[0]
    assert named == header and "is not the column's" in message


def test_a_field_given_by_two_columns_is_a_problem_naming_both():
    match = match_header(["企业名称", "税收(万元)", "tax_wan", "销售收入(万元)"])
    assert match.problems == [
        ("tax_wan", "gives tax_wan as column '税收(万元)' does; keep one of them")
    ]


def test_missing_required_columns_are_named():
    problems = [message for _, message in match_header(["序号", "工业增加值(万元)"]).problems]
    assert any("企业名称/name" in p and "统一社会信用代码" in p for p in problems)
    assert any("税收(万元)/tax_wan" in p for p in problems)
    assert any("销售收入(万元)/revenue_wan" in p for p in problems)


def test_a_title_row_scores_below_a_header_row():
    assert header_score(["2025年度企业亩均效益数据", None, None]) == 0
    assert header_score(CHINESE) == len(CHINESE)


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        (1234, Decimal(1234)),
        (1234.5, Decimal("1234.5")),
        (0.1, Decimal("0.1")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("１，２３４．５", Decimal("1234.5")),  # full-width digits and comma
        (" 12 345 ", Decimal("12345")),
        ("-7.25", Decimal("-7.25")),
        ("", None),
        (None, None),
        ("—", None),
        ("-", None),
    ],
)
def test_numbers_are_read_as_officials_type_them(cell, number):
    assert parse_number(cell) == number


@pytest.mark.parametrize("cell", ["abc", "1,23", "12,34.5", "1.2.3", "12万", True, float("nan")])
def test_what_is_not_a_number_is_refused(cell):
    with pytest.raises(CellError, match="not a number"):
        parse_number(cell)


def test_a_figure_is_rounded_half_away_from_zero_to_the_registers_places():
    assert figure(BY_FIELD["tax_wan"], "10.005") == Decimal("10.01")
    assert figure(BY_FIELD["tax_wan"], "-10.005") == Decimal("-10.01")
    assert figure(BY_FIELD["energy_tce"], 1.0005) == Decimal("1.001")
    assert figure(BY_FIELD["employees"], 12.0) == 12


def test_negative_revenue_energy_rd_and_employees_are_refused_but_tax_and_added_value_not():
    for field in ("revenue_wan", "energy_tce", "rd_wan", "employees"):
        with pytest.raises(CellError, match="negative"):
            figure(BY_FIELD[field], -1)
    assert figure(BY_FIELD["tax_wan"], -3) == Decimal("-3.00")  # a year of VAT refunds
    assert figure(BY_FIELD["added_value_wan"], -3) == Decimal("-3.00")  # a loss-making year


def test_a_count_must_be_whole_and_a_figure_within_what_the_register_stores():
    with pytest.raises(CellError, match="whole"):
        figure(BY_FIELD["employees"], 12.5)
    with pytest.raises(CellError, match="too large"):
        figure(BY_FIELD["revenue_wan"], "1,000,000,000,000")
    with pytest.raises(CellError, match="too large"):
        figure(BY_FIELD["employees"], 2**31)


@pytest.mark.parametrize(("cell", "year"), [(2025, 2025), ("2025", 2025), ("2025年", 2025)])
def test_a_year_cell_is_read(cell, year):
    assert year_of(cell) == year


def test_names_are_trimmed_and_full_width_spaces_made_plain_but_brackets_kept():
    assert normal_name("\u3000宝鸡\u3000\u3000某某（集团）有限公司 ") == "宝鸡 某某（集团）有限公司"


def test_codes_are_folded_to_the_registers_form():
    assert normal_code(" ９１６１０３００ma6x000001 ") == "91610300MA6X000001"
    assert normal_code(123456.0) == "123456"


def test_the_derived_code_is_x_and_twelve_hex_digits_of_the_names_sha1():
    name = "宝鸡新来的科技有限公司"
    expected = "X" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12].upper()
    assert derived_code(name) == expected
    assert derived_code(" 宝鸡新来的科技有限公司\u3000") == expected  # the same enterprise


# --- a whole file's rows ----------------------------------------------------------------------


def _sheet(*rows) -> Sheet:
    return Sheet([(n, tuple(cells)) for n, cells in enumerate(rows, start=1)])


def test_the_header_is_found_below_a_title_and_rows_keep_their_spreadsheet_numbers():
    checked = check_sheet(
        _sheet(
            ["2025年度亩均效益数据"],
            [],
            ["企业名称", "税收(万元)", "销售收入(万元)"],
            ["甲公司", "1,000.5", 20000],
            [None, None, None],
            ["乙公司", 3, 4],
            ["合计", 1003.5, 20004],
        ),
        year=2025,
    )
    assert checked.problems == []
    assert checked.header_row == 3
    assert [(r.row, r.name, r.figures["tax_wan"]) for r in checked.rows] == [
        (4, "甲公司", Decimal("1000.50")),
        (6, "乙公司", Decimal("3.00")),
    ]
    assert checked.skipped == [{"row": 7, "reason": "a total line (合计)"}]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (["甲公司", "abc", 1, 2025], "税收(万元)", "not a number: 'abc'"),
        (["甲公司", 1, -5, 2025], "销售收入(万元)", "negative"),
        (["甲公司", None, 1, 2025], "税收(万元)", "missing"),
        (["甲公司", 1, 1, 2024], "年份", "the year 2024 is not the year imported, 2025"),
        ([None, 1, 1, 2025], "企业名称", "missing"),
    ],
    ids=["not-a-number", "negative", "missing-required", "year-mismatch", "no-name"],
)
def test_each_problem_names_its_row_and_column(row, column, words):
    header = ["企业名称", "税收(万元)", "销售收入(万元)", "年份"]
    checked = check_sheet(_sheet(header, ["乙公司", 1, 1, 2025], row), year=2025)
    assert len(checked.problems) == 1
    problem = checked.problems[0]
    assert (problem["row"], problem["column"]) == (3, column)
    assert words in problem["message"]
    assert problem["message"].startswith(f"row 3, column {column}: ")


def test_an_enterprise_twice_in_a_file_is_a_problem_naming_both_rows():
    checked = check_sheet(
        _sheet(
            ["统一社会信用代码", "企业名称", "税收(万元)", "销售收入(万元)"],
            ["91610300MA6X000001", "甲公司", 1, 1],
            ["91610300MA6X000002", "乙公司", 1, 1],
            ["91610300ma6x000001", "丙公司", 1, 1],
            [None, "乙公司\u3000", 1, 1],
        ),
        year=2025,
    )
    assert [(p["row"], p["column"]) for p in checked.problems] == [
        (4, "统一社会信用代码"),
        (5, "企业名称"),
    ]
    assert "is on row 2 too" in checked.problems[0]["message"]
    assert "is on row 3 too" in checked.problems[1]["message"]


def test_a_file_without_a_header_or_without_rows_is_refused():
    assert (
        "no header row" in check_sheet(_sheet(["a", "b"], [1, 2]), year=2025).problems[0]["message"]
    )
    empty = check_sheet(_sheet(["企业名称", "税收(万元)", "销售收入(万元)"]), year=2025)
    assert "no rows" in empty.problems[0]["message"]


def test_the_kind_of_a_file_is_told_by_its_name_or_its_first_bytes():
    assert kind_of(b"PK\x03\x04...", "upload") == "xlsx"
    assert kind_of(b"name,tax", "f.csv") == "csv"
    assert kind_of(b"PK\x03\x04", "figures.xlsx") == "xlsx"

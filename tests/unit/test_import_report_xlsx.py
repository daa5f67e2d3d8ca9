"""No database: the import's validation report as a workbook — a sheet per section with
Chinese headers, text from the file never a formula, numbers as numbers."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from support_import_outcomes import FORMULA, IMG, SCRIPT, many_problems, outcome, rule

from parks.imports.problems import ImportProblem, ProblemKind
from service.imports.report_xlsx import write_workbook

SHEETS = ["概况", "问题", "新增", "变更", "缺失", "规则影响"]
PROBLEM_HEADERS = ["类型", "严重程度", "行号", "宗地编号", "说明", "经度", "纬度", "量值", "单位",
                   "关联", "类型代码", "已跳过"]  # fmt: skip


def _workbook(tmp_path: Path, **changes) -> openpyxl.Workbook:
    out = tmp_path / "report.xlsx"
    write_workbook(outcome(**changes), out)
    return openpyxl.load_workbook(out)


def _header(ws) -> list:
    return [c.value for c in ws[1]]


def _rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def _labelled(ws) -> dict:
    """Rows by their first cell (the first row of each label)."""
    out: dict = {}
    for row in _rows(ws):
        if row[0] is not None:
            out.setdefault(row[0], row)
    return out


def _find(ws, value) -> list:
    return [c for row in ws.iter_rows() for c in row if c.value == value]


def test_the_workbook_has_a_sheet_per_section_in_order(tmp_path):
    assert _workbook(tmp_path).sheetnames == SHEETS


def test_every_sheet_has_chinese_headers_and_a_frozen_header_row(tmp_path):
    wb = _workbook(tmp_path)
    assert _header(wb["问题"]) == PROBLEM_HEADERS
    assert _header(wb["变更"]) == ["行号", "宗地编号", "变更类型", "变更前", "变更后"]
    assert _header(wb["新增"]) == ["序号", "宗地编号"]
    assert _header(wb["缺失"]) == ["序号", "宗地编号"]
    assert _header(wb["规则影响"])[:7] == ["范围", "变更前（m²）", "变更前（亩）", "变更后（m²）",
                                          "变更后（亩）", "增减（m²）", "增减（亩）"]  # fmt: skip
    assert _header(wb["概况"])[:2] == ["项目", "内容"]
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert all(cell.font.bold for cell in ws[1] if cell.value), ws.title


def test_problems_sheet_lists_every_problem_with_chinese_kind_and_severity(tmp_path):
    ws = _workbook(tmp_path)["问题"]
    rows = _rows(ws)
    assert len(rows) == 8
    first = dict(zip(PROBLEM_HEADERS, rows[0], strict=True))
    assert first["类型"] == "几何无效" and first["严重程度"] == "阻断"
    assert first["行号"] == 3 and first["宗地编号"] == "CJP-T003"
    assert (first["经度"], first["纬度"]) == (107.59, 34.315)
    assert first["类型代码"] == "invalid_geometry"
    severities = [r[1] for r in rows]
    assert severities.count("阻断") == 6 and severities.count("警告") == 2
    (missing,) = [r for r in rows if r[10] == "missing_field"]
    assert missing[2] is None and missing[5] is None  # no row, no place


def test_numbers_are_numbers_with_a_number_format(tmp_path):
    ws = _workbook(tmp_path)["问题"]
    overlap = next(row for row in ws.iter_rows(min_row=2) if row[10].value == "overlap_in_file")
    row_no, lon, lat, measure = overlap[2], overlap[5], overlap[6], overlap[7]
    assert row_no.data_type == "n" and row_no.value == 8
    assert lon.data_type == "n" and lon.number_format == "0.0000000"
    assert lat.data_type == "n" and isinstance(lat.value, float)
    assert measure.data_type == "n" and measure.value == 0.3125
    assert measure.number_format != "General"
    assert overlap[8].value == "m²"
    mismatch = next(row for row in ws.iter_rows(min_row=2) if row[10].value == "area_mismatch")
    assert mismatch[7].value == -500 and mismatch[7].data_type == "n"  # a negative stays a number


def test_a_formula_from_the_file_stays_a_literal_string_on_every_sheet(tmp_path):
    wb = _workbook(tmp_path)
    for sheet in ("问题", "缺失", "概况"):
        (cell,) = _find(wb[sheet], FORMULA)
        assert cell.data_type == "s", sheet
        assert cell.quotePrefix, sheet
    assert not [
        c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]


def test_hostile_markup_is_kept_as_plain_text(tmp_path):
    wb = _workbook(tmp_path)
    assert _find(wb["问题"], IMG)[0].data_type == "s"
    (holder,) = [r for r in _rows(wb["变更"]) if r[1] == "CJP-0004"]
    assert IMG in holder[4]
    assert _find(wb["概况"], SCRIPT)  # a source field's name


def test_changed_sheet_names_the_change_kinds_in_chinese_with_before_and_after(tmp_path):
    rows = {r[1]: r for r in _rows(_workbook(tmp_path)["变更"]) if r[1]}
    assert rows["CJP-0002"][0] == 21
    assert rows["CJP-0002"][2] == "改变用途、调整界址"
    assert rows["CJP-0003"][2] == "状态变更"
    assert rows["CJP-0004"][2] == "供地"
    assert "用地代码：0601" in rows["CJP-0002"][3] and "用地代码：0604" in rows["CJP-0002"][4]
    assert "10,000.00 m²" in rows["CJP-0002"][3] and "15.0000 亩" in rows["CJP-0002"][3]
    assert rows["CJP-0003"][3] == "状态：储备（reserve）"
    assert "供地方式：出让（grant）" in rows["CJP-0004"][4]


def test_new_and_missing_sheets_list_the_codes(tmp_path):
    wb = _workbook(tmp_path)
    assert [r[1] for r in _rows(wb["新增"])] == ["CJP-T020", '"><svg onload=alert(3)>']
    assert [r[1] for r in _rows(wb["缺失"]) if r[0] is not None][:2] == ["CJP-0006", FORMULA]


def test_summary_sheet_says_how_the_file_was_read_and_maps_its_fields(tmp_path):
    ws = _workbook(tmp_path)["概况"]
    facts = {label: row[1] for label, row in _labelled(ws).items()}
    assert facts["文件"] == "调查成果_2026.shp"
    assert facts["驱动"] == "ESRI Shapefile"
    assert facts["要素数"] == 14
    assert facts["编码"] == "gb18030"
    assert facts["编码判定"] == "UTF-8 无法读取，改用 GB18030"
    assert facts["坐标系"] == "EPSG:4524" and facts["坐标系来源"] == "文件自带"
    assert facts["园区归属"] == "按参数指定（--park）"
    assert facts["状态"] == "试运行（dry_run）"
    assert facts["阻断问题"] == 6 and facts["警告"] == 2
    headers = _find(ws, "目标字段")
    assert headers and ws.cell(row=headers[0].row, column=2).value == "源字段"
    assert facts["宗地编号"] == "宗地编号" and facts["用地代码"] == "用地性质"
    untranslated = _find(ws, "未翻译的用地值")[0].row
    assert ws.cell(row=untranslated + 1, column=1).value == "XYZ"
    assert ws.cell(row=untranslated + 1, column=2).value == 3


def test_rule_sheet_shows_city_and_park_totals_in_square_metres_and_mu(tmp_path):
    ws = _workbook(tmp_path)["规则影响"]
    rows = _labelled(ws)
    city = rows["全市"]
    assert city[1:7] == [800_000, pytest.approx(1200), 800_500, pytest.approx(1200.75), 500,
                        pytest.approx(0.75)]  # fmt: skip
    assert rows["caijiapo"][5] == 500 and rows["gaoxin"][5] == 0
    assert ws["B2"].number_format == "#,##0.00" and ws["C2"].number_format == "#,##0.0000"
    assert rows["规则判定"][1].startswith("通过")
    assert rows["缺口（m²）"][1] == 0


def test_rule_sheet_of_a_refused_import_gives_the_shortfall_and_the_parcels(tmp_path):
    ws = _workbook(tmp_path, rule=rule(refuse=True), status="refused")["规则影响"]
    rows = _labelled(ws)
    assert rows["规则判定"][1].startswith("拒绝")
    assert rows["缺口（m²）"][1] == 1000 and rows["缺口（亩）"][1] == pytest.approx(1.5)
    assert rows["拒绝范围"][1] == "全市"
    assert rows["涉及宗地"][1] == f"CJP-0002、{IMG}"
    assert rows["全市"][5] == -1000


def test_rule_sheet_says_when_the_rule_was_not_judged(tmp_path):
    ws = _workbook(tmp_path, rule=None)["规则影响"]
    assert "未计算" in ws["A2"].value


def test_a_control_character_from_a_dirty_dbf_does_not_break_the_workbook(tmp_path):
    dirty = ImportProblem(ProblemKind.TINY, "bad\x01byte", row=1, parcel_code="A\x00B")
    ws = _workbook(tmp_path, problems=[dirty])["问题"]
    assert ws["D2"].value == "A\\x00B" and ws["E2"].value == "bad\\x01byte"


def test_the_workbook_can_be_written_to_an_open_binary_file():
    buffer = io.BytesIO()
    write_workbook(outcome(), buffer)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert wb.sheetnames == SHEETS


def test_a_large_import_carries_every_problem(tmp_path):
    wb = _workbook(tmp_path, problems=many_problems(3_000))
    ws = wb["问题"]
    assert ws.max_row == 3_001
    assert ws.cell(row=3_001, column=4).value == "CJP-M03000"
    assert ws.auto_filter.ref == "A1:L3001"


def test_rule_sheet_gives_each_parks_reserve_against_its_target(tmp_path):
    ws = _workbook(tmp_path)["规则影响"]
    (header,) = _find(ws, "储备目标（亩）")
    headers = [c.value for c in ws[header.row] if c.value]
    assert headers == [
        "园区", "已设目标", "储备目标（亩）", "储备 变更前（亩）", "储备 变更后（亩）",
        "储备增减（亩）", "变更前达标", "变更后达标",
    ]  # fmt: skip
    row = [c.value for c in ws[header.row + 1]][: len(headers)]
    assert row == ["caijiapo", "是", 100, 120, 118.5, -1.5, "是", "是"]
    assert ws.cell(row=header.row + 1, column=5).number_format == "#,##0.0000"

"""The import's validation report as an Excel workbook, a sheet per section with Chinese
headers: 概况 (how the file was read), 问题 (every problem), 新增, 变更 and 缺失 (the diff)
and 规则影响 (the effect on manufacturing land).

The workbook is written in openpyxl's write-only mode, so a report of a 100,000-feature
file streams to disk instead of holding a million cells in memory. Every cell goes
through :mod:`service.exports.cells`: a parcel code, holder or message ``=...`` from the
file is a literal string cell, never a formula. Numbers stay numbers, with a number
format.

The words (Chinese names of kinds, sources and fields) are the HTML report's too:
:mod:`service.imports.report_words`.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from parks.imports.diff import CHANGE_KINDS, ChangedParcel
from parks.imports.problems import KIND_NAMES_ZH, ImportProblem
from parks.units import m2_to_mu
from parks.vocabulary import IMPORT_STATUS_NAMES_ZH
from service.exports import cells
from service.imports.outcome import ImportOutcome, RuleEffect
from service.imports.report_geojson import COORD_DIGITS
from service.imports.report_words import (
    CHANGE_KIND_NAMES_ZH,
    CRS_SOURCES_ZH,
    ENCODING_SOURCES_ZH,
    PARK_SOURCES_ZH,
    SEVERITY_NAMES_ZH,
    change_kinds_text,
    changes_text,
    field_label,
    named,
    source_text,
    target_columns,
    target_label,
    unit_text,
)

# --- cells --------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
FMT_INT = "#,##0"
FMT_ROW = "0"
FMT_M2 = "#,##0.00"
FMT_MU = "#,##0.0000"
FMT_DEGREES = "0." + "0" * COORD_DIGITS
FMT_MEASURE = "#,##0.00##"
#: Rows looked at to size the columns (a big sheet's first rows say enough).
WIDTH_SAMPLE_ROWS = 2_000


@dataclass(frozen=True, slots=True)
class Column:
    """A sheet's column: header, number format of its numbers, widest it may get."""

    header: str
    number_format: str | None = None
    max_width: int = 60


def _cell(ws: Worksheet, value: Any, number_format: str | None = None) -> Any:
    """*value* for a row of a write-only sheet: as it is when plain, else a cell — a
    formula-like string kept as text (:func:`service.exports.cells.keep_as_text`), a
    number with *number_format*. (Plain values skip a cell object each: a 100,000-row
    sheet is written in a fraction of the time.)"""
    if isinstance(value, str):
        return cells.write_only_value(ws, value)
    if isinstance(value, float) and not math.isfinite(value):  # no number a cell can hold
        return None
    if number_format and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return value


def _header_cells(ws: Worksheet, headers: Sequence[str]) -> list[WriteOnlyCell]:
    out = []
    for header in headers:
        cell = cells.keep_as_text(WriteOnlyCell(ws, value=cells.xlsx_text(header)))
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
        out.append(cell)
    return out


def _display_width(value: Any) -> int:
    """Characters a value takes in a cell; a CJK character takes two."""
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    line = max(text.splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)


def _size_columns(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]]):
    for index, column in enumerate(columns):
        widest = _display_width(column.header)
        for row in rows[:WIDTH_SAMPLE_ROWS]:
            if index < len(row):
                widest = max(widest, _display_width(row[index]))
        width = max(8, min(column.max_width, widest + 2))
        ws.column_dimensions[get_column_letter(index + 1)].width = width


def _table_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Any]],
    *,
    note: str | None = None,
) -> Worksheet:
    """A sheet of one table: a frozen, filterable header row, then *rows*; *note* (when
    given) in the row under the table."""
    ws = wb.create_sheet(title)
    _size_columns(ws, columns, rows)
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, [c.header for c in columns]))
    for row in rows:
        ws.append([_cell(ws, v, c.number_format) for v, c in zip(row, columns, strict=False)])
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    if note:
        ws.append([])
        ws.append([_cell(ws, note)])
    return ws


# --- the sheets ---------------------------------------------------------------------------

SUMMARY_SHEET = "概况"
PROBLEMS_SHEET = "问题"
NEW_SHEET = "新增"
CHANGED_SHEET = "变更"
MISSING_SHEET = "缺失"
RULE_SHEET = "规则影响"

PROBLEM_COLUMNS: tuple[Column, ...] = (
    Column("类型", max_width=24),
    Column("严重程度"),
    Column("行号", FMT_ROW),
    Column("宗地编号", max_width=30),
    Column("说明", max_width=80),
    Column("经度", FMT_DEGREES),
    Column("纬度", FMT_DEGREES),
    Column("量值", FMT_MEASURE),
    Column("单位"),
    Column("关联", max_width=30),
    Column("类型代码", max_width=24),
    Column("已跳过"),
)
CHANGED_COLUMNS: tuple[Column, ...] = (
    Column("行号", FMT_ROW),
    Column("宗地编号", max_width=30),
    Column("变更类型", max_width=30),
    Column("变更前", max_width=80),
    Column("变更后", max_width=80),
)
RULE_COLUMNS: tuple[Column, ...] = (
    Column("范围"),
    Column("变更前（m²）", FMT_M2),
    Column("变更前（亩）", FMT_MU),
    Column("变更后（m²）", FMT_M2),
    Column("变更后（亩）", FMT_MU),
    Column("增减（m²）", FMT_M2),
    Column("增减（亩）", FMT_MU),
)


def _round_degrees(value: float | None) -> float | None:
    return None if value is None else round(float(value), COORD_DIGITS)


def problem_row(problem: ImportProblem, *, skipped: bool = False) -> list[Any]:
    """A problem's row on the 问题 sheet (in :data:`PROBLEM_COLUMNS`' order)."""
    return [
        KIND_NAMES_ZH.get(problem.kind, problem.kind.value),
        SEVERITY_NAMES_ZH.get(problem.severity.value, problem.severity.value),
        problem.row,
        problem.parcel_code,
        problem.message,
        _round_degrees(problem.lon),
        _round_degrees(problem.lat),
        problem.measure,
        unit_text(problem.unit),
        problem.other,
        problem.kind.value,
        "是" if skipped else "",
    ]


def changed_row(parcel: ChangedParcel) -> list[Any]:
    """A changed parcel's row on the 变更 sheet."""
    return [
        parcel.row,
        parcel.parcel_code,
        change_kinds_text(parcel.kinds),
        changes_text(parcel.before),
        changes_text(parcel.after),
    ]


def _plain(value: Any) -> Any:
    """An option's value for one cell: numbers and text as they are, the rest as JSON."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _moment(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def summary_facts(outcome: ImportOutcome) -> list[tuple[str, Any]]:
    """The 概况's key facts, label → value (the HTML report's header shows them too)."""
    src = outcome.source
    counts = outcome.diff.counts()
    skipped = outcome.skipped_rows
    return [
        ("导入编号", outcome.id),
        ("状态", named(IMPORT_STATUS_NAMES_ZH, outcome.status)),
        ("变更集", outcome.change_set_id),
        ("创建时间", _moment(outcome.created_at)),
        ("经办人", outcome.actor),
        ("文件", src.name),
        ("图层", src.layer),
        ("驱动", src.driver),
        ("要素数", src.features),
        ("编码", src.encoding or "—"),
        ("编码判定", source_text(src.encoding_source, ENCODING_SOURCES_ZH)),
        ("坐标系", src.crs),
        ("坐标系来源", source_text(src.crs_source, CRS_SOURCES_ZH)),
        ("园区归属", source_text(src.park_source, PARK_SOURCES_ZH)),
        ("阻断问题", outcome.blocking),
        ("警告", outcome.warnings),
        ("跳过的要素（--skip-invalid）", len(skipped)),
        ("跳过的行号", ", ".join(str(r) for r in skipped) if skipped else None),
        ("新增", counts["new"]),
        ("变更", counts["changed"]["total"]),
        ("未变", counts["unchanged"]),
        ("缺失", counts["missing"]),
    ]


#: Facts that are identifiers, not quantities: no thousands separator.
_ID_FACTS = frozenset({"导入编号", "变更集"})


def _summary_sheet(wb: Workbook, outcome: ImportOutcome) -> None:
    ws = wb.create_sheet(SUMMARY_SHEET)
    src = outcome.source
    facts = summary_facts(outcome)
    options = [(f"选项 {k}", _plain(v)) for k, v in sorted(outcome.options.items())]
    mapping = sorted(src.mapping.items())
    untranslated = sorted(src.untranslated_land_use.items(), key=lambda kv: (-kv[1], kv[0]))
    sample = [*facts, *options, *[(field_label(t), s) for t, s in mapping], *untranslated]
    _size_columns(ws, (Column("项目", max_width=32), Column("内容", max_width=80)), sample)
    ws.column_dimensions["C"].width = 16
    ws.freeze_panes = "A2"

    def section(*headers: str) -> None:
        ws.append([])
        ws.append(_header_cells(ws, headers))

    ws.append(_header_cells(ws, ["项目", "内容"]))
    for label, value in [*facts, *options]:
        fmt = FMT_ROW if label in _ID_FACTS else FMT_INT
        ws.append([_cell(ws, label), _cell(ws, value, fmt)])

    section("目标字段", "源字段", "目标字段名")
    for target, source in mapping:
        ws.append([_cell(ws, field_label(target)), _cell(ws, source), _cell(ws, target)])
    if not mapping:
        ws.append([_cell(ws, "（无）")])

    section("未翻译的用地值", "要素数")
    for value, count in untranslated:
        ws.append([_cell(ws, value), _cell(ws, count, FMT_INT)])
    if not untranslated:
        ws.append([_cell(ws, "（无：每个用地值都已翻译）")])


def rule_rows(rule: RuleEffect) -> list[list[Any]]:
    """The rule's table: the city, then each park — before, after and change, in m² and
    亩 (in :data:`RULE_COLUMNS`' order)."""

    def row(scope: str, before: float, after: float) -> list[Any]:
        delta = after - before
        return [
            scope,
            before,
            m2_to_mu(before),
            after,
            m2_to_mu(after),
            delta,
            m2_to_mu(delta),
        ]

    rows = [row("全市", rule.total_before_m2, rule.total_after_m2)]
    for park in sorted(set(rule.parks_before_m2) | set(rule.parks_after_m2)):
        before = rule.parks_before_m2.get(park, 0.0)
        rows.append(row(park, before, rule.parks_after_m2.get(park, before)))
    return rows


def _rule_sheet(wb: Workbook, outcome: ImportOutcome) -> None:
    rule = outcome.rule
    if rule is None:
        ws = wb.create_sheet(RULE_SHEET)
        ws.append(_header_cells(ws, ["规则影响"]))
        ws.append([_cell(ws, "未计算：存在阻断问题或未进行规则判定。")])
        ws.column_dimensions["A"].width = 48
        return
    ws = wb.create_sheet(RULE_SHEET)
    rows = rule_rows(rule)
    _size_columns(ws, RULE_COLUMNS, rows)
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, [c.header for c in RULE_COLUMNS]))
    for row in rows:
        ws.append([_cell(ws, v, c.number_format) for v, c in zip(row, RULE_COLUMNS, strict=True)])
    refusal = rule.refusal or {}
    verdict = [
        ("规则判定", "拒绝：制造业用地将减少" if rule.would_refuse else "通过：制造业用地不减少"),
        ("制造业用地增减（m²）", rule.delta_m2, FMT_M2),
        ("制造业用地增减（亩）", m2_to_mu(rule.delta_m2), FMT_MU),
        ("缺口（m²）", rule.shortfall_m2, FMT_M2),
        ("缺口（亩）", m2_to_mu(rule.shortfall_m2), FMT_MU),
    ]
    if refusal:
        verdict += [
            ("拒绝范围", "全市" if refusal.get("scope") == "city" else refusal.get("scope")),
            ("历史最高（m²）", refusal.get("high_water_m2"), FMT_M2),
            ("涉及宗地", "、".join(str(p) for p in refusal.get("parcels") or []) or None),
            ("说明", refusal.get("message")),
        ]
    ws.append([])
    ws.append(_header_cells(ws, ["项目", "内容"]))
    for label, value, *fmt in verdict:
        ws.append([_cell(ws, label), _cell(ws, value, fmt[0] if fmt else None)])
    if rule.targets:
        keys = target_columns(rule.targets)
        ws.append([])
        ws.append([_cell(ws, "园区储备目标（变更前/后）")])
        ws.append(_header_cells(ws, [target_label(k) for k in keys]))
        for target in rule.targets:
            ws.append([_cell(ws, _target_cell(target.get(k)), FMT_MU) for k in keys])


def _target_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    return _plain(value)


def _codes_rows(codes: Sequence[str]) -> list[list[Any]]:
    return [[i, code] for i, code in enumerate(codes, 1)]


def write_workbook(outcome: ImportOutcome, out: Path | BinaryIO) -> None:
    """Write *outcome*'s validation report to *out* (a path, or a binary file opened for
    writing): sheets 概况, 问题, 新增, 变更, 缺失 and 规则影响, headers in Chinese."""
    wb = Workbook(write_only=True)
    _summary_sheet(wb, outcome)

    skipped = set(outcome.skipped_rows)
    problems = [problem_row(p, skipped=p.row in skipped) for p in outcome.problems]
    _table_sheet(wb, PROBLEMS_SHEET, PROBLEM_COLUMNS, problems)

    code_columns = (Column("序号", FMT_ROW), Column("宗地编号", max_width=30))
    diff = outcome.diff
    _table_sheet(wb, NEW_SHEET, code_columns, _codes_rows(diff.new))
    counts = diff.counts()["changed"]
    by_kind = "，".join(f"{CHANGE_KIND_NAMES_ZH[k]} {counts[k]}" for k in CHANGE_KINDS)
    _table_sheet(
        wb,
        CHANGED_SHEET,
        CHANGED_COLUMNS,
        [changed_row(p) for p in diff.changed],
        note=f"共 {counts['total']} 宗变更（{by_kind}；一宗可有多种变更）",
    )
    retire = bool(outcome.options.get("retire_missing"))
    fate = "按 --retire-missing 注销。" if retire else "仅列出，不注销（注销需 --retire-missing）。"
    _table_sheet(
        wb,
        MISSING_SHEET,
        code_columns,
        _codes_rows(diff.missing),
        note=f"库中现有、文件中没有的宗地：{fate}",
    )
    _rule_sheet(wb, outcome)
    wb.save(out)

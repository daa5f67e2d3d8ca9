"""The monthly dispatch report of key projects
(:func:`service.projects.dispatch.dispatch_report`) as an Excel workbook with Chinese
headings, a sheet per part:

总览 (the totals per park, and the city's, bold), 产业链 (the totals per industry chain,
and the city's), 项目 (every project, those behind plan first and shaded), 节点 (the
milestones due in the month and those overdue) and 问题 (the problems raised in the month
and those overdue).

Every cell goes through :mod:`service.exports.cells` (a project name ``=...`` stays
text); numbers stay numbers with a number format, dates are dates. Money 万元,
percentages 0..100, the shortfall a fraction shown as per cent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from service.exports import cells
from service.projects.dispatch import (
    MILESTONE_LISTS,
    NO_CHAIN_ZH,
    PROBLEM_LISTS,
    TOTAL_COLUMNS,
    listed_items,
    whole_line,
)

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
TOTAL_FILL = PatternFill("solid", fgColor="F2F4F7")
BEHIND_FILL = PatternFill("solid", fgColor="FBE3E0")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
FORMATS = {
    "int": "#,##0",
    "wan": "#,##0.00",
    "pct": "0.0",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
}
#: Sheet names (Excel allows 31 characters).
SHEETS = {
    "parks": "总览",
    "chains": "产业链",
    "projects": "项目",
    "milestones": "节点",
    "problems": "问题",
}
#: Rows above a sheet's header: its title and the report's dates.
TITLE_ROWS = 2


@dataclass(frozen=True, slots=True)
class Col:
    """A column: heading, how to take the value from a row, its kind (a number format of
    :data:`FORMATS`, ``bool`` or ``text``) and width."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    kind: str = "text"
    width: int = 12


def col(header: str, key: str, kind: str = "text", width: int = 12) -> Col:
    """A column showing ``row[key]``."""
    return Col(header, lambda row: row.get(key), kind, width)


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return value


def _styled(ws: Any, *, number_format: str | None, font: Font | None,
            fill: PatternFill | None) -> WriteOnlyCell | None:  # fmt: skip
    """A cell of that style to write values through (None: no style, the value alone)."""
    if number_format is None and font is None and fill is None:
        return None
    cell = WriteOnlyCell(ws)
    if number_format is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _sheet(
    wb: Workbook,
    name: str,
    title: str,
    subtitle: str,
    columns: Sequence[Col],
    rows: Iterable[Mapping[str, Any]],
    *,
    bold: Callable[[Mapping[str, Any]], bool] | None = None,
    shade: Callable[[Mapping[str, Any]], bool] | None = None,
) -> None:
    """A sheet of the streamed workbook *wb*: title, subtitle, a header row (bold, shaded,
    frozen) and *rows*; the rows *bold* picks are bold on grey (totals), those *shade*
    picks on red (behind plan).

    A city's report is some 100,000 cells: each is written through a cell styled once per
    column and look (plain, total, behind) and given its value in turn, as a streamed
    sheet allows; text goes through :mod:`service.exports.cells` (a formula-like text
    in a text cell of its own)."""
    ws = wb.create_sheet(name)
    header_row = TITLE_ROWS + 1
    for index, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = c.width
    ws.freeze_panes = f"A{header_row + 1}"
    heading = WriteOnlyCell(ws, value=cells.xlsx_text(title))
    heading.font = TITLE
    ws.append([heading])
    ws.append([cells.write_only_value(ws, subtitle)])
    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=c.header)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    ws.append(header)
    # A date gets openpyxl's date format (yyyy-mm-dd) by itself; a count needs none in
    # a plain line: only the decimals are written through a styled cell there.
    looks = {
        look: [
            _styled(
                ws,
                number_format=None
                if look == "plain" and c.kind in ("int", "date")
                else FORMATS.get(c.kind),
                font=font,
                fill=fill,
            )
            for c in columns
        ]
        for look, font, fill in (
            ("plain", None, None),
            ("total", BOLD, TOTAL_FILL),
            ("behind", None, BEHIND_FILL),
        )
    }
    for row in rows:
        if bold is not None and bold(row):
            styled = looks["total"]
        elif shade is not None and shade(row):
            styled = looks["behind"]
        else:
            styled = looks["plain"]
        line = []
        for c, cell in zip(columns, styled, strict=True):
            value = cells.write_only_value(ws, _value(c.value(row), c.kind))
            if cell is None:
                line.append(value)
            elif isinstance(value, Cell):  # a formula-like text, kept as text
                value.font, value.fill = cell.font, cell.fill
                line.append(value)
            else:
                cell.value = value
                line.append(cell)
        ws.append(line)


def _total_kind(key: str) -> str:
    if key.endswith("_wan"):
        return "wan"
    if key.endswith("_pct"):
        return "pct"
    return "int"


def _total_columns(first: str) -> list[Col]:
    return [col(first, "name_zh", width=18)] + [
        col(zh, key, _total_kind(key), 12) for key, zh in TOTAL_COLUMNS
    ]


def write_xlsx(report: Mapping[str, Any], out: Path | BinaryIO) -> None:
    """Write *report* to the workbook *out* (.xlsx: a path or a binary file)."""
    title = f"重点项目月调度 {report['month_zh']}"
    if report.get("park"):
        parks = report["totals"]["parks"]
        title += f"（{parks[0]['name_zh'] if parks else report['park']}）"
    subtitle = (
        f"截至 {report['as_of']}；累计为 {report['year']} 年 1 月至本月；金额单位万元；"
        f"累计完成投资低于累计计划 {100 * (1 - report['behind_share']):g}% 为滞后"
    )
    wb = Workbook(write_only=True)
    totals = report["totals"]
    _sheet(
        wb,
        SHEETS["parks"],
        f"{title} · 各园区汇总",
        subtitle,
        _total_columns("园区"),
        [*totals["parks"], whole_line(report)],
        bold=lambda r: r.get("city", False),
    )
    _sheet(
        wb,
        SHEETS["chains"],
        f"{title} · 各产业链汇总",
        subtitle,
        _total_columns("产业链"),
        [*totals["chains"], whole_line(report)],
        bold=lambda r: r.get("city", False),
    )
    projects = report["projects"]
    _sheet(
        wb,
        SHEETS["projects"],
        f"{title} · 项目（滞后项目在前）",
        subtitle,
        [
            col("项目编号", "project_code", width=14),
            col("项目名称", "name", width=28),
            col("园区", "park_name_zh", width=16),
            Col("产业链", lambda r: r.get("industry_chain") or NO_CHAIN_ZH, width=14),
            col("状态", "status_zh", width=8),
            col("包抓领导", "officials", width=14),
            col("本月计划（万元）", "month_planned_wan", "wan"),
            col("本月完成（万元）", "month_completed_wan", "wan"),
            col("累计计划（万元）", "plan_to_date_wan", "wan"),
            col("累计完成（万元）", "completed_to_date_wan", "wan"),
            col("累计完成率（%）", "completion_to_date_pct", "pct", 10),
            col("年度计划（万元）", "planned_year_wan", "wan"),
            col("年度完成率（%）", "completion_of_year_pct", "pct", 10),
            col("缺口比例", "shortfall_share", "rate", 10),
            col("滞后", "behind", "bool", 6),
            col("本月已报送", "reported", "bool", 8),
            Col("本月应完成节点", lambda r: len(r["milestones_due"]), "int", 10),
            col("按期完成节点", "milestones_met", "int", 10),
            Col("逾期未完成节点", lambda r: len(r["milestones_overdue"]), "int", 10),
            Col("本月新增问题", lambda r: len(r["new_problems"]), "int", 10),
            Col("逾期问题", lambda r: len(r["overdue_problems"]), "int", 10),
        ],
        projects,
        shade=lambda r: r["behind"],
    )
    milestones = listed_items(projects, MILESTONE_LISTS)
    _sheet(
        wb,
        SHEETS["milestones"],
        f"{title} · 节点",
        subtitle,
        [
            col("项目编号", "project_code", width=14),
            col("项目名称", "project_name", width=28),
            col("园区", "park_name_zh", width=16),
            col("类别", "list_zh", width=12),
            col("节点", "name_zh", width=10),
            col("计划日期", "planned_on", "date"),
            col("完成日期", "reached_on", "date"),
            col("状态", "state_zh", width=12),
            col("延误天数", "delay_days", "int", 10),
        ],
        milestones,
    )
    problems = listed_items(projects, PROBLEM_LISTS)
    _sheet(
        wb,
        SHEETS["problems"],
        f"{title} · 问题",
        subtitle,
        [
            col("项目编号", "project_code", width=14),
            col("项目名称", "project_name", width=28),
            col("园区", "park_name_zh", width=16),
            col("类别", "list_zh", width=12),
            col("问题编号", "problem_no", width=16),
            col("问题描述", "description", width=36),
            col("问题类型", "category_zh", width=10),
            col("责任部门", "department", width=16),
            col("包抓领导", "official", width=10),
            col("提出日期", "raised_on", "date"),
            col("限期", "due_on", "date"),
            col("状态", "status_zh", width=8),
            col("解决日期", "solved_on", "date"),
            col("逾期天数", "days_overdue", "int", 10),
        ],
        problems,
    )
    wb.save(out)

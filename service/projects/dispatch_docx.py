"""The monthly dispatch report of key projects
(:func:`service.projects.dispatch.dispatch_report`) as a Word document (python-docx), A4
landscape, Chinese headings: 各园区汇总 and 各产业链汇总 (the city's line last, bold),
项目 (every project, those behind plan first, marked 滞后), 节点 (due in the month and
overdue) and 问题 (new in the month and overdue).

Text from the records is written as text (a control character XML can't hold is shown
as ``\\xNN``). Money 万元, percentages 0..100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from pathlib import Path
from typing import Any, BinaryIO

from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from service.exports.word import DASH, document_text, landscape_document
from service.projects.dispatch import (
    MILESTONE_LISTS,
    NO_CHAIN_ZH,
    PROBLEM_LISTS,
    TOTAL_COLUMNS,
    listed_items,
    whole_line,
)
from service.projects.dispatch_page import percent
from service.supervision.report_page import num, pct

BODY_PT = 10
TABLE_PT = 8
TABLE_SIZE = Pt(TABLE_PT)
T = qn("w:t")
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
BEHIND_RGB = RGBColor(0xB4, 0x23, 0x18)


def _table(
    doc: DocumentType,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: frozenset[int] | set[int] = frozenset(),
    bold: Sequence[bool] = (),
    marked: Sequence[bool] = (),
) -> None:
    """A grid table: a bold header row, then *rows* (already formatted); the columns
    *numeric* right-aligned, the rows *bold* picks bold, those *marked* picks red.

    python-docx makes a cell's paragraph and run with a dozen element look-ups each (a
    minute for the 100,000 cells of a city's 2,000 projects): a row is made once per
    look (bold, red) through python-docx, and every line is a copy of it with its texts
    put in."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        run = cell.paragraphs[0].add_run(document_text(header))
        run.bold = True
        run.font.size = TABLE_SIZE
    prototypes: dict[tuple[bool, bool], Any] = {}

    def prototype(is_bold: bool, is_marked: bool) -> Any:
        if (is_bold, is_marked) not in prototypes:
            row = table.add_row()
            for column, cell in enumerate(row.cells):
                paragraph = cell.paragraphs[0]
                run = paragraph.add_run(" ")
                run.font.size = TABLE_SIZE
                run.bold = is_bold or None
                if is_marked:
                    run.font.color.rgb = BEHIND_RGB
                if column in numeric:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            tr = row._tr  # the row's XML: taken out, to be copied
            tr.getparent().remove(tr)
            for t in tr.iter(T):
                t.set(XML_SPACE, "preserve")
            prototypes[is_bold, is_marked] = tr
        return prototypes[is_bold, is_marked]

    tbl = table._tbl
    for index, values in enumerate(rows):
        is_bold = index < len(bold) and bold[index]
        is_marked = index < len(marked) and marked[index]
        tr = deepcopy(prototype(is_bold, is_marked))
        for t, value in zip(tr.iter(T), values, strict=True):
            t.text = document_text(value)
        tbl.append(tr)
    doc.add_paragraph()


def _total_cell(key: str, value: Any) -> str:
    if key.endswith("_wan"):
        return num(value, 2)
    if key.endswith("_pct"):
        return percent(value)
    return num(value, 0)


def _totals(doc: DocumentType, heading: str, first: str, rows: Sequence[Mapping[str, Any]],
            city: Mapping[str, Any]) -> None:  # fmt: skip
    doc.add_heading(heading, level=1)
    lines = [
        [row["name_zh"], *(_total_cell(key, row[key]) for key, _zh in TOTAL_COLUMNS)]
        for row in [*rows, city]
    ]
    _table(
        doc,
        [first, *(zh for _key, zh in TOTAL_COLUMNS)],
        lines,
        numeric=set(range(1, len(TOTAL_COLUMNS) + 1)),
        bold=[False] * len(rows) + [True],
    )


def _projects(doc: DocumentType, projects: Sequence[Mapping[str, Any]]) -> None:
    doc.add_heading("项目（滞后项目在前）", level=1)
    if not projects:
        doc.add_paragraph("本月无重点项目。")
        return
    _table(
        doc,
        ["序号", "项目编号", "项目名称", "园区", "产业链", "包抓领导", "本月计划", "本月完成",
         "累计计划", "累计完成", "累计完成率", "年度完成率", "滞后", "节点（按期/应完成）",
         "逾期节点", "新增问题", "逾期问题", "报送"],
        [
            [
                index,
                p["project_code"],
                p["name"],
                p["park_name_zh"],
                p["industry_chain"] or NO_CHAIN_ZH,
                "、".join(p["officials"]),
                num(p["month_planned_wan"]),
                num(p["month_completed_wan"]),
                num(p["plan_to_date_wan"]),
                num(p["completed_to_date_wan"]),
                percent(p["completion_to_date_pct"]),
                percent(p["completion_of_year_pct"]),
                f"滞后 {pct(p['shortfall_share'])}" if p["behind"] else DASH,
                f"{p['milestones_met']}/{len(p['milestones_due'])}",
                len(p["milestones_overdue"]),
                len(p["new_problems"]),
                len(p["overdue_problems"]),
                "已报送" if p["reported"] else "未报送",
            ]
            for index, p in enumerate(projects, start=1)
        ],
        numeric={0, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16},
        marked=[p["behind"] for p in projects],
    )  # fmt: skip


def _milestones(doc: DocumentType, projects: Sequence[Mapping[str, Any]]) -> None:
    doc.add_heading("节点", level=1)
    items = listed_items(projects, MILESTONE_LISTS)
    if not items:
        doc.add_paragraph("本月无应完成或逾期的节点。")
        return
    _table(
        doc,
        ["项目编号", "项目名称", "园区", "类别", "节点", "计划日期", "完成日期", "状态",
         "延误（天）"],
        [
            [m["project_code"], m["project_name"], m["park_name_zh"], m["list_zh"], m["name_zh"],
             m["planned_on"], m["reached_on"], m["state_zh"], m["delay_days"]]
            for m in items
        ],
        numeric={8},
        marked=[m["state"] in ("late", "overdue") for m in items],
    )  # fmt: skip


def _problems(doc: DocumentType, projects: Sequence[Mapping[str, Any]]) -> None:
    doc.add_heading("问题", level=1)
    items = listed_items(projects, PROBLEM_LISTS)
    if not items:
        doc.add_paragraph("本月无新增或逾期的问题。")
        return
    _table(
        doc,
        ["项目编号", "项目名称", "类别", "问题编号", "问题描述", "类型", "责任部门", "包抓领导",
         "提出日期", "限期", "状态", "逾期（天）"],
        [
            [q["project_code"], q["project_name"], q["list_zh"], q["problem_no"],
             q["description"], q["category_zh"], q["department"], q["official"], q["raised_on"],
             q["due_on"], q["status_zh"], q.get("days_overdue")]
            for q in items
        ],
        numeric={11},
        marked=["days_overdue" in q for q in items],
    )  # fmt: skip


def write_docx(report: Mapping[str, Any], out: Path | BinaryIO) -> None:
    """Write *report* to the Word document *out* (.docx: a path or a binary file)."""
    doc = landscape_document(body_pt=BODY_PT)
    totals = report["totals"]
    scope = ""
    if report.get("park"):
        scope = totals["parks"][0]["name_zh"] if totals["parks"] else report["park"]
        scope = f"·{scope}"
    doc.add_heading(f"重点项目月调度（{report['month_zh']}{scope}）", level=0)
    city = totals["city"]
    doc.add_paragraph(
        f"截至 {report['as_of']}。累计为 {report['year']} 年 1 月至本月；金额单位万元。"
        f"累计完成投资低于累计计划 {100 * (1 - report['behind_share']):g}% 的项目为滞后项目。"
        f"共 {city['projects']} 个项目，滞后 {city['behind']} 个；本月应完成节点 "
        f"{city['milestones_due']} 个，按期完成 {city['milestones_met']} 个，此前逾期未完成 "
        f"{city['milestones_overdue']} 个；本月新增问题 {city['new_problems']} 个，逾期问题 "
        f"{city['overdue_problems']} 个；本月未报送 {city['not_reported']} 个。"
    )
    city_line = whole_line(report)
    _totals(doc, "各园区汇总", "园区", totals["parks"], city_line)
    _totals(doc, "各产业链汇总", "产业链", totals["chains"], city_line)
    _projects(doc, report["projects"])
    _milestones(doc, report["projects"])
    _problems(doc, report["projects"])
    doc.save(out if not isinstance(out, Path) else str(out))

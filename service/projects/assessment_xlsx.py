"""The yearly assessment (年考核) as an Excel workbook with Chinese headings: 园区考核 (each
park and the city: investment target, completed, completion %, projects to start and
started, to produce and producing, each quarter's rank and the average rank), 季度排名 (each
park's mean score and rank in each quarter) and 说明 (how the figures are made).

Written from :func:`service.projects.assessment.yearly_assessment`'s answer; every text
cell goes through :mod:`service.exports.cells` (a park name ``=...`` stays text). Money 万元.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from service.exports import cells

#: The sheets, in order.
SHEETS = ("园区考核", "季度排名", "说明")

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
BOLD = Font(bold=True)
FMT_WAN = "#,##0.00"
FMT_PCT = "0.00"

METHOD = (
    ("年度", "{year}（截至 {as_of}）"),
    ("投资目标", "园区各重点项目年度计划投资（1–12 月）之和，万元"),
    ("完成投资", "园区各重点项目本年度截至考核日所在月份的月报投资之和，万元"),
    ("完成率", "完成投资 ÷ 投资目标 × 100（%）"),
    ("应开工 / 已开工", "年度计划安排开工节点的项目数；其中考核日前已开工的项目数"),
    ("应投产 / 已投产", "年度计划安排投产节点的项目数；其中考核日前已投产的项目数"),
    (
        "季度排名",
        "各季度（已开始的季度）按园区参与排名项目季评比得分的平均分排名，"
        "同分同名次、下一名次顺延（竞赛排名）；无参评项目的园区不排名",
    ),
    ("平均季度排名", "各季度名次的平均值（不计未排名的季度）"),
)


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], formats: dict):
    ws = wb.create_sheet(title)
    cells.append_row(ws, header)
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    for row in rows:
        cells.append_row(ws, row)
    for index, fmt in formats.items():
        for cell in ws.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell[0].number_format = fmt
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(name) + 4))
    ws.freeze_panes = "A2"
    return ws


def assessment_workbook(result: dict[str, Any]) -> Workbook:
    """The workbook of *result* (:func:`~service.projects.assessment.yearly_assessment`)."""
    wb = Workbook()
    wb.remove(wb.active)
    quarters = result["quarters"]
    header = [
        "园区",
        "园区名称",
        "投资目标（万元）",
        "完成投资（万元）",
        "完成率（%）",
        "应开工项目",
        "已开工项目",
        "应投产项目",
        "已投产项目",
        *(f"{q} 排名" for q in quarters),
        "平均季度排名",
    ]

    def figures(row: dict[str, Any]) -> list[Any]:
        return [
            row["investment_target_wan"],
            row["investment_completed_wan"],
            row["completion_pct"],
            row["projects_to_start"],
            row["projects_started"],
            row["projects_to_produce"],
            row["projects_producing"],
        ]

    rows = [
        [
            p["park"],
            p["name"],
            *figures(p),
            *(q["rank"] for q in p["quarters_ranked"]),
            p["average_quarterly_rank"],
        ]
        for p in result["parks"]
    ]
    rows.append(["合计", "全市", *figures(result["city"]), *([None] * len(quarters)), None])
    _sheet(wb, SHEETS[0], header, rows, {2: FMT_WAN, 3: FMT_WAN, 4: FMT_PCT})
    quarter_rows = [
        [p["park"], p["name"], q["quarter"], q["ranked_projects"], q["mean_score"], q["rank"]]
        for p in result["parks"]
        for q in p["quarters_ranked"]
    ]
    _sheet(
        wb,
        SHEETS[1],
        ["园区", "园区名称", "季度", "参评项目数", "平均得分", "排名"],
        quarter_rows,
        {4: FMT_PCT},
    )
    method = [
        [name, text.format(year=result["year"], as_of=result["as_of"])] for name, text in METHOD
    ]
    ws = _sheet(wb, SHEETS[2], ["项目", "说明"], method, {})
    ws.column_dimensions["B"].width = 90
    return wb


def write_assessment_xlsx(result: dict[str, Any], out: Path | BinaryIO) -> None:
    """Write the workbook of *result* to *out* (a path or a binary file)."""
    assessment_workbook(result).save(out)


def assessment_xlsx_bytes(result: dict[str, Any]) -> bytes:
    """The workbook of *result* as bytes (an HTTP download)."""
    buffer = BytesIO()
    write_assessment_xlsx(result, buffer)
    return buffer.getvalue()

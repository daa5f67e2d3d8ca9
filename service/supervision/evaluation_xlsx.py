"""The yearly 亩均效益 evaluation as an Excel workbook with Chinese headings, one sheet per
part: 企业评价 (every enterprise: land, indicators, points, score, rank, grade; the
enterprises not graded below, with the reason), 园区汇总 (per park and the city: totals,
亩均 figures, grade counts, low-efficiency land), 低效用地 (the low-efficiency candidates
with their reasons and area) and 评价方法 (weights, grade shares, each group's min and max
per indicator and how points, scores, ties and grade counts are made).

Written from the answer of :func:`service.supervision.evaluation.evaluate`, in openpyxl's
write-only mode (a city of 30,000 enterprises streams to disk). Every text cell goes
through :mod:`service.exports.cells`: an enterprise name ``=...`` is a literal string, never
a formula. Areas m² (EPSG:4545) and 亩, money 万元, energy 吨标煤.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from parks.supervision.evaluation import (
    FLAT_POINTS,
    FLOOR_POINTS,
    INDICATOR_NAMES_ZH,
    INDICATOR_UNITS,
    SPAN_POINTS,
)
from parks.supervision.settings import GRADES, INDICATORS
from service.exports import cells

#: The sheets, in order.
SHEETS = ("企业评价", "园区汇总", "低效用地", "评价方法")

REASONS_ZH = {
    "grade_d": "D类企业用地",
    "plot_ratio_below_contract": "容积率低于合同约定",
    "idle": "闲置土地",
}
UNGRADED_ZH = {
    "no_enterprise": "无企业登记信息",
    "no_land": "年末未持有宗地、未租赁标准化厂房",
    "no_land_share": "租赁厂房所在宗地年末无面积，无法折算用地",
}
IDLE_STAGES_ZH = {"idle_1y": "闲置满一年", "idle_2y": "闲置满两年"}

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
FMT_INT = "#,##0"
FMT_M2 = "#,##0.00"
FMT_MU = "#,##0.0000"
FMT_WAN = "#,##0.00"
FMT_RATIO = "#,##0.0000"
FMT_SHARE = "0.00%"
FMT_POINTS = "0.00"
FMT_SCORE = "0.0000"


@dataclass(frozen=True, slots=True)
class Column:
    """A sheet's column: its heading and the number format of its numbers."""

    header: str
    number_format: str | None = None


def _unit(name: str) -> str:
    unit = INDICATOR_UNITS[name]
    return "比例" if unit == "share" else unit


def _cell(ws: Worksheet, value: Any, number_format: str | None) -> Any:
    if isinstance(value, str):
        return cells.write_only_value(ws, value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if number_format and isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format
        return cell
    return value


def _width(value: Any) -> int:
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _sheet(
    wb: Workbook, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    """A sheet of one table: a frozen, filterable heading row, then *rows*."""
    ws = wb.create_sheet(title)
    for i, column in enumerate(columns):
        widest = max([_width(column.header)] + [_width(r[i]) for r in rows[:2000] if i < len(r)])
        ws.column_dimensions[get_column_letter(i + 1)].width = max(8, min(50, widest + 2))
    ws.freeze_panes = "A2"
    heading = []
    for column in columns:
        cell = cells.keep_as_text(WriteOnlyCell(ws, value=cells.xlsx_text(column.header)))
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
        heading.append(cell)
    ws.append(heading)
    for row in rows:
        ws.append([_cell(ws, v, c.number_format) for v, c in zip(row, columns, strict=False)])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    return ws


def _group_names(result: dict[str, Any]) -> dict[str, str]:
    return {g["code"]: g["name_zh"] for g in result["settings"]["groups"]}


def _enterprise_sheet(wb: Workbook, result: dict[str, Any]) -> None:
    groups = _group_names(result)
    columns = [
        Column("组别"),
        Column("排名", FMT_INT),
        Column("等级"),
        Column("企业代码"),
        Column("企业名称"),
        Column("园区"),
        Column("用地面积（亩）", FMT_MU),
        Column("用地面积（㎡）", FMT_M2),
        Column("持有宗地"),
        Column("租赁厂房面积（㎡）", FMT_M2),
        Column("税收（万元）", FMT_WAN),
        Column("销售收入（万元）", FMT_WAN),
        *(
            Column(
                f"{INDICATOR_NAMES_ZH[n]}（{_unit(n)}）",
                FMT_SHARE if INDICATOR_UNITS[n] == "share" else FMT_RATIO,
            )
            for n in INDICATORS
        ),
        *(Column(f"{INDICATOR_NAMES_ZH[n]}得分", FMT_POINTS) for n in INDICATORS),
        Column("综合得分", FMT_SCORE),
        Column("说明"),
    ]
    rows: list[list[Any]] = [
        [
            groups.get(e["group"], e["group"]),
            e["rank"],
            e["grade"],
            e["enterprise_code"],
            e["name"],
            e["park"],
            e["land_mu"],
            e["land_m2"],
            "、".join(e["parcels"]),
            e["leased_floor_m2"],
            e["tax_wan"],
            e["revenue_wan"],
            *(e["indicators"][n] for n in INDICATORS),
            *(e["points"][n] for n in INDICATORS),
            e["score"],
            None,
        ]
        for e in result["enterprises"]
    ]
    blank = [None] * (len(columns) - 12)
    rows += [
        [
            "未评价",
            None,
            "未评价",
            u["enterprise_code"],
            u["name"],
            u["park"],
            None,
            None,
            None,
            u["leased_floor_m2"],
            u["tax_wan"],
            u["revenue_wan"],
            *blank[:-1],
            UNGRADED_ZH.get(u["reason"], u["message"]),
        ]
        for u in result["ungraded"]
    ]
    _sheet(wb, "企业评价", columns, rows)


def _park_sheet(wb: Workbook, result: dict[str, Any]) -> None:
    columns = [
        Column("园区"),
        Column("园区名称"),
        Column("评价企业数", FMT_INT),
        Column("未评价企业数", FMT_INT),
        Column("用地面积（亩）", FMT_MU),
        Column("税收（万元）", FMT_WAN),
        Column("销售收入（万元）", FMT_WAN),
        Column("亩均税收（万元/亩）", FMT_RATIO),
        Column("亩均销售收入（万元/亩）", FMT_RATIO),
        *(Column(f"{g}类企业数", FMT_INT) for g in GRADES),
        Column("低效用地宗数", FMT_INT),
        Column("低效用地面积（亩）", FMT_MU),
    ]
    parks = result["parks"]
    rows: list[list[Any]] = [
        [
            p["park"],
            p["name_zh"],
            p["enterprises"],
            p["ungraded"],
            p["land_mu"],
            p["tax_wan"],
            p["revenue_wan"],
            p["tax_per_mu"],
            p["revenue_per_mu"],
            *(p["grades"][g] for g in GRADES),
            p["low_efficiency_parcels"],
            p["low_efficiency_mu"],
        ]
        for p in parks
    ]
    if len(parks) > 1:
        land = sum(p["land_mu"] for p in parks)
        tax = sum(p["tax_wan"] for p in parks)
        revenue = sum(p["revenue_wan"] for p in parks)
        rows.append(
            [
                "合计",
                "全市",
                sum(p["enterprises"] for p in parks),
                sum(p["ungraded"] for p in parks),
                round(land, 4),
                round(tax, 2),
                round(revenue, 2),
                tax / land if land > 0 else None,
                revenue / land if land > 0 else None,
                *(sum(p["grades"][g] for p in parks) for g in GRADES),
                sum(p["low_efficiency_parcels"] for p in parks),
                round(sum(p["low_efficiency_mu"] for p in parks), 4),
            ]
        )
    _sheet(wb, "园区汇总", columns, rows)


def _low_sheet(wb: Workbook, result: dict[str, Any]) -> None:
    columns = [
        Column("宗地编号"),
        Column("园区"),
        Column("土地使用权人"),
        Column("企业代码"),
        Column("企业等级"),
        Column("面积（㎡）", FMT_M2),
        Column("面积（亩）", FMT_MU),
        Column("认定原因"),
        Column("实测容积率", FMT_RATIO),
        Column("合同最低容积率", FMT_RATIO),
        Column("闲置阶段"),
        Column("闲置天数", FMT_INT),
    ]
    rows = [
        [
            i["parcel_code"],
            i["park"],
            i["holder"],
            i["enterprise_code"],
            i["grade"],
            i["area_m2"],
            i["area_mu"],
            "；".join(REASONS_ZH.get(r, r) for r in i["reasons"]),
            i["plot_ratio"],
            i["plot_ratio_min"],
            IDLE_STAGES_ZH.get(i["idle_stage"], i["idle_stage"]),
            i["idle_days"],
        ]
        for i in result["low_efficiency"]
    ]
    _sheet(wb, "低效用地", columns, rows)


def _method_sheet(wb: Workbook, result: dict[str, Any]) -> None:
    settings = result["settings"]
    groups = _group_names(result)
    rows: list[list[Any]] = [
        ["评价年度", result["year"], None, None, None],
        ["用地认定时点", result["land_as_of"], None, None, None],
        [
            "单项得分",
            f"{FLOOR_POINTS:g} + {SPAN_POINTS:g} ×（指标值 − 组内最小值）"
            "÷（组内最大值 − 组内最小值）",
            None,
            None,
            None,
        ],
        ["缺项", f"指标缺失（如无能耗数据）得 {FLOOR_POINTS:g} 分", None, None, None],
        ["组内各值相同", f"有值的企业均得 {FLAT_POINTS:g} 分", None, None, None],
        ["综合得分", "Σ 权重 × 单项得分 ÷ 100，保留6位小数后排名", None, None, None],
        [
            "分档",
            "按组内排名：第1名至 四舍五入(n×A%) 为A类，至 四舍五入(n×(A+B)%) 为B类，"
            "至 四舍五入(n×(A+B+C)%) 为C类，其余为D类；得分相同者名次相同，取较高等级",
            None,
            None,
            None,
        ],
        [
            "租赁厂房企业用地",
            "租赁面积 ÷ 所在宗地容积率（宗地上标准化厂房总建筑面积 ÷ 宗地面积）",
            None,
            None,
            None,
        ],
        [None, None, None, None, None],
        ["指标", "权重", "单位", None, None],
        *(
            [INDICATOR_NAMES_ZH[n], settings["weights"][n], _unit(n), None, None]
            for n in INDICATORS
        ),
        [None, None, None, None, None],
        ["等级", "比例（%）", None, None, None],
        *([f"{g}类", settings["grade_shares"][g], None, None, None] for g in GRADES),
        [None, None, None, None, None],
        ["组别", "指标", "组内最小值", "组内最大值", "企业数"],
    ]
    for group in result.get("groups", []):
        for n in INDICATORS:
            scale = group["scales"][n]
            rows.append(
                [
                    groups.get(group["code"], group["code"]),
                    INDICATOR_NAMES_ZH[n],
                    scale["min"],
                    scale["max"],
                    group["enterprises"],
                ]
            )
    _sheet(
        wb,
        "评价方法",
        [Column("项目"), Column("内容"), Column("", FMT_RATIO), Column("", FMT_RATIO), Column("")],
        rows,
    )


def write_workbook(result: dict[str, Any], out: str | Path | BinaryIO) -> None:
    """Write the evaluation *result* (``evaluate``'s answer) as an xlsx workbook to *out*
    (a path or a binary file)."""
    wb = Workbook(write_only=True)
    _enterprise_sheet(wb, result)
    _park_sheet(wb, result)
    _low_sheet(wb, result)
    _method_sheet(wb, result)
    wb.save(out)

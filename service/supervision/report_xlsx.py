"""The monthly supervision report (:func:`service.supervision.report.monthly_report`) as an
Excel workbook with Chinese headings, a sheet per part:

总览 (a line per park and the city), 闲置土地 (every contract on a stage, with the days on
its clock), 较上月变化 (per park and stage, then and now), 阶段变动 (the contracts that
entered or left a stage), 批而未供 (the batches at risk), 供而未用 (not started, and
completed under the contract's plot ratio), 履约情况 (a line per indicator short), 本月供地,
本月开工 and 亩均效益.

Every cell goes through :mod:`service.exports.cells` (a holder ``=...`` stays text);
numbers stay numbers with a number format, dates are dates. Areas m² (EPSG:4545) and 亩,
money 万元.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from parks.supervision.words import GRADES
from service.exports import cells
from service.supervision.report import SUMMARY_COLUMNS, summary_rows

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
TOTAL_FILL = PatternFill("solid", fgColor="F2F4F7")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
FORMATS = {
    "int": "#,##0",
    "m2": "#,##0.00",
    "mu": "#,##0.00",
    "wan": "#,##0.00",
    "ratio": "#,##0.000",
    "rate": "0.0%",
    "date": "yyyy-mm-dd",
    "signed": "+#,##0;-#,##0;0",
    "signed_mu": "+#,##0.00;-#,##0.00;0.00",
}
#: Sheet names (Excel allows 31 characters).
SHEETS = {
    "summary": "总览",
    "idle": "闲置土地",
    "changes": "较上月变化",
    "moves": "阶段变动",
    "batches": "批而未供",
    "unbuilt": "供而未用",
    "compliance": "履约情况",
    "supplies": "本月供地",
    "starts": "本月开工",
    "evaluation": "亩均效益",
}
#: Rows above a sheet's header: its title and the report's dates.
TITLE_ROWS = 2


@dataclass(frozen=True, slots=True)
class Col:
    """A column: heading, how to take the value from a row, and its kind (a number
    format of :data:`FORMATS`, ``date``, ``bool`` or ``text``)."""

    header: str
    value: Callable[[Mapping[str, Any]], Any]
    kind: str = "text"
    width: int = 14


def _key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row.get(name)


def col(header: str, key: str, kind: str = "text", width: int = 14) -> Col:
    """A column showing ``row[key]``."""
    return Col(header, _key(key), kind, width)


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
    return value


def _sheet(
    wb: Workbook,
    name: str,
    title: str,
    subtitle: str,
    columns: Sequence[Col],
    rows: Iterable[Mapping[str, Any]],
    *,
    first: bool = False,
    total: Callable[[Mapping[str, Any]], bool] | None = None,
) -> Worksheet:
    """A sheet: title, subtitle, a header row (bold, shaded, frozen) and *rows*; the rows
    *total* picks are bold."""
    ws = wb.active if first else wb.create_sheet()
    ws.title = name
    cells.set_cell(ws, row=1, column=1, value=title).font = TITLE
    cells.set_cell(ws, row=2, column=1, value=subtitle)
    header_row = TITLE_ROWS + 1
    for index, c in enumerate(columns, start=1):
        cell = cells.set_cell(ws, row=header_row, column=index, value=c.header)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(index)].width = c.width
    at = header_row
    for row in rows:
        at += 1
        for index, c in enumerate(columns, start=1):
            cell = cells.set_cell(ws, row=at, column=index, value=_value(c.value(row), c.kind))
            kind = _indicator_kind(row) if c.kind == "indicator" else c.kind
            if kind in FORMATS and cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = FORMATS[kind]
            if total is not None and total(row):
                cell.font, cell.fill = BOLD, TOTAL_FILL
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return ws


def write_xlsx(report: Mapping[str, Any], out: Path) -> None:
    """Write *report* to the workbook *out* (.xlsx)."""
    names = {p["park"]: p["name_zh"] for p in report["parks"]}

    def park(row: Mapping[str, Any]) -> Any:
        return names.get(row.get("park"), row.get("park"))

    title = f"园区土地监管月调度 {report['month_zh']}"
    subtitle = (
        f"截至 {report['as_of']}；上月对比日 {report['previous_as_of']}；"
        "面积为 EPSG:4545 平面面积，1 亩 = 10000/15 m²；金额单位万元"
    )
    city, parks = report["city"], report["parks"]
    wb = Workbook()

    summary = [
        Col(zh, _key(key), _summary_kind(key), 16 if key == "name_zh" else 12)
        for key, zh, _en in SUMMARY_COLUMNS
    ]
    _sheet(
        wb,
        SHEETS["summary"],
        title,
        subtitle,
        summary,
        summary_rows(report),
        first=True,
        total=lambda r: r["park"] is None,
    )

    _sheet(
        wb,
        SHEETS["idle"],
        f"{title} · 闲置土地",
        subtitle,
        [
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            col("阶段", "stage_zh", width=12),
            col("计时类型", "clock_zh", width=14),
            col("计时起点", "clock_started_on", "date", 12),
            col("计时天数", "days_on_clock", "int", 10),
            col("政府原因延误天数", "delay_days", "int", 10),
            col("预警日", "warning_on", "date", 12),
            col("认定闲置日", "idle_on", "date", 12),
            col("无偿收回日", "recovery_on", "date", 12),
            col("闲置费（万元）", "fee_wan", "wan", 12),
            col("提请决定", "for_decision", "bool", 8),
            col("面积（m²）", "land_area_m2", "m2", 14),
            col("面积（亩）", "land_area_mu", "mu", 12),
        ],
        city["idle"]["list"],
    )

    change_rows = [
        {**c, "stage_zh": c["name_zh"], "name_zh": s["name_zh"], "park": s["park"]}
        for s in [*parks, city]
        for c in s["changes"]["by_stage"]
    ]
    _sheet(
        wb,
        SHEETS["changes"],
        f"{title} · 较上月变化",
        subtitle,
        [
            col("园区", "name_zh", width=16),
            col("阶段", "stage_zh", width=12),
            Col("上月宗数", lambda r: r["then"]["count"], "int", 10),
            Col("本月宗数", lambda r: r["now"]["count"], "int", 10),
            Col("增减（宗）", lambda r: r["change"]["count"], "signed", 10),
            Col("上月面积（亩）", lambda r: r["then"]["land_area_mu"], "mu", 12),
            Col("本月面积（亩）", lambda r: r["now"]["land_area_mu"], "mu", 12),
            Col("增减（亩）", lambda r: r["change"]["land_area_mu"], "signed_mu", 12),
            col("新进入", "entered", "int", 8),
            col("退出", "left", "int", 8),
        ],
        change_rows,
        total=lambda r: r["park"] is None,
    )

    _sheet(
        wb,
        SHEETS["moves"],
        f"{title} · 阶段变动",
        subtitle,
        [
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            Col("上月阶段", lambda r: r.get("from_stage_zh") or "—", width=12),
            Col("本月阶段", lambda r: r.get("to_stage_zh") or "—", width=12),
            col("计时天数", "days_on_clock", "int", 10),
            col("面积（亩）", "land_area_mu", "mu", 12),
        ],
        city["changes"]["moves"],
    )

    _sheet(
        wb,
        SHEETS["batches"],
        f"{title} · 批而未供（逾期批次）",
        subtitle,
        [
            Col("园区", park, width=16),
            col("批次号", "batch_no", width=18),
            col("批次名称", "name", width=28),
            col("批准日期", "approved_on", "date", 12),
            col("批准天数", "age_days", "int", 10),
            col("批准面积（亩）", "approved_area_mu", "mu", 12),
            col("已供面积（亩）", "supplied_area_mu", "mu", 12),
            col("未供面积（亩）", "unsupplied_area_mu", "mu", 12),
            col("处置率", "disposal_rate", "rate", 10),
        ],
        city["batches"]["at_risk"],
    )

    unbuilt = [{**u, "kind_zh": "供而未用（逾期未动工）"} for u in city["unbuilt"]["unstarted"]] + [
        {**u, "kind_zh": "用而未尽（容积率不足）"} for u in city["unbuilt"]["underbuilt"]
    ]
    _sheet(
        wb,
        SHEETS["unbuilt"],
        f"{title} · 供而未用 / 用而未尽",
        subtitle,
        [
            col("类别", "kind_zh", width=22),
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            col("约定动工日", "agreed_start_on", "date", 12),
            col("逾期天数", "days_late", "int", 10),
            col("约定容积率下限", "plot_ratio_min", "ratio", 12),
            col("实测容积率", "plot_ratio", "ratio", 12),
            col("面积（亩）", "land_area_mu", "mu", 12),
        ],
        unbuilt,
    )

    shorts = [
        {**{k: c.get(k) for k in ("park", "parcel_code", "contract_no", "holder", "stage")}, **k}
        for c in city["compliance"]["out_of_compliance"]
        for k in c["short"]
    ]
    _sheet(
        wb,
        SHEETS["compliance"],
        f"{title} · 履约情况（未达约定的指标）",
        subtitle,
        [
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            Col(
                "阶段",
                lambda r: "竣工验收" if r.get("stage") == "completion" else "建设中",
                width=10,
            ),
            col("指标", "name_zh", width=18),
            col("约定（下限或上限）", "committed", "indicator", 14),
            col("约定上限", "committed_max", "indicator", 10),
            col("实测", "measured", "indicator", 12),
            Col(
                "差距",
                lambda r: (
                    "超出"
                    if r.get("over_by") is not None or r.get("bound") == "at_most"
                    else "不足"
                ),
                width=8,
            ),
            col("差额", "short_by", "indicator", 12),
            col("单位", "unit_zh", width=12),
        ],
        shorts,
    )

    _sheet(
        wb,
        SHEETS["supplies"],
        f"{title} · 本月供地",
        subtitle,
        [
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            col("供地方式", "supply_mode_zh", width=10),
            col("签订日期", "signed_on", "date", 12),
            col("约定动工日", "agreed_start_on", "date", 12),
            col("约定竣工日", "agreed_completion_on", "date", 12),
            col("价款（万元）", "price_wan", "wan", 12),
            col("承诺投资（万元）", "committed_investment_wan", "wan", 14),
            col("面积（m²）", "land_area_m2", "m2", 14),
            col("面积（亩）", "land_area_mu", "mu", 12),
        ],
        city["supplies"]["list"],
    )

    _sheet(
        wb,
        SHEETS["starts"],
        f"{title} · 本月开工",
        subtitle,
        [
            Col("园区", park, width=16),
            col("宗地编号", "parcel_code"),
            col("合同号", "contract_no", width=18),
            col("用地单位", "holder", width=28),
            col("实际动工日", "started_on", "date", 12),
            col("约定动工日", "agreed_start_on", "date", 12),
            col("较约定（天）", "days_late", "signed", 12),
            col("面积（亩）", "land_area_mu", "mu", 12),
        ],
        city["starts"]["list"],
    )

    evaluated = [
        {"park": s["park"], "name_zh": s["name_zh"], **s["evaluation"]}
        for s in [*parks, city]
        if s.get("evaluation")
    ]
    _sheet(
        wb,
        SHEETS["evaluation"],
        f"{title} · 亩均效益（{report.get('evaluation_year') or '无数据'}）",
        subtitle,
        [
            col("园区", "name_zh", width=16),
            col("年度", "year", width=8),
            col("参评企业", "enterprises", "int", 10),
            *(Col(f"{g}类", _grade_count(g), "int", 8) for g in GRADES),
            col("低效用地（宗）", "low_efficiency_count", "int", 12),
            col("低效用地（亩）", "low_efficiency_area_mu", "mu", 12),
        ],
        evaluated,
        total=lambda r: r["park"] is None,
    )
    wb.save(out)


def _indicator_kind(row: Mapping[str, Any]) -> str:
    """An indicator's number format: a share as per cent, anything else with decimals."""
    return "rate" if row.get("unit") == "share" else "ratio"


def _grade_count(grade: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda row: row["grades"].get(grade, 0)


def _summary_kind(key: str) -> str:
    if key == "name_zh":
        return "text"
    if key == "disposal_rate":
        return "rate"
    if key.endswith("_mu"):
        return "mu"
    if key.endswith("_wan"):
        return "wan"
    return "int"

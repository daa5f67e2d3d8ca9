"""The monthly supervision report (:func:`service.supervision.report.monthly_report`) as a
Word document (python-docx), A4 landscape, Chinese headings: 总览; then for the city and
each park 闲置土地 (by stage, and for a park every contract with the days on its clock),
较上月变化, 批而未供, 供而未用, 履约情况, 本月供地, 本月开工 and 亩均效益.

Text from the records is written as text (a control character XML can't hold is shown
as ``\\xNN``). Areas 亩 (m² in EPSG:4545 ÷ 10000/15), money 万元.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentType
from docx.enum.text import WD_ALIGN_PARAGRAPH

from service.exports.word import DASH, document_text, landscape_document, set_cjk_font
from service.supervision.report import SUMMARY_COLUMNS, summary_rows
from service.supervision.report_page import commitment, figure, gap, num, pct, signed

BODY_PT = 10
TABLE_PT = 8


def _table(
    doc: DocumentType,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: set[int] = frozenset(),
    bold_last: bool = False,
) -> None:
    """A grid table: a bold header row, then *rows* (already formatted); the columns
    *numeric* right-aligned."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(document_text(header))
        run.bold = True
        set_cjk_font(run, TABLE_PT)
    for index, row in enumerate(rows):
        cells = table.add_row().cells
        for column, (cell, value) in enumerate(zip(cells, row, strict=True)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(document_text(value))
            set_cjk_font(run, TABLE_PT)
            run.bold = bold_last and index == len(rows) - 1
            if column in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()


def _none(doc: DocumentType, text: str = "无。") -> None:
    doc.add_paragraph(text)


def _summary(doc: DocumentType, report: Mapping[str, Any]) -> None:
    doc.add_heading("总览", level=1)
    headers = [zh for _key, zh, _en in SUMMARY_COLUMNS]
    rows = []
    for row in summary_rows(report):
        line = []
        for key, _zh, _en in SUMMARY_COLUMNS:
            value = row[key]
            if key == "name_zh":
                line.append(value)
            elif key == "disposal_rate":
                line.append(pct(value))
            elif key.endswith(("_mu", "_wan")):
                line.append(num(value, 2))
            else:
                line.append(num(value, 0))
        rows.append(line)
    _table(doc, headers, rows, numeric=set(range(1, len(headers))), bold_last=True)
    s = report["settings"]
    doc.add_paragraph(
        f"认定标准：未动工满 {s.get('idle.no_start_days')} 天，"
        f"或已动工但开发面积不足 {pct(s.get('idle.developed_share_min'))}、"
        f"投资不足 {pct(s.get('idle.investment_share_min'))} "
        f"且中止开发满 {s.get('idle.stopped_days')} 天为闲置土地；"
        f"提前 {s.get('idle.warning_days')} 天预警；"
        f"闲置满一年按地价款 {pct(s.get('idle.fee_share_of_price'))} 征缴土地闲置费；"
        f"满 {s.get('idle.recovery_days')} 天提请无偿收回（须决定，不自动执行）；"
        "政府原因延误的天数不计。"
        f"批准满 {s.get('batches.lapse_days')} 天仍有未供土地的批次为逾期批次。"
    )


def _idle(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    doc.add_heading("闲置土地", level=2)
    rows = [
        [
            st["name_zh"],
            st["count"],
            num(st["land_area_mu"], 2),
            DASH if st["stage"] == "warning" else num(st["fee_wan"], 2),
        ]
        for st in s["idle"]["by_stage"]
    ]
    rows.append(
        [
            "合计",
            s["idle"]["count"],
            num(s["idle"]["land_area_mu"], 2),
            num(s["idle"]["fee_wan"], 2),
        ]
    )
    _table(
        doc,
        ["阶段", "宗数", "面积（亩）", "闲置费（万元）"],
        rows,
        numeric={1, 2, 3},
        bold_last=True,
    )
    if not detail:
        return
    listed = s["idle"]["list"]
    if not listed:
        _none(doc, "无处于预警或闲置阶段的宗地。")
        return
    _table(
        doc,
        ["宗地", "合同号", "用地单位", "阶段", "计时类型", "计时起点", "计时天数", "延误扣除（天）",
         "认定闲置日", "无偿收回日", "闲置费（万元）", "面积（亩）"],
        [
            [
                i["parcel_code"],
                i["contract_no"],
                i["holder"],
                i["stage_zh"] + ("（提请决定）" if i.get("for_decision") else ""),
                i["clock_zh"],
                i.get("clock_started_on"),
                i.get("days_on_clock"),
                i.get("delay_days") or 0,
                i.get("idle_on"),
                i.get("recovery_on"),
                num(i.get("fee_wan"), 2),
                num(i.get("land_area_mu"), 2),
            ]
            for i in listed
        ],
        numeric={6, 7, 10, 11},
    )  # fmt: skip


def _changes(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    doc.add_heading("较上月变化", level=2)
    _table(
        doc,
        ["阶段", "上月宗数", "本月宗数", "增减", "上月面积（亩）", "本月面积（亩）",
         "增减（亩）", "新进入", "退出"],
        [
            [
                c["name_zh"],
                c["then"]["count"],
                c["now"]["count"],
                signed(c["change"]["count"], 0),
                num(c["then"]["land_area_mu"], 2),
                num(c["now"]["land_area_mu"], 2),
                signed(c["change"]["land_area_mu"], 2),
                c["entered"],
                c["left"],
            ]
            for c in s["changes"]["by_stage"]
        ],
        numeric=set(range(1, 9)),
    )  # fmt: skip
    if not detail:
        return
    moves = s["changes"]["moves"]
    if not moves:
        _none(doc, "本月无阶段变动。")
        return
    _table(
        doc,
        ["宗地", "合同号", "用地单位", "上月阶段", "本月阶段", "计时天数", "面积（亩）"],
        [
            [
                m["parcel_code"],
                m["contract_no"],
                m["holder"],
                m.get("from_stage_zh") or "—（无）",
                m.get("to_stage_zh") or "—（退出）",
                m.get("days_on_clock"),
                num(m.get("land_area_mu"), 2),
            ]
            for m in moves
        ],
        numeric={5, 6},
    )


def _batches(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    b = s["batches"]
    doc.add_heading("批而未供", level=2)
    doc.add_paragraph(
        f"批次 {b['batches']} 个，批准 {num(b['approved_area_mu'])} 亩，已供 "
        f"{num(b['supplied_area_mu'])} 亩，未供 {num(b['unsupplied_area_mu'])} 亩，处置率 "
        f"{pct(b['disposal_rate'])}；逾期批次 {b['at_risk_count']} 个，未供 "
        f"{num(b['at_risk_unsupplied_area_mu'])} 亩。"
    )
    if detail and b["at_risk"]:
        _table(
            doc,
            ["批次号", "批次名称", "批准日期", "批准天数", "批准（亩）", "已供（亩）",
             "未供（亩）", "处置率"],
            [
                [
                    r.get("batch_no"),
                    r.get("name"),
                    r.get("approved_on"),
                    r.get("age_days"),
                    num(r.get("approved_area_mu")),
                    num(r.get("supplied_area_mu")),
                    num(r.get("unsupplied_area_mu")),
                    pct(r.get("disposal_rate")),
                ]
                for r in b["at_risk"]
            ],
            numeric={3, 4, 5, 6, 7},
        )  # fmt: skip


def _unbuilt(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    u = s["unbuilt"]
    doc.add_heading("供而未用 · 用而未尽", level=2)
    doc.add_paragraph(
        f"逾期未动工 {u['unstarted_count']} 宗 {num(u['unstarted_area_mu'])} 亩；"
        f"竣工容积率低于约定 {u['underbuilt_count']} 宗 {num(u['underbuilt_area_mu'])} 亩。"
    )
    rows = [
        ["供而未用", r.get("parcel_code"), r.get("contract_no"), r.get("holder"),
         r.get("agreed_start_on"), r.get("days_late"), DASH, DASH, num(r.get("land_area_mu"))]
        for r in u["unstarted"]
    ] + [
        ["用而未尽", r.get("parcel_code"), r.get("contract_no"), r.get("holder"),
         r.get("agreed_start_on"), DASH, num(r.get("plot_ratio_min")), num(r.get("plot_ratio")),
         num(r.get("land_area_mu"))]
        for r in u["underbuilt"]
    ]  # fmt: skip
    if detail and rows:
        _table(
            doc,
            ["类别", "宗地", "合同号", "用地单位", "约定动工日", "逾期（天）",
             "约定容积率下限", "实测容积率", "面积（亩）"],
            rows,
            numeric={5, 6, 7, 8},
        )  # fmt: skip


def _compliance(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    c = s["compliance"]
    doc.add_heading("履约情况", level=2)
    doc.add_paragraph(f"已动工合同 {c['contracts']} 份，未履约 {c['out_of_compliance_count']} 份。")
    rows = [
        [r["parcel_code"], r["contract_no"], r["holder"],
         "竣工验收" if r.get("stage") == "completion" else "建设中", k.get("name_zh"),
         commitment(k), figure(k.get("measured"), k.get("unit")), gap(k), k.get("unit_zh")]
        for r in c["out_of_compliance"]
        for k in r["short"]
    ]  # fmt: skip
    if detail and rows:
        _table(
            doc,
            ["宗地", "合同号", "用地单位", "阶段", "未达指标", "约定", "实测", "差额", "单位"],
            rows,
            numeric={5, 6, 7},
        )


def _supplies(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    p = s["supplies"]
    doc.add_heading("本月供地", level=2)
    doc.add_paragraph(f"本月签订供地合同 {p['count']} 宗，{num(p['land_area_mu'])} 亩。")
    if detail and p["list"]:
        _table(
            doc,
            ["宗地", "合同号", "用地单位", "供地方式", "签订日期", "约定动工日",
             "价款（万元）", "面积（亩）"],
            [
                [r["parcel_code"], r["contract_no"], r["holder"], r.get("supply_mode_zh"),
                 r["signed_on"], r["agreed_start_on"], num(r.get("price_wan")),
                 num(r.get("land_area_mu"))]
                for r in p["list"]
            ],
            numeric={6, 7},
        )  # fmt: skip


def _starts(doc: DocumentType, s: Mapping[str, Any], *, detail: bool) -> None:
    p = s["starts"]
    doc.add_heading("本月开工", level=2)
    doc.add_paragraph(f"本月实际动工 {p['count']} 宗，{num(p['land_area_mu'])} 亩。")
    if detail and p["list"]:
        _table(
            doc,
            ["宗地", "合同号", "用地单位", "实际动工日", "约定动工日", "较约定（天）",
             "面积（亩）"],
            [
                [r["parcel_code"], r["contract_no"], r["holder"], r["started_on"],
                 r["agreed_start_on"], signed(r.get("days_late"), 0), num(r.get("land_area_mu"))]
                for r in p["list"]
            ],
            numeric={5, 6},
        )  # fmt: skip


def _evaluation(doc: DocumentType, s: Mapping[str, Any]) -> None:
    e = s.get("evaluation")
    if not e:
        return
    doc.add_heading(f"亩均效益（{e['year']} 年度）", level=2)
    grades = "，".join(f"{g}类 {n} 家" for g, n in e["grades"].items())
    doc.add_paragraph(
        f"参评企业 {e['enterprises']} 家：{grades}；低效用地 {e['low_efficiency_count']} 宗 "
        f"{num(e['low_efficiency_area_mu'])} 亩。"
    )


def write_docx(report: Mapping[str, Any], out: Path) -> None:
    """Write *report* to the Word document *out* (.docx)."""
    doc = landscape_document(
        body_pt=BODY_PT, headings=("Title", "Heading 1", "Heading 2", "Heading 3")
    )
    doc.add_heading(f"园区土地监管月调度（{report['month_zh']}）", level=0)
    doc.add_paragraph(
        f"截至 {report['as_of']}；与上月（{report['previous_as_of']}）对比。面积为 CGCS2000 "
        "3° 投影（EPSG:4545）平面面积，1 亩 = 10000/15 m²；金额单位万元。"
    )
    _summary(doc, report)
    for s in [report["city"], *report["parks"]]:
        detail = s["park"] is not None
        doc.add_heading(f"{s['name_zh']}（{s['name_en']}）", level=1)
        _idle(doc, s, detail=detail)
        _changes(doc, s, detail=detail)
        _batches(doc, s, detail=detail)
        _unbuilt(doc, s, detail=detail)
        _compliance(doc, s, detail=detail)
        _supplies(doc, s, detail=detail)
        _starts(doc, s, detail=detail)
        _evaluation(doc, s)
    doc.save(str(out))

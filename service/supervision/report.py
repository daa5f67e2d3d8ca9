"""The monthly supervision report (月调度): for the city and each park, idle land by stage
with the days on each clock, approval batches at risk of lapsing, contracts out of
compliance, supplied land not built, new supplies and starts in the month, the 亩均效益
grades of the latest year with figures, and the changes since last month.

:func:`monthly_report` puts together what the supervision functions answer
(:mod:`service.supervision.idle`, ``batches``, ``unbuilt``, ``compliance``,
``evaluation``) and two queries of its own (contracts signed and start reports in the
month). The report is a JSON-ready dict: dates ISO ``YYYY-MM-DD``, areas planar m²
(EPSG:4545) with 亩 beside them (``*_mu`` = m² × 15 / 10000), money 万元, shares and
rates fractions of 1. The workbook (:mod:`service.supervision.report_xlsx`), the Word
document (:mod:`service.supervision.report_docx`) and the page (``/supervision``) show
the same dict.

"Then" (last month) is the idle clocks as of the last day of the month before, read from
the records as they stand now: a government delay or a start recorded late counts on
both days, so a change from last month is a change on the ground, not a correction of
the records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.supervision.months import ReportMonth, report_month
from parks.supervision.words import GRADES, IDLE_CLOCKS, IDLE_STAGES, INDICATORS, UNITS_ZH
from parks.vocabulary import SUPPLY_MODE_NAMES_ZH
from service.db.sqlfiles import sql
from service.supervision.batches import batches as batches_of
from service.supervision.compliance import compliance as compliance_of
from service.supervision.evaluation import evaluate
from service.supervision.idle import idle_land
from service.supervision.settings import settings_in_force
from service.supervision.unbuilt import unbuilt as unbuilt_of

#: Idle stages, least to most severe.
STAGES: tuple[str, ...] = tuple(IDLE_STAGES)
#: The settings a report states it judged by.
REPORT_SETTINGS: tuple[str, ...] = (
    "idle.no_start_days",
    "idle.stopped_days",
    "idle.warning_days",
    "idle.recovery_days",
    "idle.developed_share_min",
    "idle.investment_share_min",
    "idle.fee_share_of_price",
    "batches.lapse_days",
)
#: Keys of an idle-land row the report keeps (the contract's idle_land row has more).
IDLE_KEYS: tuple[str, ...] = (
    "park",
    "parcel_code",
    "contract_no",
    "holder",
    "enterprise_code",
    "stage",
    "clock",
    "clock_started_on",
    "days_on_clock",
    "delay_days",
    "warning_on",
    "idle_on",
    "recovery_on",
    "fee_wan",
    "for_decision",
    "land_area_m2",
    "land_area_mu",
    "price_wan",
)


def plain(value: Any) -> Any:
    """*value* as JSON has it: dates ISO, decimals floats, containers walked."""
    # The common kinds first, by exact type (a report holds a few million values; an
    # isinstance against an abstract base class costs several times a type lookup).
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def m2_to_mu(area_m2: float) -> float:
    """Square metres to 亩 as every supervision answer converts: m² × 15 / 10000."""
    return area_m2 * 15 / 10000


def _area(m2: float) -> dict[str, float]:
    return {"land_area_m2": m2, "land_area_mu": m2_to_mu(m2)}


def _sum(rows: Iterable[Mapping[str, Any]], key: str) -> float:
    return float(sum(float(r[key]) for r in rows if r.get(key) is not None))


def _in_park(rows: Iterable[Mapping[str, Any]], park: str | None) -> list[Mapping[str, Any]]:
    """The rows of *park* (every row: None) — the same rows, not copies: the report is
    made plain, into new objects, once it is assembled."""
    if park is None:
        return list(rows)
    return [r for r in rows if r.get("park") == park]


# --- the sections -----------------------------------------------------------------------------


def _stage_figures(rows: list[dict]) -> dict[str, Any]:
    """Count, land (m², 亩) and fee (万元) of idle-land rows."""
    return {
        "count": len(rows),
        **_area(_sum(rows, "land_area_m2")),
        "fee_wan": _sum(rows, "fee_wan"),
    }


def _idle_section(rows: list[dict]) -> dict[str, Any]:
    by_stage = []
    for stage in STAGES:
        in_stage = [r for r in rows if r["stage"] == stage]
        zh, en = IDLE_STAGES[stage]
        by_stage.append({"stage": stage, "name_zh": zh, "name_en": en, **_stage_figures(in_stage)})
    listed = [
        {k: r.get(k) for k in IDLE_KEYS}
        | {
            "stage_zh": IDLE_STAGES.get(r["stage"], (r["stage"],))[0],
            "clock_zh": IDLE_CLOCKS.get(r.get("clock"), (r.get("clock"),))[0],
        }
        for r in rows
    ]
    return {
        **_stage_figures(rows),
        "for_decision": sum(1 for r in rows if r.get("for_decision")),
        "by_stage": by_stage,
        "list": listed,
    }


def _changes(then: list[dict], now: list[dict]) -> dict[str, Any]:
    """Idle land by stage last month and now, and the contracts whose stage changed
    (``from_stage``/``to_stage`` None: on no stage then/now)."""
    stage_then = {r["contract_no"]: r for r in then}
    stage_now = {r["contract_no"]: r for r in now}
    moves = []
    for contract_no in sorted(stage_then.keys() | stage_now.keys()):
        before, after = stage_then.get(contract_no), stage_now.get(contract_no)
        from_stage = before["stage"] if before else None
        to_stage = after["stage"] if after else None
        if from_stage == to_stage:
            continue
        row = after or before
        moves.append(
            {
                "park": row.get("park"),
                "parcel_code": row.get("parcel_code"),
                "contract_no": contract_no,
                "holder": row.get("holder"),
                "from_stage": from_stage,
                "to_stage": to_stage,
                "from_stage_zh": IDLE_STAGES[from_stage][0] if from_stage in IDLE_STAGES else None,
                "to_stage_zh": IDLE_STAGES[to_stage][0] if to_stage in IDLE_STAGES else None,
                "days_on_clock": after.get("days_on_clock") if after else None,
                "land_area_m2": row.get("land_area_m2"),
                "land_area_mu": row.get("land_area_mu"),
            }
        )
    severity = {None: -1, **{s: i for i, s in enumerate(STAGES)}}
    moves.sort(
        key=lambda m: (
            m["park"] or "",
            -severity[m["to_stage"]],
            m["parcel_code"] or "",
            m["contract_no"],
        )
    )
    entered = Counter(m["to_stage"] for m in moves if m["to_stage"])
    left = Counter(m["from_stage"] for m in moves if m["from_stage"])
    by_stage = []
    for stage in STAGES:
        t = [r for r in then if r["stage"] == stage]
        n = [r for r in now if r["stage"] == stage]
        t_m2, n_m2 = _sum(t, "land_area_m2"), _sum(n, "land_area_m2")
        zh, en = IDLE_STAGES[stage]
        by_stage.append(
            {
                "stage": stage,
                "name_zh": zh,
                "name_en": en,
                "then": {"count": len(t), **_area(t_m2)},
                "now": {"count": len(n), **_area(n_m2)},
                "change": {"count": len(n) - len(t), **_area(n_m2 - t_m2)},
                "entered": entered.get(stage, 0),
                "left": left.get(stage, 0),
            }
        )
    return {"by_stage": by_stage, "moves": moves}


def _batch_section(result: Mapping[str, Any], park: str | None) -> dict[str, Any]:
    rows = _in_park(result.get("batches") or [], park)
    approved = _sum(rows, "approved_area_m2")
    supplied = _sum(rows, "supplied_area_m2")
    unsupplied = _sum(rows, "unsupplied_area_m2")
    at_risk = [r for r in rows if r.get("at_risk")]
    at_risk.sort(key=lambda r: (-(r.get("age_days") or 0), r.get("batch_no") or ""))
    return {
        "batches": len(rows),
        "approved_area_m2": approved,
        "approved_area_mu": m2_to_mu(approved),
        "supplied_area_m2": supplied,
        "supplied_area_mu": m2_to_mu(supplied),
        "unsupplied_area_m2": unsupplied,
        "unsupplied_area_mu": m2_to_mu(unsupplied),
        "disposal_rate": supplied / approved if approved else None,
        "at_risk_count": len(at_risk),
        "at_risk_unsupplied_area_m2": _sum(at_risk, "unsupplied_area_m2"),
        "at_risk_unsupplied_area_mu": m2_to_mu(_sum(at_risk, "unsupplied_area_m2")),
        "at_risk": at_risk,
    }


def _unbuilt_section(result: Mapping[str, Any], park: str | None) -> dict[str, Any]:
    unstarted = _in_park(result.get("unstarted") or [], park)
    underbuilt = _in_park(result.get("underbuilt") or [], park)
    return {
        "unstarted_count": len(unstarted),
        "unstarted_area_m2": _sum(unstarted, "land_area_m2"),
        "unstarted_area_mu": m2_to_mu(_sum(unstarted, "land_area_m2")),
        "underbuilt_count": len(underbuilt),
        "underbuilt_area_m2": _sum(underbuilt, "land_area_m2"),
        "underbuilt_area_mu": m2_to_mu(_sum(underbuilt, "land_area_m2")),
        "unstarted": unstarted,
        "underbuilt": underbuilt,
    }


def _shortfalls(rows: list[dict]) -> list[dict[str, Any]]:
    """Each contract's park, parcel, number, holder and stage, and its checks missed
    (``short``, empty when none): worked out once for the city and every park."""
    out = []
    for r in rows:
        short = [
            {
                "indicator": c.get("indicator"),
                "name_zh": INDICATORS.get(c.get("indicator"), (c.get("indicator"),))[0],
                "bound": c.get("bound"),
                "committed": c.get("committed"),
                "committed_max": c.get("committed_max"),
                "measured": c.get("measured"),
                "short_by": c.get("short_by"),
                "over_by": c.get("over_by"),
                "unit": c.get("unit"),
                "unit_zh": UNITS_ZH.get(c.get("unit"), c.get("unit") or ""),
            }
            for c in r.get("checks") or []
            if c.get("met") is False
        ]
        out.append(
            {k: r.get(k) for k in ("park", "parcel_code", "contract_no", "holder", "stage")}
            | {"short": short}
        )
    return out


def _compliance_section(rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    """*rows* of :func:`_shortfalls`: how many contracts, and those with a check missed."""
    out = [r for r in rows if r["short"]]
    out.sort(key=lambda r: (r["park"] or "", r["parcel_code"] or "", r["contract_no"] or ""))
    return {"contracts": len(rows), "out_of_compliance_count": len(out), "out_of_compliance": out}


def _listed(rows: list[dict]) -> dict[str, Any]:
    return {"count": len(rows), **_area(_sum(rows, "land_area_m2")), "list": rows}


def _evaluation_section(result: Mapping[str, Any] | None, park: str | None) -> dict | None:
    if result is None:
        return None
    enterprises = _in_park(result.get("enterprises") or [], park)
    grades = Counter(e.get("grade") for e in enterprises if e.get("grade"))
    low = _in_park(result.get("low_efficiency") or [], park)
    return {
        "year": result.get("year"),
        "enterprises": len(enterprises),
        "grades": {g: grades.get(g, 0) for g in GRADES},
        "low_efficiency_count": len(low),
        "low_efficiency_area_m2": _sum(low, "area_m2"),
        "low_efficiency_area_mu": m2_to_mu(_sum(low, "area_m2")),
    }


def _section(
    park: str | None,
    names: tuple[str, str],
    *,
    idle_now: list[dict],
    idle_then: list[dict],
    batches: Mapping[str, Any],
    unbuilt: Mapping[str, Any],
    compliance: list[dict],
    supplies: list[dict],
    starts: list[dict],
    evaluation: Mapping[str, Any] | None,
) -> dict[str, Any]:
    now = _in_park(idle_now, park)
    return {
        "park": park,
        "name_zh": names[0],
        "name_en": names[1],
        "idle": _idle_section(now),
        "changes": _changes(_in_park(idle_then, park), now),
        "batches": _batch_section(batches, park),
        "unbuilt": _unbuilt_section(unbuilt, park),
        "compliance": _compliance_section(_in_park(compliance, park)),
        "supplies": _listed(_in_park(supplies, park)),
        "starts": _listed(_in_park(starts, park)),
        "evaluation": _evaluation_section(evaluation, park),
    }


# --- the report --------------------------------------------------------------------------------


def _rows(conn: Connection, name: str, **params: Any) -> list[dict]:
    result = conn.execute(text(sql("service.supervision", f"sql/{name}")), params)
    return [dict(r._mapping) for r in result]


def supplies_in(conn: Connection, *, first_day: date, last_day: date, park: str | None = None):
    """本月供地: standing supply contracts signed from *first_day* to *last_day*."""
    rows = _rows(conn, "report_supplies.sql", first_day=first_day, last_day=last_day, park=park)
    for r in rows:
        r["supply_mode_zh"] = SUPPLY_MODE_NAMES_ZH.get(r["supply_mode"], r["supply_mode"])
    return rows


def starts_in(conn: Connection, *, first_day: date, last_day: date, park: str | None = None):
    """本月开工: standing start reports (实际动工) dated from *first_day* to *last_day*."""
    return _rows(conn, "report_starts.sql", first_day=first_day, last_day=last_day, park=park)


def latest_figures_year(conn: Connection, *, up_to: int) -> int | None:
    """The latest year, up to *up_to*, with standing enterprise figures (None: none)."""
    return conn.execute(
        text(sql("service.supervision", "sql/report_figures_year.sql")), {"year": up_to}
    ).scalar_one()


def monthly_report(conn: Connection, *, month: str, today: date | None = None) -> dict[str, Any]:
    """The monthly supervision report of *month* (``YYYY-MM``, up to the month of *today*,
    default ``date.today()``; else :class:`parks.errors.InvalidParameter` naming
    ``month``), as a JSON-ready dict::

        {"month", "month_zh", "first_day", "as_of", "previous_as_of", "evaluation_year",
         "settings": {name: value}, "city": SECTION, "parks": [SECTION, ...]}

    A SECTION (the city's has ``park`` None) holds ``idle`` (count, land, fee and the
    contracts per stage, and the list with the days on each clock), ``changes`` (per
    stage then/now/change and the contracts that entered or left a stage), ``batches``
    (totals and those at risk), ``unbuilt`` (供而未用 and 用而未尽), ``compliance``
    (contracts with an indicator short), ``supplies`` and ``starts`` (in the month) and
    ``evaluation`` (the grades of the latest year with figures, None without any).
    The report is as of the month's last day (today in the current month); last month's
    figures as of the last day of the month before."""
    span: ReportMonth = report_month(month, today=today or date.today())
    settings = settings_in_force(conn)
    figures_year = latest_figures_year(conn, up_to=span.as_of.year)
    # The parts as their functions give them (dates, decimals): made plain once, in the
    # report's sections, not whole (the compliance and the evaluation list every contract
    # and enterprise of the city; a section keeps a few of them).
    parts = {
        "idle_now": idle_land(conn, as_of=span.as_of),
        "idle_then": idle_land(conn, as_of=span.previous_as_of),
        "batches": batches_of(conn, as_of=span.as_of),
        "unbuilt": unbuilt_of(conn, as_of=span.as_of),
        "compliance": _shortfalls(compliance_of(conn, as_of=span.as_of)),
        "supplies": supplies_in(conn, first_day=span.first_day, last_day=span.as_of),
        "starts": starts_in(conn, first_day=span.first_day, last_day=span.as_of),
        "evaluation": evaluate(conn, year=figures_year) if figures_year else None,
    }
    parks = conn.execute(text("SELECT code, name_zh, name_en FROM park ORDER BY code")).all()
    return plain(
        {
            "month": span.month,
            "month_zh": span.label_zh,
            "first_day": span.first_day.isoformat(),
            "as_of": span.as_of.isoformat(),
            "previous_as_of": span.previous_as_of.isoformat(),
            "evaluation_year": figures_year,
            "settings": plain({k: settings[k] for k in REPORT_SETTINGS if k in settings}),
            "city": _section(None, ("全市", "City"), **parts),
            "parks": [_section(p.code, (p.name_zh, p.name_en), **parts) for p in parks],
        }
    )


# --- what every rendering shows -----------------------------------------------------------------

#: The summary table's columns: key, Chinese heading, English heading.
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("name_zh", "园区", "Park"),
    ("warning", "预警（宗）", "Warning"),
    ("idle_1y", "闲置满一年（宗）", "Idle ≥ 1 y"),
    ("idle_2y", "闲置满两年（宗）", "Idle ≥ 2 y"),
    ("idle_area_mu", "闲置土地面积（亩）", "Idle land (mu)"),
    ("fee_wan", "闲置费（万元）", "Idle fee (10k yuan)"),
    ("batches_at_risk", "批而未供·逾期批次", "Batches at risk"),
    ("unsupplied_area_mu", "批而未供面积（亩）", "Unsupplied (mu)"),
    ("disposal_rate", "处置率", "Disposal rate"),
    ("unstarted", "供而未用（宗）", "Not started"),
    ("out_of_compliance", "未履约合同", "Out of compliance"),
    ("supplies", "本月供地（宗）", "Supplied"),
    ("supplies_area_mu", "本月供地面积（亩）", "Supplied (mu)"),
    ("starts", "本月开工（宗）", "Started"),
)


def summary_row(section: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the summary table (:data:`SUMMARY_COLUMNS`) for a park's or the city's
    section; idle counts are of warning, idle ≥ 1 year and ≥ 2 years, idle land is of
    the two idle stages."""
    stages = {s["stage"]: s for s in section["idle"]["by_stage"]}
    idle_mu = sum(stages[s]["land_area_mu"] for s in ("idle_1y", "idle_2y") if s in stages)
    return {
        "park": section["park"],
        "name_zh": section["name_zh"],
        "warning": stages.get("warning", {}).get("count", 0),
        "idle_1y": stages.get("idle_1y", {}).get("count", 0),
        "idle_2y": stages.get("idle_2y", {}).get("count", 0),
        "idle_area_mu": idle_mu,
        "fee_wan": section["idle"]["fee_wan"],
        "batches_at_risk": section["batches"]["at_risk_count"],
        "unsupplied_area_mu": section["batches"]["unsupplied_area_mu"],
        "disposal_rate": section["batches"]["disposal_rate"],
        "unstarted": section["unbuilt"]["unstarted_count"],
        "out_of_compliance": section["compliance"]["out_of_compliance_count"],
        "supplies": section["supplies"]["count"],
        "supplies_area_mu": section["supplies"]["land_area_mu"],
        "starts": section["starts"]["count"],
    }


def summary_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The summary table: a line per park, then the city's."""
    return [summary_row(s) for s in report["parks"]] + [summary_row(report["city"])]

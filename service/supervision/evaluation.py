"""The yearly 亩均效益 evaluation from the database: each enterprise's land and figures,
its indicators, score, rank and grade within its group, per park totals, and the
low-efficiency land (低效用地 candidates).

The formulas (points, score, ranks, grades, how counts round and ties resolve) are
``parks.supervision.evaluation``'s; this module reads what they need — the figures in one
query, the land in another — and puts the answer together.

**Land of a year.** The parcels an enterprise holds are the parcel versions standing at the
end of 31 December of the year (in the city's zone) whose holder is the enterprise's
(standing) name; the standard-factory floor it leases are the leases in force on
31 December naming it as tenant. A lease's land share is its floor ÷ the plot ratio of the
building's parcel, that plot ratio being the floor of every standard factory building on the
parcel ÷ the parcel's area — so a building of 6,000 m² on a 3,000 m² parcel (plot ratio 2)
gives 1,200 m² of leased floor 600 m² (0.9 亩) of land, and the shares of a parcel's fully
let floor add up to the parcel, never more. The parcel's holder is still evaluated on the
whole parcel (the lessor's figures include its rent). When the ledger's history begins
after the year's end (the parcels were first registered later), the land is read at the
first moment the ledger knows (``land_as_of`` in the answer says which).

**Groups.** An enterprise holding any parcel is graded in the group of basis ``land`` (its
land: its parcels plus the land share of any floor it leases); one with leased floor only
in the group of basis ``leased_floor`` (its land: the floor's land share); the groups'
codes and names are the setting ``evaluation.groups``. Grades are by rank within the group,
over the whole city (a park filter lists, it does not re-grade). An enterprise with figures
but no land — or no standing enterprise record — is listed in ``ungraded`` with the reason.

**Parks.** An enterprise belongs to its main park: where most of its land is.
Units: areas m² (EPSG:4545) with 亩 beside them, money 万元, energy tce, shares 0..1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.supervision.evaluation import (
    FLAT_POINTS,
    FLOOR_POINTS,
    INDICATOR_NAMES_ZH,
    INDICATOR_UNITS,
    SPAN_POINTS,
    Scale,
    evaluate_group,
    grade_boundaries,
    indicator_values,
)
from parks.supervision.settings import GRADES, INDICATORS
from parks.units import m2_to_mu
from service.db.sqlfiles import sql
from service.supervision.settings import settings_in_force

#: Why an enterprise with figures is not graded.
UNGRADED_REASONS: dict[str, str] = {
    "no_enterprise": "no standing enterprise record has this code",
    "no_land": "holds no parcel and leases no standard-factory floor at the year's end",
    "no_land_share": "leases floor only in buildings whose parcel has no area at the year's end",
}
#: Why a parcel is a low-efficiency (低效用地) candidate, in the order they are listed.
LOW_EFFICIENCY_REASONS: tuple[str, ...] = ("grade_d", "plot_ratio_below_contract", "idle")
#: The idle-land stages that make a parcel a low-efficiency candidate (not the warning).
IDLE_STAGES = frozenset({"idle_1y", "idle_2y"})

DEFAULT_ZONE = "Asia/Shanghai"
PRECISION = 7
FIGURE_COLUMNS = ("tax_wan", "revenue_wan", "added_value_wan", "energy_tce", "rd_wan", "employees")


def _q(name: str) -> str:
    return sql("service.supervision", f"sql/{name}.sql")


def _land_sql() -> str:
    return _q("evaluation_land").replace("{items}", _q("evaluation_land_items"))


def year_end(year: int, zone: str = DEFAULT_ZONE) -> datetime:
    """The last moment of 31 December of *year* in *zone*."""
    return datetime.combine(date(year, 12, 31), time.max, tzinfo=ZoneInfo(zone))


def land_moment(conn: Connection, *, year: int, zone: str = DEFAULT_ZONE) -> datetime:
    """The moment a year's land is read at: the year's end, or the ledger's first parcel
    version when the history begins later."""
    end = year_end(year, zone)
    first = conn.execute(text("SELECT min(valid_from) FROM parcel_version")).scalar()
    return max(end, first) if first is not None else end


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)


def _mu(area_m2: float | None) -> float | None:
    return None if area_m2 is None else round(m2_to_mu(area_m2), 4)


def _check_year(year: int) -> None:
    if not 1990 <= year <= 2200:
        raise InvalidParameter("year", f"must be a year between 1990 and 2200, not {year}")


def latest_year(conn: Connection) -> int | None:
    """The latest year with standing figures (None: no figures at all)."""
    return conn.execute(
        text("SELECT max(year) FROM enterprise_figures WHERE valid_to IS NULL")
    ).scalar()


@dataclass
class _Year:
    """A whole year's evaluation over the city (every park, every group)."""

    year: int
    at: datetime
    settings: dict[str, Any]
    enterprises: list[dict[str, Any]]
    ungraded: list[dict[str, Any]]
    scales: dict[str, dict[str, Scale]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def groups(self) -> list[dict[str, Any]]:
        return self.settings["groups"]


def _settings(conn: Connection) -> dict[str, Any]:
    in_force = settings_in_force(conn)
    return {
        "weights": dict(in_force["evaluation.weights"]),
        "grade_shares": dict(in_force["evaluation.grade_shares"]),
        "groups": [dict(g) for g in in_force["evaluation.groups"]],
    }


def _array(rows: list[Any], name: str) -> np.ndarray:
    """Column *name* of *rows* as floats, NaN for NULL."""
    return np.array([getattr(r, name) for r in rows], dtype=float)


def _compute(conn: Connection, *, year: int, zone: str) -> _Year:
    """Every enterprise's evaluation in *year*; InvalidParameter naming ``year`` when the
    year has no figures."""
    _check_year(year)
    figures = conn.execute(text(_q("evaluation_figures")), {"year": year}).all()
    if not figures:
        known = conn.execute(
            text(
                "SELECT coalesce(string_agg(DISTINCT year::text, ', ' ORDER BY year::text), '') "
                "FROM enterprise_figures WHERE valid_to IS NULL"
            )
        ).scalar()
        raise InvalidParameter(
            "year",
            f"no enterprise figures for {year}"
            + (f" (figures exist for {known})" if known else " (no figures are imported yet)"),
        )
    settings = _settings(conn)
    at = land_moment(conn, year=year, zone=zone)
    on = date(year, 12, 31)
    land = {
        r.enterprise_code: r
        for r in conn.execute(
            text(_land_sql()), {"at": at, "on": on, "enterprise_code": None}
        ).all()
    }
    basis_group = {g["basis"]: g["code"] for g in settings["groups"]}

    graded_rows: list[Any] = []
    graded_groups: list[str] = []
    ungraded: list[dict[str, Any]] = []
    for row in figures:
        parcel_m2 = floor_m2 = leased_m2 = 0.0
        mine = land.get(row.enterprise_code)
        if mine is not None:
            parcel_m2, floor_m2, leased_m2 = (
                mine.parcel_m2,
                mine.floor_land_m2,
                mine.leased_floor_m2,
            )
        if row.name is None:
            reason = "no_enterprise"
        elif parcel_m2 > 0:
            reason = None
            graded_groups.append(basis_group["land"])
        elif floor_m2 > 0:
            reason = None
            graded_groups.append(basis_group["leased_floor"])
        elif leased_m2 > 0:
            reason = "no_land_share"
        else:
            reason = "no_land"
        if reason is None:
            graded_rows.append((row, mine))
            continue
        ungraded.append(
            {
                "enterprise_code": row.enterprise_code,
                "name": row.name,
                "park": mine.park if mine is not None else None,
                "leased_floor_m2": round(leased_m2, 2),
                "tax_wan": row.tax_wan,
                "revenue_wan": row.revenue_wan,
                "reason": reason,
                "message": UNGRADED_REASONS[reason],
            }
        )

    result = _Year(year=year, at=at, settings=settings, enterprises=[], ungraded=ungraded)
    if not graded_rows:
        return result

    figs = [r for r, _ in graded_rows]
    lands = [m for _, m in graded_rows]
    land_m2 = np.array([m.parcel_m2 + m.floor_land_m2 for m in lands], dtype=float)
    land_mu = m2_to_mu(land_m2)
    values = indicator_values(
        tax_wan=_array(figs, "tax_wan"),
        revenue_wan=_array(figs, "revenue_wan"),
        added_value_wan=_array(figs, "added_value_wan"),
        energy_tce=_array(figs, "energy_tce"),
        rd_wan=_array(figs, "rd_wan"),
        employees=_array(figs, "employees"),
        land_mu=land_mu,
    )
    n = len(figs)
    group_of = np.array(graded_groups, dtype=object)
    points = {name: np.full(n, np.nan) for name in INDICATORS}
    scores = np.full(n, np.nan)
    ranks = np.zeros(n, dtype=np.int64)
    grades = np.full(n, None, dtype=object)
    for group in settings["groups"]:
        mask = group_of == group["code"]
        result.sizes[group["code"]] = int(mask.sum())
        if not mask.any():
            result.scales[group["code"]] = {name: Scale(None, None) for name in INDICATORS}
            continue
        done = evaluate_group(
            {name: values[name][mask] for name in INDICATORS},
            weights=settings["weights"],
            grade_shares=settings["grade_shares"],
        )
        for name in INDICATORS:
            points[name][mask] = done.points[name]
        scores[mask] = done.scores
        ranks[mask] = done.ranks
        grades[mask] = done.grades
        result.scales[group["code"]] = done.scales

    # numbers rounded as shown, vectorised; NaN (a missing indicator) becomes None
    shown_values = {name: _listed(values[name], 6) for name in INDICATORS}
    shown_points = {name: np.round(points[name], 6).tolist() for name in INDICATORS}
    land_m2_shown = np.round(land_m2, 2).tolist()
    land_mu_shown = np.round(land_mu, 4).tolist()
    score_list, rank_list = scores.tolist(), ranks.tolist()
    order = {g["code"]: i for i, g in enumerate(settings["groups"])}
    codes = [r.enterprise_code for r in figs]
    for i in sorted(range(n), key=lambda i: (order[group_of[i]], rank_list[i], codes[i])):
        row, mine = figs[i], lands[i]
        result.enterprises.append(
            {
                "enterprise_code": row.enterprise_code,
                "name": row.name,
                "industry": row.industry,
                "group": group_of[i],
                "park": mine.park,
                "land_m2": land_m2_shown[i],
                "land_mu": land_mu_shown[i],
                "parcel_land_m2": round(mine.parcel_m2, 2),
                "floor_land_m2": round(mine.floor_land_m2, 2),
                "parcels": list(mine.parcels),
                "leased_floor_m2": round(mine.leased_floor_m2, 2),
                "tax_wan": row.tax_wan,
                "revenue_wan": row.revenue_wan,
                "indicators": {name: shown_values[name][i] for name in INDICATORS},
                "points": {name: shown_points[name][i] for name in INDICATORS},
                "score": score_list[i],
                "rank": rank_list[i],
                "grade": grades[i],
            }
        )
    return result


def _listed(values: np.ndarray, digits: int) -> list[float | None]:
    """*values* rounded to *digits*, as a list with None for NaN."""
    rounded = np.round(values, digits).tolist()
    return [None if v != v else v for v in rounded]


def _low_efficiency(conn: Connection, done: _Year, *, park: str | None) -> list[dict[str, Any]]:
    """Low-efficiency candidates: parcels of grade-D holders, parcels whose completed
    plot ratio is below the contract's minimum, idle parcels (idle ≥ 1 year on 31 Dec)."""
    from service.supervision.idle import idle_land

    on = date(done.year, 12, 31)
    found: dict[str, dict[str, Any]] = {}

    def entry(code: str) -> dict[str, Any]:
        return found.setdefault(
            code,
            {
                "parcel_code": code,
                "park": None,
                "holder": None,
                "area_m2": None,
                "reasons": set(),
                "grade": None,
                "enterprise_code": None,
                "plot_ratio": None,
                "plot_ratio_min": None,
                "idle_stage": None,
                "idle_days": None,
            },
        )

    for e in done.enterprises:
        if e["grade"] == "D":
            for code in e["parcels"]:
                item = entry(code)
                item["reasons"].add("grade_d")
    for r in conn.execute(text(_q("evaluation_underbuilt")), {"at": done.at, "on": on}):
        item = entry(r.parcel_code)
        item["reasons"].add("plot_ratio_below_contract")
        item.update(park=r.park, holder=r.holder, area_m2=r.area_m2)
        item.update(plot_ratio=r.plot_ratio, plot_ratio_min=r.plot_ratio_min)
    for r in idle_land(conn, as_of=on):
        if r["stage"] not in IDLE_STAGES:
            continue
        item = entry(r["parcel_code"])
        item["reasons"].add("idle")
        item.update(idle_stage=r["stage"], idle_days=r["days_on_clock"])
        if item["area_m2"] is None:
            item.update(park=r["park"], holder=r["holder"], area_m2=r["land_area_m2"])
    if not found:
        return []
    # the parcel as it stood at the year's end, where it did
    for r in conn.execute(text(_q("evaluation_parcels")), {"codes": list(found), "at": done.at}):
        found[r.parcel_code].update(park=r.park, holder=r.holder, area_m2=r.area_m2)
    by_holder = {e["name"]: e for e in done.enterprises}
    out = []
    for item in found.values():
        if park is not None and item["park"] != park:
            continue
        holder = by_holder.get(item["holder"])
        if holder is not None:
            item.update(grade=holder["grade"], enterprise_code=holder["enterprise_code"])
        area = item["area_m2"]
        item["area_m2"] = None if area is None else round(area, 2)
        item["area_mu"] = _mu(area)
        item["reasons"] = [r for r in LOW_EFFICIENCY_REASONS if r in item["reasons"]]
        out.append(item)
    out.sort(key=lambda i: (i["park"] or "", i["parcel_code"]))
    return out


def _parks(
    conn: Connection,
    done: _Year,
    *,
    park: str | None,
    low: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per park: its enterprises (those whose main park it is), their land, tax and
    revenue, 亩均 figures (totals ÷ land), grade counts and low-efficiency land."""
    rows = conn.execute(text("SELECT code, name_zh FROM park ORDER BY code")).all()
    totals = {
        r.code: {
            "enterprises": 0,
            "ungraded": 0,
            "land_mu": 0.0,
            "tax": 0.0,
            "revenue": 0.0,
            "grades": dict.fromkeys(GRADES, 0),
            "low": 0,
            "low_mu": 0.0,
        }
        for r in rows
    }
    for e in done.enterprises:
        t = totals.get(e["park"])
        if t is not None:
            t["enterprises"] += 1
            t["land_mu"] += e["land_mu"]
            t["tax"] += e["tax_wan"]
            t["revenue"] += e["revenue_wan"]
            t["grades"][e["grade"]] += 1
    for u in done.ungraded:
        if u["park"] in totals:
            totals[u["park"]]["ungraded"] += 1
    for i in low:
        if i["park"] in totals:
            totals[i["park"]]["low"] += 1
            totals[i["park"]]["low_mu"] += i["area_mu"] or 0.0
    out = []
    for r in rows:
        if park is not None and r.code != park:
            continue
        t = totals[r.code]
        land_mu = t["land_mu"]
        out.append(
            {
                "park": r.code,
                "name_zh": r.name_zh,
                "enterprises": t["enterprises"],
                "ungraded": t["ungraded"],
                "land_mu": round(land_mu, 4),
                "tax_wan": round(t["tax"], 2),
                "revenue_wan": round(t["revenue"], 2),
                "tax_per_mu": round(t["tax"] / land_mu, 6) if land_mu > 0 else None,
                "revenue_per_mu": round(t["revenue"] / land_mu, 6) if land_mu > 0 else None,
                "grades": t["grades"],
                "low_efficiency_parcels": t["low"],
                "low_efficiency_mu": round(t["low_mu"], 4),
            }
        )
    return out


def check_group(settings: Mapping[str, Any], group: str | None) -> str | None:
    """*group* when it is the code of a group of the evaluation *settings* (or None);
    InvalidParameter naming ``group`` otherwise."""
    if group is None:
        return None
    codes = [g["code"] for g in settings["groups"]]
    if group not in codes:
        raise InvalidParameter("group", f"unknown group {group!r}; known: {', '.join(codes)}")
    return group


def evaluate(
    conn: Connection,
    *,
    year: int,
    park: str | None = None,
    group: str | None = None,
    grade: str | None = None,
    zone: str = DEFAULT_ZONE,
) -> dict[str, Any]:
    """The 亩均效益 evaluation of *year*: ``{"year", "land_as_of", "settings": {weights,
    grade_shares, groups}, "groups": [{code, name_zh, basis, enterprises, scales}],
    "enterprises": [{enterprise_code, name, group, park, land_m2, land_mu, parcels,
    leased_floor_m2, indicators, points, score, rank, grade, ...}], "ungraded": [...],
    "parks": [{park, enterprises, land_mu, tax_wan, revenue_wan, tax_per_mu,
    revenue_per_mu, grades}], "low_efficiency": [{parcel_code, park, holder, area_m2,
    area_mu, reasons}]}``.

    *park* lists only that park's enterprises (their main park), parks and parcels;
    *group* and *grade* filter the enterprises listed. Grades are always the city-wide
    ones. InvalidParameter naming ``year`` when the year has no figures, ``group`` for a
    group the settings don't have."""
    done = _compute(conn, year=year, zone=zone)
    check_group(done.settings, group)
    low = _low_efficiency(conn, done, park=park)
    enterprises = [
        e
        for e in done.enterprises
        if (park is None or e["park"] == park)
        and (group is None or e["group"] == group)
        and (grade is None or e["grade"] == grade)
    ]
    ungraded = [u for u in done.ungraded if park is None or u["park"] == park]
    return {
        "year": year,
        "land_as_of": done.at.isoformat(),
        "settings": done.settings,
        "groups": _groups(done),
        "enterprises": enterprises,
        "ungraded": ungraded,
        "parks": _parks(conn, done, park=park, low=low),
        "low_efficiency": low,
    }


def _groups(done: _Year) -> list[dict[str, Any]]:
    out = []
    for g in done.groups:
        n = done.sizes.get(g["code"], 0)
        scales = done.scales.get(g["code"], {})
        out.append(
            {
                **g,
                "enterprises": n,
                "grade_boundaries": dict(
                    zip(GRADES, grade_boundaries(n, done.settings["grade_shares"]), strict=True)
                ),
                "scales": {
                    name: {
                        "min": _round(scales[name].minimum, 6) if name in scales else None,
                        "max": _round(scales[name].maximum, 6) if name in scales else None,
                    }
                    for name in INDICATORS
                },
            }
        )
    return out


# --- one enterprise -------------------------------------------------------------------------


def _enterprise(conn: Connection, key: str) -> Any:
    """The standing enterprise *key* names: its code, else its exact name (NotFound: none;
    InvalidParameter naming ``enterprise`` when several enterprises have that name)."""
    rows = conn.execute(text(_q("evaluation_enterprise")), {"key": key}).all()
    if not rows:
        raise NotFound(f"no enterprise with code or name {key!r}")
    if rows[0].by_code or len(rows) == 1:
        return rows[0]
    codes = ", ".join(r.enterprise_code for r in rows)
    raise InvalidParameter(
        "enterprise", f"{key!r} is the name of several enterprises ({codes}): use the code"
    )


def _land_detail(conn: Connection, *, code: str, at: datetime, on: date) -> dict[str, Any]:
    rows = conn.execute(
        text(_q("evaluation_land_items") + " ORDER BY kind DESC, item"),
        {"at": at, "on": on, "enterprise_code": code},
    ).all()
    parcels = [
        {
            "parcel_code": r.parcel_code,
            "park": r.park,
            "area_m2": round(r.land_m2, 2),
            "area_mu": _mu(r.land_m2),
        }
        for r in rows
        if r.kind == "parcel"
    ]
    leases = [
        {
            "lease_id": r.item,
            "building_code": r.building_code,
            "park": r.park,
            "parcel_code": r.parcel_code,
            "floor": r.floor,
            "leased_m2": round(r.leased_m2, 2),
            "building_floor_area_m2": round(r.floor_area_m2, 2),
            "parcel_area_m2": None if r.parcel_area_m2 is None else round(r.parcel_area_m2, 2),
            "plot_ratio": _round(r.plot_ratio, 6),
            "land_share_m2": None if r.land_m2 is None else round(r.land_m2, 2),
            "land_share_mu": _mu(r.land_m2),
            "start_date": r.start_date.isoformat(),
            "end_date": None if r.end_date is None else r.end_date.isoformat(),
        }
        for r in rows
        if r.kind == "lease"
    ]
    return {"parcels": parcels, "leases": leases}


def _figures(conn: Connection, code: str) -> list[dict[str, Any]]:
    return [
        dict(r._mapping)
        for r in conn.execute(text(_q("evaluation_enterprise_figures")), {"enterprise_code": code})
    ]


def latest_enterprise_year(conn: Connection, *, key: str) -> int:
    """The latest year with figures of the enterprise *key* (code or exact name);
    NotFound for an unknown enterprise, InvalidParameter naming ``year`` when it has no
    figures at all."""
    who = _enterprise(conn, key)
    figures = _figures(conn, who.enterprise_code)
    if not figures:
        raise InvalidParameter(
            "year", f"{who.name} ({who.enterprise_code}) has no figures for any year"
        )
    return figures[-1]["year"]


def enterprise_evaluation(
    conn: Connection, *, key: str, year: int, zone: str = DEFAULT_ZONE
) -> dict[str, Any]:
    """One enterprise's evaluation in *year*, found by its code or exact name: its
    indicators and points, how the score was made (each indicator's value, the min and max
    of its group, weight and points), rank, grade, land (parcels with areas; leases with
    their floor and land share) and its figures of every year. NotFound for an unknown
    enterprise; InvalidParameter naming ``year`` when it has no figures for the year."""
    _check_year(year)
    who = _enterprise(conn, key)
    figures = _figures(conn, who.enterprise_code)
    if not any(f["year"] == year for f in figures):
        years = ", ".join(str(f["year"]) for f in figures) or "none"
        raise InvalidParameter(
            "year",
            f"{who.name} ({who.enterprise_code}) has no figures for {year} (years with "
            f"figures: {years})",
        )
    done = _compute(conn, year=year, zone=zone)
    mine = next((e for e in done.enterprises if e["enterprise_code"] == who.enterprise_code), None)
    land = _land_detail(conn, code=who.enterprise_code, at=done.at, on=date(year, 12, 31))
    body: dict[str, Any] = {
        "year": year,
        "land_as_of": done.at.isoformat(),
        "enterprise_code": who.enterprise_code,
        "name": who.name,
        "industry": who.industry,
        "figures": figures,
        "land": land,
    }
    if mine is None:
        why = next(u for u in done.ungraded if u["enterprise_code"] == who.enterprise_code)
        return body | {
            "graded": False,
            "reason": why["reason"],
            "message": why["message"],
            "group": None,
            "grade": None,
        }
    group = next(g for g in _groups(done) if g["code"] == mine["group"])
    weights = done.settings["weights"]
    made = [
        {
            "indicator": name,
            "name_zh": INDICATOR_NAMES_ZH[name],
            "unit": INDICATOR_UNITS[name],
            "value": mine["indicators"][name],
            "min": group["scales"][name]["min"],
            "max": group["scales"][name]["max"],
            "weight": weights[name],
            "points": mine["points"][name],
            "weighted_points": round(float(weights[name]) * mine["points"][name] / 100.0, 6),
        }
        for name in INDICATORS
    ]
    return body | {
        "graded": True,
        **{k: v for k, v in mine.items() if k not in body},
        "group_name_zh": group["name_zh"],
        "group_size": group["enterprises"],
        "score_made": {
            "formula": (
                f"score = Σ weight × points / 100; points = {FLOOR_POINTS:g} + {SPAN_POINTS:g}"
                f" × (x − min) / (max − min) within the group; a missing value "
                f"{FLOOR_POINTS:g}; max = min: {FLAT_POINTS:g}"
            ),
            "indicators": made,
            "score": mine["score"],
            "rank": mine["rank"],
            "grade_boundaries": group["grade_boundaries"],
            "grade_shares": done.settings["grade_shares"],
        },
    }


# --- the map layer ----------------------------------------------------------------------------


def evaluation_geojson(
    conn: Connection,
    *,
    year: int,
    park: str | None = None,
    group: str | None = None,
    grade: str | None = None,
    zone: str = DEFAULT_ZONE,
) -> str:
    """The parcels the graded enterprises held at the year's end (those of *park*, of the
    enterprises of *group* and *grade*), each with its holder's grade, score and rank and
    its low-efficiency reasons: a GeoJSON FeatureCollection (EPSG:4326) as text, built in
    the database."""
    done = _compute(conn, year=year, zone=zone)
    check_group(done.settings, group)
    chosen = [
        e
        for e in done.enterprises
        if (group is None or e["group"] == group) and (grade is None or e["grade"] == grade)
    ]
    low = _low_efficiency(conn, done, park=park)
    return conn.execute(
        text(_q("evaluation_features")),
        {
            "at": done.at,
            "park": park,
            "precision": PRECISION,
            "codes": [e["enterprise_code"] for e in chosen],
            "names": [e["name"] for e in chosen],
            "groups": [e["group"] for e in chosen],
            "grades": [e["grade"] for e in chosen],
            "scores": [e["score"] for e in chosen],
            "ranks": [e["rank"] for e in chosen],
            "low_codes": [i["parcel_code"] for i in low],
            "low_reasons": [",".join(i["reasons"]) for i in low],
        },
    ).scalar_one()

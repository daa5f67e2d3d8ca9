"""Contract compliance (履约): what each started supply contract committed against what was
measured — at the completion acceptance (竣工验收) or, before it, at the latest progress
report.

Per standing supply contract signed and started (a ``start`` or ``completion`` report)
on or before ``as_of``, the checks (judged by ``parks.supervision.compliance``):

* ``investment_intensity`` (投资强度, 万元/亩): the latest reported fixed-asset investment
  to date ÷ the contract's land in 亩, at least the committed investment ÷ the same 亩.
  Before completion (stage ``progress``) the investment so far is judged against the
  whole commitment: a site still being built shows how far it is from it.
* ``plot_ratio`` (容积率): measured at completion, within the contract's min–max (above
  the maximum is a miss too: ``over_by``).
* ``building_coverage`` (建筑系数, share): measured at completion, at least the minimum.
* ``office_share`` (行政办公及生活服务设施用地比重, share): measured at completion, at most
  the maximum (7 % unless the contract says otherwise).
* ``tax_per_mu`` (亩均税收, 万元/亩/年), only where the contract commits to one: the holder
  enterprise's tax in ``year`` (default: the year before ``as_of``) ÷ the 亩 of the land
  the enterprise holds by contract by the end of that year (this contract's land when it
  holds only this one); unmeasured when the enterprise has no figures for the year, or
  this contract was signed after it.

The holder enterprise is the contract's ``enterprise_code``, else the standing enterprise
whose name is the contract's holder. A check whose measure is not known yet (the plot
ratio before completion) has ``met`` and ``short_by`` None. Records are the standing
versions (what is known now), read as of ``as_of``. Areas are planar m² in the storage
CRS (EPSG:4545), 亩 = m² × 15 / 10000, money 万元.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from parks.supervision.compliance import (
    INDICATORS,
    all_met,
    contract_checks,
    per_mu,
    short_indicators,
)
from service.db.sqlfiles import sql
from service.reads import queries as reads

#: The years enterprise figures may be given for (as the figures table allows).
FIRST_YEAR, LAST_YEAR = 1990, 2200


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def default_year(as_of: date) -> int:
    """The figures year judged by default: the last full year before *as_of*."""
    return as_of.year - 1


def compliance(
    conn: Connection,
    *,
    park: str | None = None,
    year: int | None = None,
    as_of: date | None = None,
    only_short: bool = False,
) -> list[dict[str, Any]]:
    """Every started supply contract's compliance as of *as_of* (default today), in
    *park* (or every park), tax judged on *year*'s figures (default: *as_of*'s year − 1).

    One dict per contract, sorted by park and contract number: ``contract_no,
    parcel_code, park, holder, enterprise_code, supply_mode, signed_on, started_on,
    completed_on, reported_on`` (the latest report's date) ``, report_kind, stage``
    (``completion`` once accepted, else ``progress``) ``, investment_reported_on, year,
    land_area_m2, land_area_mu, checks, all_met, short``. Each check: ``indicator,
    bound`` (at_least | at_most | within) ``, committed, committed_max, measured, met,
    short_by, over_by, unit``; ``all_met`` is False when any check is missed, True when
    all are met, None otherwise; ``short`` names the missed indicators. With
    *only_short*, only contracts missing at least one commitment.

    Raises :class:`InvalidParameter` for an unknown park (``park``) or a *year* given
    outside 1990–2200 (``year``)."""
    reads.check_park(conn, park)
    as_of = as_of or date.today()
    if year is None:
        year = default_year(as_of)
    elif isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidParameter("year", f"must be a year {FIRST_YEAR}–{LAST_YEAR}, not {year!r}")
    year_end = date(year, 12, 31)
    rows = conn.execute(
        text(sql("service.supervision", "sql/compliance_contracts.sql")),
        {"as_of": as_of, "park": park, "year": year, "year_end": year_end},
    ).mappings()
    out = []
    for r in rows:
        tax_per_mu = None
        if r["signed_on"] <= year_end and r["tax_wan"] is not None:
            tax_per_mu = per_mu(r["tax_wan"], _number(r["held_area_m2"]))
        checks = contract_checks(
            r,
            investment_wan=_number(r["investment_wan"]),
            plot_ratio=_number(r["plot_ratio"]),
            building_coverage=_number(r["building_coverage"]),
            office_share=_number(r["office_share"]),
            tax_per_mu=tax_per_mu,
        )
        verdict = all_met(checks)
        if only_short and verdict is not False:
            continue
        area = float(r["land_area_m2"])
        out.append(
            {
                "contract_no": r["contract_no"],
                "parcel_code": r["parcel_code"],
                "park": r["park"],
                "holder": r["holder"],
                "enterprise_code": r["holder_code"],
                "supply_mode": r["supply_mode"],
                "signed_on": _iso(r["signed_on"]),
                "agreed_start_on": _iso(r["agreed_start_on"]),
                "agreed_completion_on": _iso(r["agreed_completion_on"]),
                "started_on": _iso(r["started_on"]),
                "completed_on": _iso(r["completed_on"]),
                "reported_on": _iso(r["last_reported_on"]),
                "report_kind": r["last_kind"],
                "stage": "completion" if r["completed_on"] is not None else "progress",
                "investment_reported_on": _iso(r["investment_reported_on"]),
                "year": year,
                "land_area_m2": round(area, 2),
                "land_area_mu": round(area * 15 / 10000, 4),
                "checks": checks,
                "all_met": verdict,
                "short": short_indicators(checks),
            }
        )
    return out


def summary(contracts: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over :func:`compliance`'s contracts: ``contracts``, ``all_met``, ``short``
    (missing at least one commitment), ``unmeasured`` (none missed, some not measured
    yet), ``by_stage`` and ``short_by_stage`` (completion | progress -> contracts, and
    those short) and ``short_by_indicator`` (indicator -> contracts missing it)."""
    by_indicator = dict.fromkeys(INDICATORS, 0)
    for c in contracts:
        for indicator in c["short"]:
            by_indicator[indicator] += 1
    return {
        "contracts": len(contracts),
        "all_met": sum(1 for c in contracts if c["all_met"] is True),
        "short": sum(1 for c in contracts if c["all_met"] is False),
        "unmeasured": sum(1 for c in contracts if c["all_met"] is None),
        "by_stage": {
            stage: sum(1 for c in contracts if c["stage"] == stage)
            for stage in ("completion", "progress")
        },
        "short_by_stage": {
            stage: sum(1 for c in contracts if c["stage"] == stage and c["all_met"] is False)
            for stage in ("completion", "progress")
        },
        "short_by_indicator": by_indicator,
    }

"""供而未用 and 用而未尽: supplied land not started by its agreed date, and completed land built
below the plot ratio its contract set.

* ``unstarted`` (供而未用): a standing supply contract signed on or before ``as_of`` whose
  agreed start date (约定动工日期) is before ``as_of`` and that has no start (实际动工) —
  nor completion — reported on or before ``as_of``. It is listed from the day after its
  agreed start; ``days_late`` = days from the agreed start to ``as_of``.
* ``underbuilt`` (用而未尽): a standing contract whose latest completion acceptance
  (竣工验收) on or before ``as_of`` measured a plot ratio (容积率) below the contract's
  minimum; ``short_by`` = minimum − measured.

Whether such land is also idle (闲置, a year on its clock) is the idle-land list's
question (``service.supervision.idle``). Records are the standing versions (what is known
now), read as of ``as_of``. Areas are planar m² in the storage CRS (EPSG:4545), 亩 beside
them (m² × 15 / 10000).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.supervision.compliance import check
from service.db.sqlfiles import sql
from service.reads import queries as reads


def _mu(area_m2: float) -> float:
    return round(area_m2 * 15 / 10000, 4)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def unbuilt(conn: Connection, *, as_of: date, park: str | None = None) -> dict[str, Any]:
    """Supplied land not started and completed land under-built, as of *as_of* (in *park*,
    or every park):

    ``{"as_of", "park", "unstarted": [...], "underbuilt": [...], "totals": {...}}``.

    ``unstarted`` entries: ``contract_no, parcel_code, park, holder, enterprise_code,
    supply_mode, signed_on, agreed_start_on, agreed_completion_on, days_late,
    land_area_m2, land_area_mu, price_wan``, most days late first.

    ``underbuilt`` entries: ``contract_no, parcel_code, park, holder, enterprise_code,
    completed_on, land_area_m2, land_area_mu, plot_ratio_min, plot_ratio_max, plot_ratio,
    short_by``, the largest shortfall first.

    ``totals``: ``unstarted``, ``unstarted_area_m2/_mu``, ``underbuilt``,
    ``underbuilt_area_m2/_mu``.

    Raises :class:`parks.errors.InvalidParameter` (``park``) for an unknown park."""
    reads.check_park(conn, park)
    params = {"as_of": as_of, "park": park}
    unstarted, unstarted_m2 = [], 0.0
    for r in conn.execute(
        text(sql("service.supervision", "sql/unbuilt_unstarted.sql")), params
    ).mappings():
        area = float(r["land_area_m2"])
        unstarted_m2 += area
        unstarted.append(
            {
                "contract_no": r["contract_no"],
                "parcel_code": r["parcel_code"],
                "park": r["park"],
                "holder": r["holder"],
                "enterprise_code": r["enterprise_code"],
                "supply_mode": r["supply_mode"],
                "signed_on": r["signed_on"].isoformat(),
                "agreed_start_on": r["agreed_start_on"].isoformat(),
                "agreed_completion_on": r["agreed_completion_on"].isoformat(),
                "days_late": (as_of - r["agreed_start_on"]).days,
                "land_area_m2": round(area, 2),
                "land_area_mu": _mu(area),
                "price_wan": _number(r["price_wan"]),
            }
        )
    underbuilt, underbuilt_m2 = [], 0.0
    for r in conn.execute(
        text(sql("service.supervision", "sql/unbuilt_underbuilt.sql")), params
    ).mappings():
        area = float(r["land_area_m2"])
        underbuilt_m2 += area
        judged = check(
            "plot_ratio",
            committed=_number(r["plot_ratio_min"]),
            committed_max=_number(r["plot_ratio_max"]),
            measured=_number(r["plot_ratio"]),
        )
        underbuilt.append(
            {
                "contract_no": r["contract_no"],
                "parcel_code": r["parcel_code"],
                "park": r["park"],
                "holder": r["holder"],
                "enterprise_code": r["enterprise_code"],
                "completed_on": r["completed_on"].isoformat(),
                "land_area_m2": round(area, 2),
                "land_area_mu": _mu(area),
                "plot_ratio_min": judged["committed"],
                "plot_ratio_max": judged["committed_max"],
                "plot_ratio": judged["measured"],
                "short_by": judged["short_by"],
            }
        )
    unstarted.sort(key=lambda u: (-u["days_late"], u["contract_no"]))
    return {
        "as_of": as_of.isoformat(),
        "park": park,
        "unstarted": unstarted,
        "underbuilt": underbuilt,
        "totals": {
            "unstarted": len(unstarted),
            "unstarted_area_m2": round(unstarted_m2, 2),
            "unstarted_area_mu": _mu(unstarted_m2),
            "underbuilt": len(underbuilt),
            "underbuilt_area_m2": round(underbuilt_m2, 2),
            "underbuilt_area_mu": _mu(underbuilt_m2),
        },
    }

"""批而未供: land approved for construction (建设用地批次: 农用地转用 / 土地征收) and how much of
it has been supplied.

Per approval batch: the approved area, the area supplied (the batch's land in parcels
that have a standing supply contract signed on or before ``as_of``), the area not yet
supplied (approved − supplied, never below 0), the disposal rate (处置率 = supplied ÷
approved) and whether the approval may lapse (``at_risk``: the batch is more than
``batches.lapse_days`` days old — 730 by default — and has land unsupplied). The same
figures per approval-year cohort, per park and for the whole city.

Records are the standing versions (what is known now); ``as_of`` decides which batches
exist (approved on or before it) and which contracts count (signed on or before it).
Areas are planar m² in the storage CRS (EPSG:4545), 亩 beside them (m² × 15 / 10000).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from service.db.sqlfiles import sql
from service.reads import queries as reads
from service.supervision.settings import settings_in_force


def _mu(area_m2: float) -> float:
    return round(area_m2 * 15 / 10000, 4)


def _rate(supplied_m2: float, approved_m2: float) -> float | None:
    return round(supplied_m2 / approved_m2, 6) if approved_m2 > 0 else None


def _areas(approved_m2: float, supplied_m2: float, unsupplied_m2: float) -> dict[str, Any]:
    return {
        "approved_area_m2": round(approved_m2, 2),
        "approved_area_mu": _mu(approved_m2),
        "supplied_area_m2": round(supplied_m2, 2),
        "supplied_area_mu": _mu(supplied_m2),
        "unsupplied_area_m2": round(unsupplied_m2, 2),
        "unsupplied_area_mu": _mu(unsupplied_m2),
        "disposal_rate": _rate(supplied_m2, approved_m2),
    }


def _summary(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Totals of batch rows (their unrounded areas): counts, areas, the rate of the sums."""
    rows = list(rows)
    approved = sum(r["_approved"] for r in rows)
    supplied = sum(r["_supplied"] for r in rows)
    unsupplied = sum(r["_unsupplied"] for r in rows)
    at_risk = [r for r in rows if r["at_risk"]]
    at_risk_unsupplied = sum(r["_unsupplied"] for r in at_risk)
    return {
        "batches": len(rows),
        **_areas(approved, supplied, unsupplied),
        "at_risk_batches": len(at_risk),
        "at_risk_unsupplied_area_m2": round(at_risk_unsupplied, 2),
        "at_risk_unsupplied_area_mu": _mu(at_risk_unsupplied),
    }


def batches(
    conn: Connection, *, as_of: date, park: str | None = None, at_risk: bool | None = None
) -> dict[str, Any]:
    """The approval batches as of *as_of* (in *park*, or every park):

    ``{"as_of", "park", "lapse_days", "batches": [...], "by_year": [...], "by_park": [...],
    "totals": {...}}``.

    Each batch: ``batch_no, park, name, kind, document_no, approved_on, lapse_on,
    approved_area_m2/_mu, supplied_area_m2/_mu, unsupplied_area_m2/_mu, disposal_rate,
    parcels, parcels_supplied, age_days, at_risk``; ``age_days`` = days from approval to
    *as_of*; ``at_risk`` when ``age_days > batches.lapse_days`` and land is unsupplied;
    ``lapse_on`` is the first day it is at risk if its land stays unsupplied. Sorted by
    approval date. With *at_risk* True (False), only the batches at risk (not at risk)
    are listed; the cohorts, parks and totals always cover every batch asked about.

    ``by_year`` (approval-year cohorts) and ``by_park`` entries carry ``year`` or
    ``park``, ``batches``, the areas in m² and 亩, ``disposal_rate`` (of the sums),
    ``at_risk_batches`` and ``at_risk_unsupplied_area_m2/_mu``; ``totals`` the same for
    the city (or *park*).

    Raises :class:`parks.errors.InvalidParameter` (``park``) for an unknown park."""
    reads.check_park(conn, park)
    lapse_days = int(settings_in_force(conn)["batches.lapse_days"])
    found = conn.execute(
        text(sql("service.supervision", "sql/batches_rows.sql")), {"as_of": as_of, "park": park}
    ).mappings()
    rows: list[dict[str, Any]] = []
    for r in found:
        approved = float(r["approved_area_m2"])
        supplied = float(r["supplied_area_m2"])
        unsupplied = max(approved - supplied, 0.0)
        age_days = (as_of - r["approved_on"]).days
        rows.append(
            {
                "batch_no": r["batch_no"],
                "park": r["park"],
                "name": r["name"],
                "kind": r["kind"],
                "document_no": r["document_no"],
                "approved_on": r["approved_on"].isoformat(),
                "lapse_on": _lapse_on(r["approved_on"], lapse_days),
                **_areas(approved, supplied, unsupplied),
                "parcels": int(r["parcels"]),
                "parcels_supplied": int(r["parcels_supplied"]),
                "age_days": age_days,
                "at_risk": age_days > lapse_days and unsupplied > 0,
                "_approved": approved,
                "_supplied": supplied,
                "_unsupplied": unsupplied,
                "_year": r["approved_on"].year,
            }
        )
    by_year: dict[int, list[dict]] = {}
    by_park: dict[str, list[dict]] = {}
    for row in rows:
        by_year.setdefault(row["_year"], []).append(row)
        by_park.setdefault(row["park"], []).append(row)
    listed = [r for r in rows if at_risk is None or r["at_risk"] is at_risk]
    return {
        "as_of": as_of.isoformat(),
        "park": park,
        "lapse_days": lapse_days,
        "batches": [{k: v for k, v in r.items() if not k.startswith("_")} for r in listed],
        "by_year": [{"year": y, **_summary(by_year[y])} for y in sorted(by_year)],
        "by_park": [{"park": p, **_summary(by_park[p])} for p in sorted(by_park)],
        "totals": _summary(rows),
    }


def _lapse_on(approved_on: date, lapse_days: int) -> str | None:
    """The first day a batch approved on *approved_on* is older than *lapse_days*."""
    try:
        return date.fromordinal(approved_on.toordinal() + lapse_days + 1).isoformat()
    except ValueError:  # past 9999-12-31
        return None

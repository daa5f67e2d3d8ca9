"""The yearly land-supply figure: how much land was supplied in a year — by park, land-use
class and supply mode (grant 出让 / allocate 划拨 / lease 租赁) — and what share of it went
to manufacturing (新增供地优先保障工业园区和制造业项目).

A supply event is the first version of a parcel carrying a given ``supplied_on`` date:
a ``supply`` operation stamps the change set's date, and loaded data brings its own dates.
Later versions of the parcel with the same date (a rezone, a reshape), the parts of a
split (which inherit their parent's date) and the result of merging parcels supplied on
one date (which keeps it) are the same supply and are not counted again. The event's
park, class, mode and area are those of that first version; areas are planar m² in the
storage CRS (EPSG:4545). Manufacturing is the class table's ``is_manufacturing`` flag.
Land without a recorded mode counts as ``unknown``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter
from parks.units import M2_PER_HA, M2_PER_MU
from parks.vocabulary import SUPPLY_MODE_NAMES_ZH
from service.db.sqlfiles import sql
from service.reads import queries as reads

FIRST_YEAR, LAST_YEAR = 1949, 2200


def supply_figures(conn: Connection, *, year: int, park: str | None = None) -> dict[str, Any]:
    """Land supplied in *year* (in *park*, or every park):

    ``{"year", "park", "total", "by_park", "by_class", "by_mode", "rows"}`` where ``total``
    and each ``by_*`` entry carry ``parcels``, ``area_m2``, ``area_mu``, ``area_ha``,
    ``manufacturing_m2``, ``manufacturing_mu`` and ``manufacturing_share`` (of the area;
    null when nothing was supplied), and ``rows`` is the park × class × mode table.
    ``by_park`` lists every park asked about, with zeros where nothing was supplied.

    Raises :class:`InvalidParameter` for a year outside 1949–2200 or an unknown park."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidParameter("year", f"must be a year {FIRST_YEAR}–{LAST_YEAR}, not {year!r}")
    reads.check_park(conn, park)
    where, params = "", {"first_day": date(year, 1, 1), "next_first_day": date(year + 1, 1, 1)}
    if park is not None:
        where = " AND v.park = :park"
        params["park"] = park
    query = sql("service.sql", "planning_supply.sql").replace("{where}", where)
    rows = [dict(r) for r in conn.execute(text(query), params).mappings()]
    parks = (
        conn.execute(text("SELECT code, name_zh, name_en FROM park ORDER BY code")).mappings().all()
    )

    by_park: dict[str, dict] = {
        p["code"]: {"park": p["code"], "name_zh": p["name_zh"], "name_en": p["name_en"]}
        for p in parks
        if park is None or p["code"] == park
    }
    by_class: dict[str, dict] = {}
    by_mode: dict[str, dict] = {}
    for r in rows:
        by_class.setdefault(
            r["land_use_code"],
            {
                "land_use_code": r["land_use_code"],
                "name_zh": r["class_name_zh"],
                "name_en": r["class_name_en"],
                "is_manufacturing": r["is_manufacturing"],
            },
        )
        by_mode.setdefault(
            r["supply_mode"],
            {
                "supply_mode": r["supply_mode"],
                "name_zh": SUPPLY_MODE_NAMES_ZH.get(r["supply_mode"], "未记录"),
            },
        )
    return {
        "year": year,
        "park": park,
        "total": _figures(rows),
        "by_park": [
            {**entry, **_figures([r for r in rows if r["park"] == code])}
            for code, entry in by_park.items()
        ],
        "by_class": [
            {**entry, **_figures([r for r in rows if r["land_use_code"] == code])}
            for code, entry in sorted(by_class.items())
        ],
        "by_mode": [
            {**entry, **_figures([r for r in rows if r["supply_mode"] == mode])}
            for mode, entry in sorted(by_mode.items())
        ],
        "rows": [
            {
                "park": r["park"],
                "land_use_code": r["land_use_code"],
                "supply_mode": r["supply_mode"],
                "is_manufacturing": r["is_manufacturing"],
                "parcels": int(r["parcels"]),
                "area_m2": round(float(r["area_m2"]), 2),
                "area_mu": round(float(r["area_m2"]) / M2_PER_MU, 4),
            }
            for r in rows
        ],
    }


def _figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    area = sum(float(r["area_m2"]) for r in rows)
    manufacturing = sum(float(r["area_m2"]) for r in rows if r["is_manufacturing"])
    return {
        "parcels": sum(int(r["parcels"]) for r in rows),
        "area_m2": round(area, 2),
        "area_mu": round(area / M2_PER_MU, 4),
        "area_ha": round(area / M2_PER_HA, 4),
        "manufacturing_m2": round(manufacturing, 2),
        "manufacturing_mu": round(manufacturing / M2_PER_MU, 4),
        "manufacturing_share": round(manufacturing / area, 4) if area > 0 else None,
    }

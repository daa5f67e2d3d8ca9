"""Test data for the 亩均效益 evaluation, built on a copy of the loaded sample, and an
independent account of the formulas (plain Python, a few lines) to check answers against.

Everything is written the way the service writes it: parcels by change sets
(``apply_change_set``), supervision records by ``put_versions`` in their own change sets;
a standard factory building and its lease as the loader would store them (plain rows,
as the schema's owner).
"""

from __future__ import annotations

import math
from typing import Any

from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, Engine, create_engine, text
from support_changes import free_box
from support_roles import owner_url

from parks.operations import ChangeSetRequest
from service.changes.apply import apply_change_set
from service.changes.session import open_change_set
from service.db.versioned_records import put_versions

STORAGE_EPSG = 4545
M2_PER_MU = 10000.0 / 15.0
#: The year the tests evaluate: its 31 December is after the sample was loaded, so the
#: parcels as loaded (and as registered by the tests) stand at its end.
YEAR = 2026
WEIGHTS = {
    "tax_per_mu": 45,
    "revenue_per_mu": 20,
    "added_value_per_tce": 15,
    "rd_intensity": 15,
    "labour_productivity": 5,
}
INDICATORS = tuple(WEIGHTS)


def put(engine: Engine, table: str, rows: list[dict[str, Any]], *, kind: str = "supervision"):
    """Write *rows* as the standing versions of *table* in a change set of *kind*."""
    with engine.begin() as conn:
        cs = open_change_set(conn, kind=kind, reason="evaluation test", actor="evaluation-test")
        put_versions(conn, change_set_id=cs.id, table=table, rows=rows)


def enterprise(code: str, name: str) -> dict[str, Any]:
    return {"enterprise_code": code, "name": name, "industry": "测试"}


def figures(code: str, year: int = YEAR, **values: Any) -> dict[str, Any]:
    """A figures row; every figure not given is NULL (revenue 0 unless given)."""
    row = {
        "enterprise_code": code,
        "year": year,
        "tax_wan": 0,
        "revenue_wan": 0,
        "added_value_wan": None,
        "energy_tce": None,
        "rd_wan": None,
        "employees": None,
    }
    row.update(values)
    return row


def rectangle_parcel(
    engine: Engine, *, code: str, park: str, width_m: int, height_m: int, holder: str
):
    """Register a new industrial parcel of width × height whole metres (its area exact)
    in free land of *park* and supply it to *holder*; returns its geometry (EPSG:4545)."""
    with engine.connect() as conn:
        square = free_box(conn, park, size_m=float(max(width_m, height_m) + 4))
    x0, y0 = math.ceil(square.bounds[0]) + 1, math.ceil(square.bounds[1]) + 1
    geom = box(x0, y0, x0 + width_m, y0 + height_m)
    body = {
        "kind": "register",
        "reason": "evaluation test parcel",
        "operations": [
            {
                "op": "register",
                "parcel_code": code,
                "park": park,
                "land_use_code": "0601",
                "status": "supplied",
                "holder": holder,
                "crs": f"EPSG:{STORAGE_EPSG}",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[list(c) for c in geom.exterior.coords]],
                },
            }
        ],
    }
    apply_change_set(
        engine,
        ChangeSetRequest.model_validate(body),
        actor="evaluation-test",
        storage_srid=STORAGE_EPSG,
    )
    return geom


def building_with_lease(
    url: str,
    *,
    building_code: str,
    park: str,
    parcel_code: str,
    footprint,
    floor_area_m2: float,
    lease_id: str,
    tenant: str,
    leased_m2: float,
    start_date: str = f"{YEAR}-01-01",
    end_date: str | None = None,
) -> None:
    """Store a standard factory building on *parcel_code* and a lease of its floor (as
    the loader stores them: plain rows, written as the schema's owner)."""
    engine = create_engine(owner_url(url), pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO factory_building (building_code, park, parcel_code, name, "
                    "storeys, floor_area_m2, footprint) VALUES (:b, :park, :parcel, :b, 2, "
                    ":floor, ST_GeomFromText(:wkt, 4545))"
                ),
                {
                    "b": building_code,
                    "park": park,
                    "parcel": parcel_code,
                    "floor": floor_area_m2,
                    "wkt": MultiPolygon([footprint]).wkt,
                },
            )
            conn.execute(
                text(
                    "INSERT INTO lease (lease_id, building_code, tenant, floor, leased_m2, "
                    "start_date, end_date) VALUES (:l, :b, :t, 1, :m2, :s, :e)"
                ),
                {
                    "l": lease_id,
                    "b": building_code,
                    "t": tenant,
                    "m2": leased_m2,
                    "s": start_date,
                    "e": end_date,
                },
            )
    finally:
        engine.dispose()


def holders(conn: Connection, *, park: str | None = None, limit: int = 10) -> list[dict]:
    """Sample holders that hold parcels (in *park*, when given) and lease no floor, with
    their parcels and land (m², 亩) as the parcels stand now — read with our own SQL — and
    the code of the enterprise standing under that name (None: none does)."""
    rows = conn.execute(
        text(
            "SELECT v.holder, array_agg(v.parcel_code ORDER BY v.parcel_code) AS parcels, "
            "sum(v.area_m2) AS land_m2, min(v.park) AS park, "
            "(SELECT min(e.enterprise_code) FROM enterprise e "
            " WHERE e.valid_to IS NULL AND e.name = v.holder) AS code "
            "FROM parcel_version v WHERE v.valid_to IS NULL AND v.holder IS NOT NULL "
            "AND v.holder NOT IN (SELECT tenant FROM lease) "
            "GROUP BY v.holder HAVING count(DISTINCT v.park) = 1 "
            "AND (CAST(:park AS text) IS NULL OR min(v.park) = CAST(:park AS text)) "
            "ORDER BY v.holder LIMIT :limit"
        ),
        {"park": park, "limit": limit},
    ).all()
    return [
        {
            "name": r.holder,
            "code": r.code,
            "parcels": list(r.parcels),
            "land_m2": r.land_m2,
            "land_mu": r.land_m2 / M2_PER_MU,
            "park": r.park,
        }
        for r in rows
    ]


def with_codes(engine: Engine, chosen: list[dict], *, prefix: str) -> list[str]:
    """The enterprise code of each holder in *chosen*: the standing enterprise's under its
    name, or a new enterprise ``<prefix><i>`` made for it (set in each dict as "code")."""
    missing = [(i, h) for i, h in enumerate(chosen) if h["code"] is None]
    if missing:
        put(engine, "enterprise", [enterprise(f"{prefix}{i}", h["name"]) for i, h in missing])
        for i, h in missing:
            h["code"] = f"{prefix}{i}"
    return [h["code"] for h in chosen]


def parcels_without_contract(conn: Connection, *, avoid: list[str], limit: int) -> list[dict]:
    """Standing parcels no standing supply contract is for, none of *avoid*: code, park,
    holder, area (m²)."""
    return [
        dict(r._mapping)
        for r in conn.execute(
            text(
                "SELECT v.parcel_code, v.park, v.holder, v.area_m2 FROM parcel_version v "
                "WHERE v.valid_to IS NULL AND NOT (v.parcel_code = ANY(:avoid)) "
                "AND NOT EXISTS (SELECT 1 FROM supply_contract c WHERE c.valid_to IS NULL "
                "AND c.parcel_code = v.parcel_code) ORDER BY v.parcel_code LIMIT :limit"
            ),
            {"avoid": avoid, "limit": limit},
        )
    ]


# --- the formulas, again, by hand --------------------------------------------------------------


def points_by_hand(values: list[float | None]) -> list[float]:
    """20 + 80 × (x − min) / (max − min); 20 for None; 100 each when all are equal."""
    known = [v for v in values if v is not None]
    if not known:
        return [20.0] * len(values)
    low, high = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(20.0)
        elif high == low:
            out.append(100.0)
        else:
            out.append(20.0 + 80.0 * (v - low) / (high - low))
    return out


def scores_by_hand(
    indicators: list[dict[str, float | None]], weights: dict[str, float] = WEIGHTS
) -> list[float]:
    """Each enterprise's Σ weight × points / 100 (its indicators within one group)."""
    points = {n: points_by_hand([i[n] for i in indicators]) for n in INDICATORS}
    return [
        sum(weights[n] * points[n][k] for n in INDICATORS) / 100.0 for k in range(len(indicators))
    ]


# --- a small city to evaluate ---------------------------------------------------------------

#: The year the e2e tests evaluate: no sample figures are for it, and its end is after the
#: sample was loaded.
E2E_YEAR = 2030
LESSOR, TENANT = "评价测试厂房建设有限公司", "评价测试租户科技有限公司"


def contract_row(no: str, parcel: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A supply contract of *parcel* (parcel_code, park, holder, area_m2) with plausible
    commitments; *values* override."""
    from datetime import date

    row = {
        "contract_no": no,
        "parcel_code": parcel["parcel_code"],
        "park": parcel["park"],
        "holder": parcel["holder"] or "某公司",
        "enterprise_code": None,
        "batch_no": None,
        "signed_on": date(2026, 1, 10),
        "supply_mode": "grant",
        "price_wan": 1000,
        "land_area_m2": parcel["area_m2"],
        "agreed_start_on": date(2026, 6, 1),
        "agreed_completion_on": date(2028, 6, 1),
        "committed_investment_wan": 5000,
        "plot_ratio_min": 1.2,
        "plot_ratio_max": 2.5,
        "building_coverage_min": 0.3,
        "office_share_max": 0.07,
        "committed_tax_wan_per_mu_year": None,
        "document_no": "测试〔2030〕1号",
    }
    row.update(values)
    return row


def progress_row(no: str, on, kind: str, **values: Any) -> dict[str, Any]:
    """A site-progress report; figures not given are NULL."""
    row = {
        "contract_no": no,
        "reported_on": on,
        "kind": kind,
        "developed_area_m2": None,
        "investment_wan": None,
        "plot_ratio": None,
        "building_coverage": None,
        "office_share": None,
        "note": None,
    }
    row.update(values)
    return row


def build_city(url: str) -> dict[str, Any]:
    """On the sample at *url*: a lessor's 3,000 m² parcel with a 6,000 m² building, 1,200 m²
    of it leased to a tenant (land share 600 m² = 0.9 亩); four sample holders with figures
    for :data:`E2E_YEAR` (tax 40, 30, 20, 10 万元 and revenue 400 万元 per 亩, added value
    5 万元 per tce and 10 万元 per employee alike, no R&D figure: ranked by their tax) and
    one of them for the year before too; the grade shares set to 25 each; an
    enterprise with figures and no land; a contract completed below its minimum plot
    ratio on another parcel. Returns what was built, for the tests to expect."""
    from datetime import date

    from service.db.engine import make_engine

    year = E2E_YEAR
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        footprint = rectangle_parcel(
            engine, code="EV-0001", park="gaoxin", width_m=50, height_m=60, holder=LESSOR
        )
        building_with_lease(
            url,
            building_code="EV-B001",
            park="gaoxin",
            parcel_code="EV-0001",
            footprint=footprint,
            floor_area_m2=6000,
            lease_id="EV-L001",
            tenant=TENANT,
            leased_m2=1200,
            start_date="2026-01-01",
        )
        with engine.connect() as conn:
            chosen = holders(conn, limit=4)
            taken = [c for h in chosen for c in h["parcels"]] + ["EV-0001"]
            (underbuilt,) = parcels_without_contract(conn, avoid=taken, limit=1)
        codes = with_codes(engine, chosen, prefix="EV-L")
        put(
            engine,
            "enterprise",
            [
                enterprise("EV-LESSOR", LESSOR),
                enterprise("EV-T", TENANT),
                enterprise("EV-NOLAND", "评价测试无地公司"),
            ],
        )
        rows = [
            figures(
                codes[i],
                year,
                tax_wan=round((40 - 10 * i) * h["land_mu"], 2),
                revenue_wan=round(400 * h["land_mu"], 2),
                employees=50,
                added_value_wan=500,
                energy_tce=100,
            )
            for i, h in enumerate(chosen)
        ]
        rows += [
            figures(codes[0], year - 1, tax_wan=100, revenue_wan=1000),
            figures("EV-LESSOR", year, tax_wan=90, revenue_wan=900),
            figures("EV-T", year, tax_wan=18, revenue_wan=180, rd_wan=9),
            figures("EV-NOLAND", year, tax_wan=5, revenue_wan=50),
        ]
        put(engine, "enterprise_figures", rows, kind="figures")
        put(
            engine,
            "supervision_setting",
            [{"name": "evaluation.grade_shares", "value": {"A": 25, "B": 25, "C": 25, "D": 25}}],
            kind="supervision_setting",
        )
        put(engine, "supply_contract", [contract_row("EV-C1", underbuilt)])
        put(
            engine,
            "site_progress",
            [
                progress_row("EV-C1", date(2026, 5, 20), "start", developed_area_m2=100),
                progress_row("EV-C1", date(year, 5, 20), "completion", plot_ratio=0.8),
            ],
        )
    finally:
        engine.dispose()
    return {"year": year, "holders": chosen, "codes": codes, "underbuilt": underbuilt}

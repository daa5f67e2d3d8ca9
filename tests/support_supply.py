"""Building land-supervision records for the tests of 批而未供, 供而未用 and 履约: whole records
with plain defaults (every column given, so a record written twice is the same record),
written with ``put_versions`` in one change set, on a copy of the loaded sample.

Parcel codes are real sample parcels that the sample's own supervision records leave
alone (:func:`prepare`); contract, batch and enterprise codes are the tests' own, so a
test reads its records out of the answers (and compares totals before and after it
wrote them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from service.changes.session import open_change_set
from service.db.engine import make_engine
from service.db.versioned_records import put_versions

#: 亩 per m² (1 亩 = 10000/15 m² exactly).
MU_PER_M2 = 15 / 10000
#: The m² of *n* 亩.
M2_PER_MU = 10000 / 15

#: The order tables are written in (whatever a test gives).
TABLE_ORDER = (
    "enterprise",
    "approval_batch",
    "approval_batch_parcel",
    "supply_contract",
    "site_progress",
    "idle_delay",
    "enterprise_figures",
    "supervision_setting",
)


@dataclass(frozen=True)
class FreeParcels:
    """Sample parcels (codes, by code) that no standing supply contract or approval batch
    of the sample names: land the test's own records are all there is about."""

    jiangtan: list[str]
    gaoxin: list[str]


def prepare(url: str, *, jiangtan: int = 8, gaoxin: int = 4) -> FreeParcels:
    """The first *jiangtan* and *gaoxin* parcels of those parks in the copy at *url* that
    no standing supply contract or approval batch names (the sample carries its own
    supervision records; the tests' records go on other land and are told apart by
    their own contract and batch numbers)."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT v.park, v.parcel_code FROM parcel_version v "
                    "WHERE v.valid_to IS NULL AND v.park IN ('jiangtan', 'gaoxin') "
                    "AND NOT EXISTS (SELECT 1 FROM supply_contract c WHERE c.valid_to IS NULL "
                    "                AND c.parcel_code = v.parcel_code) "
                    "AND NOT EXISTS (SELECT 1 FROM approval_batch_parcel b "
                    "                WHERE b.valid_to IS NULL AND b.parcel_code = v.parcel_code) "
                    "ORDER BY v.parcel_code"
                )
            ).all()
    finally:
        engine.dispose()
    free = FreeParcels(
        jiangtan=[r.parcel_code for r in rows if r.park == "jiangtan"][:jiangtan],
        gaoxin=[r.parcel_code for r in rows if r.park == "gaoxin"][:gaoxin],
    )
    assert len(free.jiangtan) == jiangtan and len(free.gaoxin) == gaoxin, free
    return free


def put(url: str, **tables: list[dict[str, Any]]) -> int:
    """Write *tables* (name -> records) as the standing versions, in one change set of kind
    ``supervision`` (``figures`` when only figures are given, ``supervision_setting`` when
    only settings); its id."""
    only = {"enterprise_figures": "figures", "supervision_setting": "supervision_setting"}
    kind = only.get(next(iter(tables)), "supervision") if len(tables) == 1 else "supervision"
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            cs = open_change_set(conn, kind=kind, reason="supply test", actor="supply-test")
            for table in TABLE_ORDER:
                if tables.get(table):
                    put_versions(conn, change_set_id=cs.id, table=table, rows=tables[table])
    finally:
        engine.dispose()
    return cs.id


def setting(name: str, value: Any) -> dict[str, Any]:
    return {"name": name, "value": value}


def batch(
    batch_no: str,
    *,
    park: str = "jiangtan",
    approved_on: date,
    approved_area_m2: float,
    kind: str = "conversion_expropriation",
) -> dict[str, Any]:
    return {
        "batch_no": batch_no,
        "park": park,
        "name": f"批次 {batch_no}",
        "kind": kind,
        "approved_on": approved_on,
        "approved_area_m2": approved_area_m2,
        "document_no": f"陕政土批〔{approved_on.year}〕{batch_no}号",
    }


def batch_parcel(batch_no: str, parcel_code: str, area_m2: float) -> dict[str, Any]:
    return {"batch_no": batch_no, "parcel_code": parcel_code, "area_m2": area_m2}


def contract(
    contract_no: str,
    parcel_code: str,
    *,
    park: str = "jiangtan",
    holder: str = "宝鸡测试制造有限公司",
    enterprise_code: str | None = None,
    signed_on: date = date(2022, 3, 1),
    agreed_start_on: date | None = None,
    agreed_completion_on: date | None = None,
    land_area_m2: float = 10 * M2_PER_MU,
    committed_investment_wan: float = 4000,
    price_wan: float = 500,
    plot_ratio_min: float | None = 1.0,
    plot_ratio_max: float | None = 2.5,
    building_coverage_min: float | None = 0.3,
    office_share_max: float = 0.07,
    committed_tax_wan_per_mu_year: float | None = None,
    batch_no: str | None = None,
) -> dict[str, Any]:
    """A grant contract: agreed start half a year after signing, completion two years after
    the start, unless given."""
    agreed_start_on = agreed_start_on or signed_on + timedelta(days=184)
    agreed_completion_on = agreed_completion_on or agreed_start_on + timedelta(days=730)
    return {
        "contract_no": contract_no,
        "parcel_code": parcel_code,
        "park": park,
        "holder": holder,
        "enterprise_code": enterprise_code,
        "batch_no": batch_no,
        "signed_on": signed_on,
        "supply_mode": "grant",
        "price_wan": price_wan,
        "land_area_m2": land_area_m2,
        "agreed_start_on": agreed_start_on,
        "agreed_completion_on": agreed_completion_on,
        "committed_investment_wan": committed_investment_wan,
        "plot_ratio_min": plot_ratio_min,
        "plot_ratio_max": plot_ratio_max,
        "building_coverage_min": building_coverage_min,
        "office_share_max": office_share_max,
        "committed_tax_wan_per_mu_year": committed_tax_wan_per_mu_year,
        "document_no": f"出让合同 {contract_no}",
    }


def progress(
    contract_no: str,
    reported_on: date,
    kind: str,
    *,
    developed_area_m2: float | None = None,
    investment_wan: float | None = None,
    plot_ratio: float | None = None,
    building_coverage: float | None = None,
    office_share: float | None = None,
) -> dict[str, Any]:
    return {
        "contract_no": contract_no,
        "reported_on": reported_on,
        "kind": kind,
        "developed_area_m2": developed_area_m2,
        "investment_wan": investment_wan,
        "plot_ratio": plot_ratio,
        "building_coverage": building_coverage,
        "office_share": office_share,
        "note": None,
    }


def enterprise(code: str, name: str) -> dict[str, Any]:
    return {"enterprise_code": code, "name": name, "industry": "传感器"}


def figures(code: str, year: int, *, tax_wan: float, revenue_wan: float = 10000) -> dict[str, Any]:
    return {
        "enterprise_code": code,
        "year": year,
        "tax_wan": tax_wan,
        "revenue_wan": revenue_wan,
        "added_value_wan": None,
        "energy_tce": None,
        "rd_wan": None,
        "employees": None,
    }

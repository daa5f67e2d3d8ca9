"""Reading supply contracts back: the standing ones (of a park, of a parcel), and one
contract with its progress on the ground, its government-caused delays and every version
it had.

Areas are planar m² in the storage CRS (EPSG:4545) with 亩 beside them
(``parks.units.m2_to_mu``: 1 亩 = 10000/15 m²); money in 万元; investment intensity
(投资强度) in 万元 per 亩 of the contract's land; shares as fractions 0..1; dates ISO
``YYYY-MM-DD``; times ISO 8601 with their zone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.units import m2_to_mu
from service.db.sqlfiles import sql

_PACKAGE = "service.supervision"


def plain(value: Any) -> Any:
    """A database value as JSON takes it: numerics as floats, dates and times ISO."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _contract(row: Any) -> dict[str, Any]:
    out = {key: plain(value) for key, value in row.items()}
    out["land_area_mu"] = m2_to_mu(float(row["land_area_m2"]))
    return out


def _rows(conn: Connection, name: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql(_PACKAGE, name)), params).mappings()]


def contracts(
    conn: Connection, *, park: str | None = None, parcel: str | None = None
) -> list[dict[str, Any]]:
    """The standing supply contracts (of *park*, of *parcel*), by park and number: each
    with its terms, ``land_area_mu`` and ``investment_intensity_wan_per_mu``, when its
    standing version was made (``valid_from``) and by which change set."""
    rows = _rows(conn, "sql/records_contracts.sql", park=park, parcel=parcel, contract_no=None)
    return [_contract(r) for r in rows]


def standing_contract(conn: Connection, contract_no: str) -> dict[str, Any] | None:
    """The standing version of contract *contract_no* as stored (dates as dates), or
    None."""
    rows = _rows(conn, "sql/records_contracts.sql", park=None, parcel=None, contract_no=contract_no)
    return rows[0] if rows else None


def progress_of(conn: Connection, contract_no: str) -> list[dict[str, Any]]:
    """The standing progress reports of *contract_no*, in the order they happened."""
    return [
        {k: plain(v) for k, v in r.items()}
        for r in _rows(conn, "sql/records_progress.sql", contract_no=contract_no)
    ]


def delays_of(conn: Connection, contract_no: str) -> list[dict[str, Any]]:
    """The standing government-caused delays of *contract_no*, oldest first."""
    return [
        {k: plain(v) for k, v in r.items()}
        for r in _rows(conn, "sql/records_delays.sql", contract_no=contract_no)
    ]


def contract_detail(conn: Connection, contract_no: str) -> dict[str, Any]:
    """Contract *contract_no*: ``contract`` (its standing version, as :func:`contracts`
    gives it), ``progress`` and ``delays`` (standing), and ``history``: every version it
    had, oldest first, each with its terms, ``valid_from``, ``valid_to`` (null: standing),
    ``change_set_id``, ``ended_by_change_set_id``, ``actor`` and ``reason``.
    :class:`NotFound` when no contract of that number stands."""
    standing = standing_contract(conn, contract_no)
    if standing is None:
        raise NotFound(f"contract_no: no supply contract {contract_no} stands")
    history = _rows(conn, "sql/records_contract_history.sql", contract_no=contract_no)
    return {
        "contract": _contract(standing),
        "progress": progress_of(conn, contract_no),
        "delays": delays_of(conn, contract_no),
        "history": [_contract(v) for v in history],
    }


def batch_detail(conn: Connection, batch_no: str) -> dict[str, Any] | None:
    """The standing approval batch *batch_no* with its standing ``parcels`` (each
    ``parcel_code``, ``area_m2``), areas in m² and 亩, or None."""
    row = (
        conn.execute(text(sql(_PACKAGE, "sql/records_batch.sql")), {"batch_no": batch_no})
        .mappings()
        .first()
    )
    if row is None:
        return None
    out = {k: plain(v) for k, v in row.items()}
    out["approved_area_mu"] = m2_to_mu(float(row["approved_area_m2"]))
    out["parcels"] = [
        {
            "parcel_code": p["parcel_code"],
            "area_m2": float(p["area_m2"]),
            "area_mu": m2_to_mu(float(p["area_m2"])),
        }
        for p in row["parcels"]
    ]
    return out

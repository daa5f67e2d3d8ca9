"""Audit reads: land totals as of any moment, the ledger, refusals, a parcel's history."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from parks.errors import InvalidParameter, NotFound
from parks.units import M2_PER_HA, M2_PER_MU
from service.db.sqlfiles import sql

#: group_by value -> the columns it groups on (output key, SQL expression).
GROUP_KEYS: dict[str, list[tuple[str, str]]] = {
    "park": [("park", "v.park")],
    "land_use": [("land_use_code", "v.land_use_code")],
    "status": [("status", "v.status")],
}


def parse_moment(
    value: str | None, *, parameter: str, zone: str = "UTC", end_of_day: bool = False
) -> datetime | None:
    """An ISO 8601 date or time; a date means its start (or its end with *end_of_day*);
    a date or time without a zone is in *zone* (the city's). None stays None."""
    if value is None or value == "":
        return None
    text_value = value.strip()
    try:
        try:  # a date alone, extended (2025-12-31) or basic (20251231) format
            day = date.fromisoformat(text_value)
        except ValueError:
            moment = datetime.fromisoformat(text_value.replace("Z", "+00:00"))
        else:
            moment = datetime.combine(day, time.max if end_of_day else time.min)
    except ValueError:
        raise InvalidParameter(
            parameter, f"not an ISO 8601 date or time: {value!r} (e.g. 2025-12-31T23:59:59+08:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def parse_group_by(value: str | None) -> list[str]:
    """``park``, ``land_use``, ``status`` or a comma list of them (default ``park``)."""
    parts = [p.strip() for p in (value or "park").split(",") if p.strip()]
    unknown = [p for p in parts if p not in GROUP_KEYS]
    if not parts or unknown or len(set(parts)) != len(parts):
        raise InvalidParameter(
            "group_by", f"{value!r}: use park, land_use, status or a comma list of them"
        )
    return parts


def totals_as_of(conn: Connection, *, as_of: datetime, group_by: list[str]) -> dict[str, Any]:
    """The land that stood at *as_of*, grouped, with the city's totals — not from the
    ledger but from each committed change set's effect on the parcel versions (what it
    made minus what it ended, per park, class and status), which the database keeps at
    every commit with snapshots of their sum, so the answer costs the same whatever the
    length of the history (``service/db/sql/effects.sql``; ``verify`` re-derives both from
    the versions). Manufacturing land is counted by each class's flag in force at *as_of*
    (the flag history, ``land_use_class_flag``)."""
    keys = [k for g in group_by for k in GROUP_KEYS[g]]
    select_keys = "".join(f"{expr} AS {name}, " for name, expr in keys)
    names = ", ".join(name for name, _ in keys)
    query = (
        sql("service.sql", "audit_totals.sql")
        .replace("{select_keys}", select_keys)
        .replace("{group_by}", f"GROUP BY {names}")
        .replace("{order_by}", f"ORDER BY {names}")
    )
    rows = []
    city = {"parcels": 0, "area_m2": 0.0, "manufacturing_m2": 0.0}
    class_names = {}
    if "land_use" in group_by:
        class_names = {
            r.code: (r.name_zh, r.name_en)
            for r in conn.execute(text("SELECT code, name_zh, name_en FROM land_use_class"))
        }
    for r in conn.execute(text(query), {"as_of": as_of}).mappings():
        row = {name: r[name] for name, _ in keys}
        if "land_use_code" in row:
            row["land_use_name"], row["land_use_name_en"] = class_names.get(
                row["land_use_code"], (None, None)
            )
        row.update(_areas(r["parcels"], r["area_m2"], r["manufacturing_m2"]))
        rows.append(row)
        city["parcels"] += r["parcels"]
        city["area_m2"] += r["area_m2"]
        city["manufacturing_m2"] += r["manufacturing_m2"]
    # Moments up to the last committed ledger row are final; a later one may still gain
    # the versions of a change set being written now (stamped when it opened).
    ledger = conn.execute(
        text(
            "SELECT (SELECT seq FROM ledger WHERE at <= :as_of ORDER BY seq DESC LIMIT 1), "
            "(SELECT max(at) FROM ledger)"
        ),
        {"as_of": as_of},
    ).one()
    return {
        "as_of": as_of.isoformat(),
        "group_by": ",".join(group_by),
        "ledger_seq": ledger[0],
        "final": ledger[1] is not None and as_of <= ledger[1],
        "rows": rows,
        "city": {
            "parcels": city["parcels"],
            "area_m2": round(city["area_m2"], 4),
            "area_mu": round(city["area_m2"] / M2_PER_MU, 4),
            "area_ha": round(city["area_m2"] / M2_PER_HA, 4),
            "manufacturing_m2": round(city["manufacturing_m2"], 4),
            "manufacturing_mu": round(city["manufacturing_m2"] / M2_PER_MU, 4),
        },
    }


def _areas(parcels: int, area_m2: float, manufacturing_m2: float) -> dict[str, Any]:
    return {
        "parcels": parcels,
        "area_m2": round(area_m2, 4),
        "area_mu": round(area_m2 / M2_PER_MU, 4),
        "area_ha": round(area_m2 / M2_PER_HA, 4),
        "manufacturing_m2": round(manufacturing_m2, 4),
        "manufacturing_mu": round(manufacturing_m2 / M2_PER_MU, 4),
    }


def ledger_rows(
    conn: Connection,
    *,
    from_at: datetime | None = None,
    to_at: datetime | None = None,
    park: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Ledger rows in a window (optionally only those that moved *park*), with the count."""
    params = {"from_at": from_at, "to_at": to_at, "park": park}
    total = conn.execute(text(sql("service.sql", "audit_ledger_count.sql")), params).scalar()
    rows = conn.execute(
        text(sql("service.sql", "audit_ledger.sql")), {**params, "limit": limit, "offset": offset}
    ).mappings()
    return {"rows": [ledger_row_body(dict(r)) for r in rows], "total": total}


def ledger_row_body(r: dict[str, Any]) -> dict[str, Any]:
    """A ledger row as the API shows it."""
    return {
        "seq": r["seq"],
        "at": r["at"].isoformat(),
        "actor": r["actor"],
        "change_set_id": r["change_set_id"],
        "kind": r["kind"],
        "document_no": r["document_no"],
        "delta_city_m2": round(r["delta_city_m2"], 4),
        "total_city_m2": round(r["total_city_m2"], 4),
        "total_city_mu": round(r["total_city_m2"] / M2_PER_MU, 4),
        "high_water_city_m2": round(r["high_water_city_m2"], 4),
        "delta_parks_m2": {k: round(float(v), 4) for k, v in sorted(r["delta_parks"].items())},
        "total_parks_m2": {k: round(float(v), 4) for k, v in sorted(r["total_parks"].items())},
        "prev_hash": r["prev_hash"],
        "hash": r["hash"],
    }


def manufacturing_series(conn: Connection) -> list[dict[str, Any]]:
    """The manufacturing total after every ledger row (city and per park), oldest first."""
    rows = conn.execute(
        text("SELECT seq, at, kind, total_city_m2, total_parks FROM ledger ORDER BY seq")
    ).mappings()
    return [
        {
            "seq": r["seq"],
            "at": r["at"],
            "kind": r["kind"],
            "city_m2": r["total_city_m2"],
            "parks_m2": {k: float(v) for k, v in r["total_parks"].items()},
        }
        for r in rows
    ]


#: What a reader without the auditor or admin role sees instead of a refusal's actor and
#: message (the audit page; the refusals API needs the role).
WITHHELD = "仅审计员可见 auditors only"
#: The columns of a refusal anyone may see: when, what kind, which error, by how much.
PUBLIC_REFUSAL_KEYS = ("id", "at", "kind", "error", "scope", "shortfall_m2", "shortfall_mu")


def refusals(
    conn: Connection,
    *,
    limit: int = 100,
    offset: int = 0,
    error: str | None = None,
    details: bool = True,
) -> dict[str, Any]:
    """Refused and invalid change sets, newest first: with *details*, everything logged
    (actor, document number, reason, message and the capped body with its length and
    SHA-256); without, only :data:`PUBLIC_REFUSAL_KEYS`, the actor and message
    :data:`WITHHELD`."""
    where = "WHERE error = :error" if error else ""
    params = {"error": error, "limit": limit, "offset": offset}
    total = conn.execute(text(f"SELECT count(*) FROM refusal {where}"), params).scalar()
    rows = conn.execute(
        text(
            "SELECT id, at, actor, kind, document_no, reason, error, scope, shortfall_m2, "
            "detail, body, body_bytes, body_sha256, body_truncated "
            f"FROM refusal {where} ORDER BY at DESC, id DESC LIMIT :limit OFFSET :offset"
        ),
        params,
    ).mappings()
    out = [_refusal_body(dict(r)) for r in rows]
    if not details:
        out = [_public_refusal(item) for item in out]
    return {"rows": out, "total": total}


def _refusal_body(r: dict[str, Any]) -> dict[str, Any]:
    return {
        **r,
        "at": r["at"].isoformat(),
        "shortfall_mu": (
            round(r["shortfall_m2"] / M2_PER_MU, 6) if r["shortfall_m2"] is not None else None
        ),
        "message": (r["detail"] or {}).get("message"),
    }


def _public_refusal(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **{key: item[key] for key in PUBLIC_REFUSAL_KEYS},
        "actor": WITHHELD,
        "message": WITHHELD,
    }


def parcel_history(conn: Connection, code: str) -> dict[str, Any]:
    """Every version of a parcel with its validity period, and its lineage."""
    versions = (
        conn.execute(text(sql("service.sql", "parcel_history.sql")), {"code": code})
        .mappings()
        .all()
    )
    if not versions:
        raise NotFound(f"parcel_code: no parcel {code!r} has ever been recorded")
    parents = conn.execute(
        text(
            "SELECT parent_code, kind, change_set_id FROM parcel_lineage WHERE child_code = :c "
            "ORDER BY parent_code"
        ),
        {"c": code},
    ).mappings()
    children = conn.execute(
        text(
            "SELECT child_code, kind, change_set_id FROM parcel_lineage WHERE parent_code = :c "
            "ORDER BY child_code"
        ),
        {"c": code},
    ).mappings()
    return {
        "parcel_code": code,
        "current": versions[-1]["valid_to"] is None,
        "versions": [_version_body(dict(v)) for v in versions],
        "lineage": {
            "from": [
                {
                    "parcel_code": p["parent_code"],
                    "kind": p["kind"],
                    "change_set_id": p["change_set_id"],
                }
                for p in parents
            ],
            "became": [
                {
                    "parcel_code": c["child_code"],
                    "kind": c["kind"],
                    "change_set_id": c["change_set_id"],
                }
                for c in children
            ],
        },
    }


def _version_body(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "version_id": v["version_id"],
        "valid_from": v["valid_from"].isoformat(),
        "valid_to": v["valid_to"].isoformat() if v["valid_to"] else None,
        "park": v["park"],
        "land_use_code": v["land_use_code"],
        "land_use_name": v["land_use_name"],
        "land_use_name_en": v["land_use_name_en"],
        "is_manufacturing": v["is_manufacturing"],
        "status": v["status"],
        "holder": v["holder"],
        "supply_mode": v["supply_mode"],
        "supplied_on": v["supplied_on"].isoformat() if v["supplied_on"] else None,
        "area_m2": round(v["area_m2"], 4),
        "area_mu": round(v["area_m2"] / M2_PER_MU, 4),
        "change_set": {
            "id": v["change_set_id"],
            "kind": v["made_by_kind"],
            "document_no": v["made_by_document_no"],
            "actor": v["made_by_actor"],
            # from a proposal: who proposed it and who approved it (the actor)
            "proposal_id": v["made_by_proposal_id"],
            "proposed_by": v["made_by_proposed_by"],
            "approved_by": v["made_by_actor"] if v["made_by_proposal_id"] else None,
        },
        "ended_by_change_set": (
            {"id": v["ended_by_change_set_id"], "kind": v["ended_by_kind"]}
            if v["ended_by_change_set_id"]
            else None
        ),
    }

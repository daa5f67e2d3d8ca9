"""Reading a recorded change set back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.units import M2_PER_MU
from service.db.sqlfiles import sql


def change_set_detail(conn: Connection, change_set_id: int) -> dict[str, Any]:
    """The change set as recorded: what was asked, each operation's before and after
    (parcel versions, areas in m²), and its ledger row; when it applied a proposal, the
    proposal's id, proposer and time (its actor approved it)."""
    row = (
        conn.execute(text(sql("service.sql", "change_set_detail.sql")), {"id": change_set_id})
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"id: no change set {change_set_id}")
    effects = {e["operation"]: e for e in row["effects"] or []}
    operations = []
    for index, submitted in enumerate(row["operations"] or []):
        effect = effects.get(index, {})
        operations.append(
            {
                "operation": index,
                "request": submitted,
                "before": effect.get("before", []),
                "after": effect.get("after", []),
            }
        )
    ledger = None
    if row["ledger_seq"] is not None:
        ledger = {
            "seq": row["ledger_seq"],
            "delta_city_m2": round(row["delta_city_m2"], 4),
            "total_city_m2": round(row["total_city_m2"], 4),
            "total_city_mu": round(row["total_city_m2"] / M2_PER_MU, 6),
            "delta_parks_m2": row["delta_parks"],
            "total_parks_m2": row["total_parks"],
            "hash": row["hash"],
        }
    return {
        "id": row["id"],
        "kind": row["kind"],
        "reason": row["reason"],
        "document_no": row["document_no"],
        "actor": row["actor"],
        "committed_at": row["committed_at"].isoformat(),
        # applied by approving a proposal: the actor approved what proposed_by proposed
        "proposal_id": row["proposal_id"],
        "proposed_by": row["proposed_by"],
        "proposed_at": row["proposed_at"].isoformat() if row["proposed_at"] else None,
        "operations": operations,
        "ledger": ledger,
    }

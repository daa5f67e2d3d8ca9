"""Whether a proposal still says what its dry run showed: its *basis* — the version id each
parcel it touches had when it was proposed, null for a code it creates — against the
parcels as they stand. Exact only under the ledger lock (the approval checks it there)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from service.db.sqlfiles import sql


def stale_parcels(conn: Connection, basis: dict[str, Any]) -> list[str]:
    """The codes of *basis* that changed since: a parcel whose standing version is not
    the one it found (changed, or retired), or a code it would create that has been used
    since. Sorted; empty when the proposal is current."""
    if not basis:
        return []
    return list(
        conn.execute(
            text(sql("service.sql", "proposal_stale.sql")),
            {"basis": json.dumps(basis, ensure_ascii=False)},
        ).scalars()
    )

"""What a park's map page tells its change-set editor (``web/static/map/editor.js``): the
service's URLs it talks to, the park, and the words it offers — every land-use class (a
rezone may go to a class the park has none of yet), the statuses and supply modes from
the vocabulary, and the 亩 from ``parks.units`` — so the script spells none of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from parks.units import M2_PER_MU
from parks.vocabulary import (
    STATUS_NAMES_EN,
    STATUS_NAMES_ZH,
    SUPPLY_MODE_NAMES_EN,
    SUPPLY_MODE_NAMES_ZH,
    ParcelStatus,
    SupplyMode,
)
from service.reads import queries as reads

#: The service's URLs the editor uses (``{code}`` and ``{id}`` are filled in by the page).
EDITOR_LINKS = {
    "session": "/api/session",
    "logout": "/logout",
    "parcel": "/api/parcels/{code}",
    "split": "/api/geometry/split",
    "snap": "/api/geometry/snap",
    "dryRun": "/api/change-sets/dry-run",
    "proposals": "/api/proposals",
    "proposalPage": "/proposals/{id}",
    "parkMap": "/map/{park}?focus={code}",
}
#: The snapping tolerance the editor asks for, metres.
SNAP_TOLERANCE_M = 0.5


def editor_config(conn: Connection, *, park: str) -> dict[str, Any]:
    """The ``editor`` entry of the map config of *park*'s page."""
    classes = [
        {
            "code": c["code"],
            "zh": c["name_zh"],
            "en": c["name_en"],
            "mfg": bool(c["is_manufacturing"]),
        }
        for c in reads.land_use_classes(conn)
    ]
    return {
        "park": park,
        "links": dict(EDITOR_LINKS),
        "m2PerMu": M2_PER_MU,
        "snapToleranceM": SNAP_TOLERANCE_M,
        "classes": classes,
        "statuses": [[s.value, STATUS_NAMES_ZH[s], STATUS_NAMES_EN[s]] for s in ParcelStatus],
        "supplyModes": [
            [m.value, SUPPLY_MODE_NAMES_ZH[m], SUPPLY_MODE_NAMES_EN[m]] for m in SupplyMode
        ],
    }

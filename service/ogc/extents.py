"""Each collection's extent, from the data: the CRS84 bounding box of its geometry and, for
the collections with history, the first moment a version was valid (the interval stays
open: the land goes on).

Worked out in one query (``service/sql/ogc_extents.sql``) and kept per process until the
data change: the key is the version of the data the tile cache uses too — the ledger's
sequence (every transaction that changes a parcel appends a ledger row) and
``map_data_epoch`` (raised by every change of the other tables) — read in one small
query per request.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from pyproj import Transformer
from sqlalchemy import Connection, text

from service.db.sqlfiles import sql
from service.ogc.registry import Collection

_VERSION = "SELECT h.last_seq, e.epoch FROM ledger_head h CROSS JOIN map_data_epoch e"


@dataclass(frozen=True, slots=True)
class Extent:
    """A collection's CRS84 box (west, south, east, north) and first moment, if known."""

    bbox: tuple[float, float, float, float] | None
    first: datetime | None = None


_lock = threading.Lock()
#: Per database: the data version the extents were worked out for, and the extents.
_kept: dict[str, tuple[tuple, dict[str, Extent]]] = {}


def extents(conn: Connection, *, storage_srid: int) -> dict[str, Extent]:
    """The extents of every collection with data, by key (``parcels``, …,
    ``context:<layer>``), as of the data's current version."""
    version = (*conn.execute(text(_VERSION)).one(), storage_srid)
    database = conn.engine.url.render_as_string()
    kept = _kept.get(database)
    if kept is not None and kept[0] == version:
        return kept[1]
    rows = conn.execute(text(sql("service.sql", "ogc_extents.sql"))).all()
    to_lonlat = Transformer.from_crs(storage_srid, 4326, always_xy=True)
    found = {}
    for row in rows:
        box = None
        if row.xmin is not None:
            west, south, east, north = to_lonlat.transform_bounds(
                row.xmin, row.ymin, row.xmax, row.ymax, densify_pts=21
            )
            box = (_down(west), _down(south), _up(east), _up(north))
        found[row.collection] = Extent(box, row.first_from)
    with _lock:
        _kept[database] = (version, found)
    return found


def _down(degrees: float) -> float:
    """*degrees* to 7 decimals (about 1 cm), rounded outward of a box's lower corner."""
    return math.floor(degrees * 1e7) / 1e7


def _up(degrees: float) -> float:
    return math.ceil(degrees * 1e7) / 1e7


def extent_of(found: dict[str, Extent], collection: Collection) -> Extent | None:
    """*collection*'s extent among *found* (None: it holds nothing)."""
    layer = dict(collection.source_params).get("src_layer")
    return found.get(collection.id if layer is None else f"context:{layer}")


def iso(moment: datetime) -> str:
    """An RFC 3339 UTC time, ``Z``-suffixed."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")

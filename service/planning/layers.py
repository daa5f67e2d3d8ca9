"""Context layers (roads, rail, river, flood_zone, utilities, eco_redline, and any other
layer a data set brings): the list, one layer as GeoJSON, and the vocabulary the
availability search checks its ``near``/``away`` criteria against.

Layers are data: a layer is whatever ``context_layer`` holds. A feature's ``kind`` is its
class within the layer (a road's ``main``/``secondary``, a utility's ``power``/``water``/
``gas``/``sewage``). Geometry is stored in the storage CRS and served in EPSG:4326.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from parks.errors import NotFound
from service.db.sqlfiles import sql

#: Coordinate decimals of the GeoJSON served (7 ≈ 1 cm).
PRECISION = 7


def list_layers(conn: Connection, *, park: str | None = None) -> list[dict[str, Any]]:
    """Every context layer: ``{"name", "title_zh", "title_en", "features", "kinds"}``, sorted
    by name. ``features`` counts the layer's features in *park* (plus those with no park)
    when given, else all of them; ``kinds`` are the feature kinds the layer has."""
    rows = conn.execute(text(sql("service.sql", "planning_layers_list.sql")), {"park": park})
    return [
        {
            "name": r.name,
            "title_zh": r.title_zh,
            "title_en": r.title_en,
            "features": int(r.features),
            "kinds": list(r.kinds),
        }
        for r in rows
    ]


def layer_geojson(
    conn: Connection, name: str, *, park: str | None = None, precision: int = PRECISION
) -> str:
    """Context layer *name* as FeatureCollection text in EPSG:4326: each feature's
    properties are ``layer``, ``park``, ``name``, ``kind`` and the file's other columns.
    With *park*, only that park's features (and those belonging to no park).

    Raises :class:`NotFound` when there is no such layer."""
    known = conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM context_layer WHERE name = :n)"), {"n": name}
    ).scalar_one()
    if not known:
        names = ", ".join(layer["name"] for layer in list_layers(conn))
        raise NotFound(f"name: no context layer {name!r}; layers: {names or 'none'}")
    where, params = "", {"layer": name, "precision": precision}
    if park is not None:
        where = " AND (f.park IS NULL OR f.park = :park)"
        params["park"] = park
    query = sql("service.sql", "planning_layer_features.sql").replace("{where}", where)
    return conn.execute(text(query), params).scalar_one()

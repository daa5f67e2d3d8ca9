"""The ``filter`` parameter (OGC API – Features Part 3, CQL2) as an SQL fragment over a
collection's source row: the collection's queryables mapped to their SQL expressions and
handed to the CQL2 compiler (:func:`service.ogc.cql2.compile_filter`), whose fragment
and bound parameters (``f_…``) the items query ANDs into its ``WHERE``.

Geometry literals are in ``filter-crs`` (CRS84 by default) in that CRS's own axis order —
latitude (or northing) first for EPSG:4326, EPSG:4490 and EPSG:4545 — and are transformed
into the storage CRS, so the stored geometry is compared as it is and its spatial index
serves.
"""

from __future__ import annotations

from typing import Any

from service.ogc.cql2 import Queryable, compile_filter
from service.ogc.parameters import CqlFilter
from service.ogc.registry import Collection, Property

#: The queryable name of the geometry.
GEOMETRY = "geometry"


def cql2_type(prop: Property) -> str:
    """The CQL2 compiler's type of a property."""
    if prop.format == "date":
        return "date"
    if prop.format == "date-time":
        return "datetime"
    return prop.type


def queryables(collection: Collection) -> dict[str, Queryable]:
    """The compiler's queryables of *collection*: its scalar properties and its geometry,
    as SQL over the source row ``s``."""
    found = {
        p.name: Queryable(name=p.name, sql=p.sql("s"), type=cql2_type(p))
        for p in collection.queryables
    }
    if collection.has_geometry:
        found[GEOMETRY] = Queryable(name=GEOMETRY, sql="s.geom", type="geometry")
    return found


def filter_sql(
    collection: Collection, cql: CqlFilter, *, storage_srid: int
) -> tuple[str, dict[str, Any]]:
    """The SQL boolean fragment (over the source row ``s``) and bound values of *cql*."""
    return compile_filter(
        cql.expression,
        lang=cql.lang,
        queryables=queryables(collection),
        filter_srid=cql.crs.srid,
        storage_srid=storage_srid,
        swap_axes=cql.crs.north_first,
    )

"""The OGC API's collections, each declared once: what it is, the SQL it reads
(``service/sql/ogc_source_*.sql``), its id and key, its geometry, its properties with
their JSON types, and whether it has history. Every endpoint — metadata, items,
queryables, the OpenAPI document, the HTML pages — is driven from here; no route knows a
collection by name.

The fixed collections are parcels (current versions, or as they stood at a ``datetime``),
parcel versions, factory buildings, leases, projects and parks. Context layers are data:
each row of ``context_layer`` is a collection named like the layer (its properties are
those its features carry), unless the name is taken by a fixed collection, in which case
it is ``context_<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text

from parks.errors import NotFound
from parks.vocabulary import ParcelStatus, ProjectStatus, SupplyMode
from service.db.sqlfiles import sql

#: ``history``: the current state unless ``datetime`` asks for another (parcels);
#: ``periods``: every state, ``datetime`` filters their validity periods (parcel versions).
Temporal = Literal["history", "periods"]
#: JSON Schema types of properties.
JsonType = Literal["string", "number", "integer", "boolean", "array", "object"]

#: A property name usable as a query parameter and a CQL2 identifier.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class Property:
    """One property of a collection's features."""

    name: str
    type: JsonType
    title: str
    #: JSON Schema format: ``date``, ``date-time``.
    format: str | None = None
    enum: tuple[str, ...] | None = None
    #: ``x-ogc-role`` in the queryables: ``id``, ``primary-interval-start`` ...
    role: str | None = None
    #: SQL expression over the source row, ``{a}`` standing for its alias.
    expression: str | None = None

    @property
    def queryable(self) -> bool:
        """Scalars can be filtered on (arrays and objects only come out)."""
        return self.type not in ("array", "object")

    def sql(self, alias: str) -> str:
        """The SQL expression of this property over the source row called *alias*."""
        return (self.expression or "{a}." + self.name).format(a=alias)


@dataclass(frozen=True, slots=True)
class Collection:
    """One collection of features."""

    id: str
    title: str
    description: str
    #: The SQL file (``service/sql``) selecting its rows: the properties' columns, the
    #: key's and ``geom`` (storage CRS; NULL when it has no geometry).
    source: str
    #: The property that is the feature id.
    id_property: str
    properties: tuple[Property, ...]
    #: The columns features are ordered (and paged) by, the id first (default: the id).
    key: tuple[str, ...] = ()
    #: The key when features are versions (parcels over an interval: ``ID@VERSION``).
    version_key: tuple[str, ...] = ()
    #: The geometry's JSON Schema reference (None: the features have no geometry).
    geometry: str | None = "https://geojson.org/schema/MultiPolygon.json"
    temporal: Temporal | None = None
    #: Values bound into the source SQL (``:src_...``), as (name, value) pairs.
    source_params: tuple[tuple[str, Any], ...] = ()
    #: An SQL expression (``{a}``: the row) of the feature's properties object, when not
    #: simply the properties listed.
    properties_expression: str | None = None
    #: Whether parcel_feature holds the GeoJSON text of its current features.
    stored_features: bool = False
    keywords: tuple[str, ...] = ()

    @property
    def has_geometry(self) -> bool:
        return self.geometry is not None

    def order_key(self, *, versioned: bool = False) -> tuple[str, ...]:
        """The columns features are ordered and paged by."""
        if versioned and self.version_key:
            return self.version_key
        return self.key or (self.id_property,)

    def prop(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    @property
    def queryables(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.queryable)


def _p(name: str, type_: JsonType, title: str, **kw: Any) -> Property:
    return Property(name, type_, title, **kw)


_PARCEL_PROPERTIES = (
    _p("parcel_code", "string", "parcel code 宗地编号"),
    _p("park", "string", "park code"),
    _p("land_use_code", "string", "land-use class, GB/T 21010-2017 code"),
    _p("land_use_name", "string", "land-use class 用地类别"),
    _p("land_use_name_en", "string", "land-use class (English)"),
    _p("is_manufacturing", "boolean", "counts as manufacturing land 制造业用地"),
    _p("status", "string", "status 状态", enum=tuple(s.value for s in ParcelStatus)),
    _p("holder", "string", "holder 权利人"),
    _p("supply_mode", "string", "supply mode 供应方式", enum=tuple(m.value for m in SupplyMode)),
    _p("supplied_on", "string", "supplied on 供应日期", format="date"),
    _p("area_m2", "number", "area, m² (planar, storage CRS)"),
    _p("area_mu", "number", "area, 亩"),
    _p("area_ha", "number", "area, ha"),
    _p("valid_from", "string", "valid from", format="date-time", role="primary-interval-start"),
    _p(
        "valid_to",
        "string",
        "valid until (null: standing)",
        format="date-time",
        role="primary-interval-end",
    ),
    _p("change_set_id", "integer", "change set that made this version"),
    _p("ended_by_change_set_id", "integer", "change set that ended this version"),
    _p("version_id", "integer", "version id"),
)


def _with_role(properties: tuple[Property, ...], name: str, role: str) -> tuple[Property, ...]:
    return tuple(
        Property(p.name, p.type, p.title, p.format, p.enum, role, p.expression)
        if p.name == name
        else p
        for p in properties
    )


FIXED: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="parcels",
            title="Parcels 宗地",
            description=(
                "Parcels as they stand now, one feature per parcel (its id is the parcel "
                "code). With `datetime`, as they stood at that instant (from the parcels' "
                "history), or every version valid at some time in an interval (ids then "
                "`CODE@VERSION`). Areas are planar m² in the storage CRS."
            ),
            source="ogc_source_parcel_versions.sql",
            id_property="parcel_code",
            version_key=("parcel_code", "version_id"),
            properties=_with_role(_PARCEL_PROPERTIES, "parcel_code", "id"),
            temporal="history",
            stored_features=True,
            keywords=("parcel", "宗地", "land use"),
        ),
        Collection(
            id="parcel_versions",
            title="Parcel versions 宗地历史版本",
            description=(
                "Every version of every parcel, with the period it was valid (valid_from "
                "to valid_to, null while standing) and the change sets that made and ended "
                "it; `datetime` filters the periods. The id is the version id."
            ),
            source="ogc_source_parcel_versions.sql",
            id_property="version_id",
            properties=_with_role(_PARCEL_PROPERTIES, "version_id", "id"),
            temporal="periods",
            keywords=("parcel", "history", "宗地"),
        ),
        Collection(
            id="buildings",
            title="Standard factory buildings 标准化厂房",
            description=(
                "Standard factory buildings with their floor area, the floor leased (leases "
                "in force today) and vacant."
            ),
            source="ogc_source_buildings.sql",
            id_property="building_code",
            properties=(
                _p("building_code", "string", "building code", role="id"),
                _p("park", "string", "park code"),
                _p("parcel_code", "string", "parcel code"),
                _p("name", "string", "name"),
                _p("storeys", "integer", "storeys"),
                _p("footprint_m2", "number", "footprint, m²"),
                _p("floor_area_m2", "number", "floor area, m²"),
                _p("leased_m2", "number", "floor leased today, m²"),
                _p("vacant_m2", "number", "floor vacant today, m²"),
            ),
        ),
        Collection(
            id="leases",
            title="Leases of factory floor 厂房租赁",
            description=(
                "Every lease of standard factory floor, with its building's park and whether "
                "it is in force today. Leases have no geometry (their building's footprint "
                "is in `buildings`)."
            ),
            source="ogc_source_leases.sql",
            id_property="lease_id",
            geometry=None,
            properties=(
                _p("lease_id", "string", "lease id", role="id"),
                _p("building_code", "string", "building code"),
                _p("park", "string", "park code"),
                _p("tenant", "string", "tenant 承租方"),
                _p("floor", "integer", "floor"),
                _p("leased_m2", "number", "floor area leased, m²"),
                _p("start_date", "string", "starts", format="date"),
                _p("end_date", "string", "ends (null: open-ended)", format="date"),
                _p("in_force", "boolean", "in force today"),
            ),
        ),
        Collection(
            id="projects",
            title="Key projects 重点项目",
            description=(
                "Key investment projects; a project's site is the union of its parcels as "
                "they stand (null when it has none)."
            ),
            source="ogc_source_projects.sql",
            id_property="project_code",
            properties=(
                _p("project_code", "string", "project code", role="id"),
                _p("name", "string", "name"),
                _p("park", "string", "park code"),
                _p("investor", "string", "investor"),
                _p("industry_chain", "string", "industry chain"),
                _p("investment_yi", "number", "investment, 亿元"),
                _p("status", "string", "status", enum=tuple(s.value for s in ProjectStatus)),
                _p("milestones", "array", "milestones"),
                _p("parcel_codes", "array", "parcels of the site"),
                _p("site_area_m2", "number", "site area, m²"),
            ),
        ),
        Collection(
            id="parks",
            title="Parks 园区",
            description="The industrial parks' boundaries, parcel counts and manufacturing land.",
            source="ogc_source_parks.sql",
            id_property="code",
            properties=(
                _p("code", "string", "park code", role="id"),
                _p("name_zh", "string", "name 名称"),
                _p("name_en", "string", "name (English)"),
                _p("area_m2", "number", "area, m²"),
                _p("area_mu", "number", "area, 亩"),
                _p("parcels", "integer", "current parcels"),
                _p("manufacturing_m2", "number", "manufacturing land, m²"),
                _p("manufacturing_mu", "number", "manufacturing land, 亩"),
            ),
        ),
    )
}

#: The properties every context layer's features have (besides those of their file).
_CONTEXT_PROPERTIES = (
    _p("id", "integer", "feature id", role="id"),
    _p("layer", "string", "layer"),
    _p("park", "string", "park code (null: not one park's)"),
    _p("name", "string", "name"),
    _p("kind", "string", "kind within the layer"),
)
_JSONB_TYPES: dict[str, JsonType] = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def _context_collection(row: Any) -> Collection:
    """The collection of one context layer (a row of ogc_context_layers.sql)."""
    taken = {p.name for p in _CONTEXT_PROPERTIES}
    extras = []
    for key, kind in row.keys.items():
        # Only names that are safe as a query parameter, a CQL2 name and an SQL literal
        # become properties of their own; every key still comes out in `properties`.
        if key in taken or not NAME.match(key):
            continue
        json_type = _JSONB_TYPES.get(kind, "string")  # mixed types: compared as text
        if json_type == "number":
            expression = f"CAST({{a}}.properties ->> '{key}' AS double precision)"
        elif json_type == "boolean":
            expression = f"CAST({{a}}.properties ->> '{key}' AS boolean)"
        elif json_type == "string":
            expression = f"({{a}}.properties ->> '{key}')"
        else:
            expression = f"({{a}}.properties -> '{key}')"
        extras.append(_p(key, json_type, key, expression=expression))
    name = row.name if row.name not in FIXED else f"context_{row.name}"
    return Collection(
        id=name,
        title=f"{row.title_en} {row.title_zh}",
        description=f"Context layer {row.name!r}: {row.title_en} ({row.title_zh}).",
        source="ogc_source_context.sql",
        id_property="id",
        geometry="https://geojson.org/schema/Geometry.json",
        properties=(*_CONTEXT_PROPERTIES, *extras),
        source_params=(("src_layer", row.name),),
        properties_expression=(
            "(({a}.properties - 'id' - 'layer' - 'park' - 'name' - 'kind') || "
            "jsonb_build_object('id', {a}.id, 'layer', {a}.layer, 'park', {a}.park, "
            "'name', {a}.name, 'kind', {a}.kind))"
        ),
        keywords=("context", row.name),
    )


def context_collections(conn: Connection, *, layer: str | None = None) -> list[Collection]:
    """The collections of the context layers (of *layer* only, when given)."""
    rows = conn.execute(text(sql("service.sql", "ogc_context_layers.sql")), {"layer": layer})
    return [_context_collection(r) for r in rows]


def collections(conn: Connection) -> list[Collection]:
    """Every collection: the fixed ones, then the context layers by name."""
    return [*FIXED.values(), *context_collections(conn)]


def collection(conn: Connection, collection_id: str) -> Collection:
    """The collection *collection_id*; :class:`NotFound` (404) when there is none."""
    found = FIXED.get(collection_id)
    if found is not None:
        return found
    layer = collection_id.removeprefix("context_") if collection_id.startswith("context_") else None
    for name in filter(None, (collection_id, layer)):
        for candidate in context_collections(conn, layer=name):
            if candidate.id == collection_id:
                return candidate
    raise NotFound(f"collectionId: no collection {collection_id!r}; see /ogc/collections")

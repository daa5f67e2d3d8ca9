"""How each layer looks outside the web map — in a Mapbox GL style, an SLD legend and a QGIS
project — as plain data: fills, strokes and hatches. Every colour comes from
:mod:`maps.style` (the one home of colours); the widths, dashes and opacities are the web
map's own (``web/static/map/plm.js``), in screen pixels, so a desktop GIS draws the same
picture as the browser."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from maps.style import (
    BUILDING_OUTLINE,
    CONTEXT_DEFAULT_STYLE,
    LAYER_TITLES,
    MANUFACTURING_OUTLINE,
    MANUFACTURING_WEIGHT,
    NO_DATA_COLOUR,
    PARCEL_OUTLINE,
    PARK_OUTLINE,
    PROJECT_STATUSES,
    VACANCY_CLASSES,
    context_style,
    hatch_colour,
    land_use_colour,
)


@dataclass(frozen=True, slots=True)
class Stroke:
    """A line: colour, width and opacity, and a dash pattern (on, off, ... in pixels)."""

    colour: str
    width_px: float
    opacity: float = 1.0
    dash_px: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Look:
    """How a feature is drawn: a fill (None: not filled), an outline (or the line itself),
    and the colour of 45° hatch lines over the fill (manufacturing land)."""

    fill: str | None = None
    fill_opacity: float = 1.0
    stroke: Stroke | None = None
    hatch: str | None = None


@dataclass(frozen=True, slots=True)
class LandUseEntry:
    """One land-use class of the legend and how its parcels look."""

    code: str
    name_zh: str
    name_en: str
    is_manufacturing: bool
    look: Look

    @property
    def label(self) -> str:
        """The legend's text: code, Chinese and English name."""
        return f"{self.code} {self.name_zh} {self.name_en}".strip()


@dataclass(frozen=True, slots=True)
class StatusLook:
    """One value of a status field (a key project's) with its names and look."""

    code: str
    name_zh: str
    name_en: str
    look: Look

    @property
    def label(self) -> str:
        """The legend's text: Chinese and English name."""
        return f"{self.name_zh} {self.name_en}"


@dataclass(frozen=True, slots=True)
class VacancyClass:
    """Factory buildings whose vacant share of floor area is in ``(lower, upper]``."""

    lower: float
    upper: float
    look: Look

    @property
    def label(self) -> str:
        """The legend's text: the share of floor area vacant."""
        return f"空置 {self.lower:.0%}–{self.upper:.0%} vacant"


@dataclass(frozen=True, slots=True)
class ContextLayerInfo:
    """A context layer (roads, rail, ...): its name (the tile layer's), titles, the geometry
    types its features have (``Point``, ``LineString``, ``Polygon``), and the id of its
    OGC API collection (its name, unless that is taken)."""

    name: str
    title_zh: str
    title_en: str
    geometry_types: frozenset[str]
    collection: str = ""

    @property
    def collection_id(self) -> str:
        """The id of the layer's OGC API collection."""
        return self.collection or self.name

    @property
    def title(self) -> str:
        """Chinese and English title."""
        return f"{self.title_zh} {self.title_en}"


# The web map's widths and opacities (plm.js, Plm.prototype.style).
PARCEL_FILL_OPACITY = 0.75
MANUFACTURING_FILL_OPACITY = 0.9
#: Overview cells (parcel tiles up to zoom 12) are filled a little stronger, unoutlined.
OVERVIEW_FILL_OPACITY = 0.85
PARCEL_STROKE = Stroke(PARCEL_OUTLINE, 1.0, 0.9)
MANUFACTURING_STROKE = Stroke(MANUFACTURING_OUTLINE, MANUFACTURING_WEIGHT)
#: The hatch of manufacturing land: a 1.8 px stripe every 6 px at 45° (the SVG pattern).
HATCH_SPACING_PX = 6.0
HATCH_WIDTH_PX = 1.8
HATCH_ANGLE_DEG = 45.0

PARK = Look(stroke=Stroke(PARK_OUTLINE, 3.0, 0.9, (10.0, 6.0)))
BUILDING_STROKE = Stroke(BUILDING_OUTLINE, 1.2)
BUILDING_FILL_OPACITY = 0.92
#: Footprints where the vacancy cannot be shown (the GL style: QGIS 3.22 converts no
#: arithmetic, and the vacant share is vacant_m2 / floor_area_m2): outline, light fill.
BUILDING = Look(fill=BUILDING_OUTLINE, fill_opacity=0.25, stroke=BUILDING_STROKE)
PROJECT_WIDTH_PX = 4.0
PROJECT_FILL_OPACITY = 0.12
PROJECT_DASH_PX = (7.0, 5.0)
#: Radius of a context layer's point (the web map's circle markers).
POINT_RADIUS_PX = 5.0
#: A land-use class the legend does not list.
OTHER_LAND_USE = Look(NO_DATA_COLOUR, PARCEL_FILL_OPACITY, PARCEL_STROKE)
OTHER_LABEL = "其他 Other"

#: Titles of the layers, Chinese then English (the web map's).
PARKS_TITLE = " ".join(LAYER_TITLES["parks"])
PARCELS_TITLE = " ".join(LAYER_TITLES["parcels_use"])
BUILDINGS_TITLE = " ".join(LAYER_TITLES["buildings"])
PROJECTS_TITLE = " ".join(LAYER_TITLES["projects"])


def land_use_look(code: str, *, manufacturing: bool) -> Look:
    """How a parcel of class *code* looks: the class's fill; manufacturing land hatched and
    thickly outlined."""
    colour = land_use_colour(code)
    if manufacturing:
        return Look(colour, MANUFACTURING_FILL_OPACITY, MANUFACTURING_STROKE, hatch_colour(colour))
    return Look(colour, PARCEL_FILL_OPACITY, PARCEL_STROKE)


def land_use_entries(classes: Iterable[Mapping]) -> list[LandUseEntry]:
    """The legend of *classes* (mappings with ``code``, ``name_zh``, ``name_en``,
    ``is_manufacturing``), by code."""
    out = []
    for c in classes:
        code = str(c["code"])
        mfg = bool(c.get("is_manufacturing"))
        out.append(
            LandUseEntry(
                code,
                str(c.get("name_zh") or ""),
                str(c.get("name_en") or ""),
                mfg,
                land_use_look(code, manufacturing=mfg),
            )
        )
    return sorted(out, key=lambda e: e.code)


def colour_groups(entries: Iterable[LandUseEntry]) -> dict[str, list[str]]:
    """Fill colour -> the class codes drawn in it (codes sorted), in order of first code."""
    groups: dict[str, list[str]] = {}
    for e in sorted(entries, key=lambda e: e.code):
        groups.setdefault(e.look.fill or NO_DATA_COLOUR, []).append(e.code)
    return groups


def project_status_looks() -> list[StatusLook]:
    """Every key-project status with its look: a thick outline in the status's colour
    (dashed while not settled), faintly filled."""
    out = []
    for code, (zh, en, colour, dashed) in PROJECT_STATUSES.items():
        stroke = Stroke(colour, PROJECT_WIDTH_PX, 1.0, PROJECT_DASH_PX if dashed else ())
        out.append(StatusLook(code, zh, en, Look(colour, PROJECT_FILL_OPACITY, stroke)))
    return out


def vacancy_classes() -> list[VacancyClass]:
    """The factory buildings' vacancy classes, from full (0) to empty (1)."""
    out, lower = [], 0.0
    for upper, colour in VACANCY_CLASSES:
        out.append(VacancyClass(lower, upper, Look(colour, BUILDING_FILL_OPACITY, BUILDING_STROKE)))
        lower = upper
    return out


def context_look(name: str) -> Look:
    """How context layer *name* looks (the web map's path options: a line, filled only
    when the style gives a fill colour)."""
    style = context_style(name)
    weight = float(style.get("weight", CONTEXT_DEFAULT_STYLE["weight"]))
    dash = tuple(float(d) for d in str(style.get("dashArray") or "").replace(",", " ").split())
    stroke = Stroke(
        str(style.get("color", CONTEXT_DEFAULT_STYLE["color"])),
        weight,
        float(style.get("opacity", 1.0)),
        dash,
    )
    fill = style.get("fillColor")
    return Look(
        str(fill) if fill else None,
        float(style.get("fillOpacity", CONTEXT_DEFAULT_STYLE["fillOpacity"])) if fill else 0.0,
        stroke,
    )

"""A 勘测定界 (survey boundary) AutoCAD DXF drawing read into labelled polygons: each
closed polyline a parcel, the TEXT, MTEXT or block ATTRIB inside it its label.

GDAL's DXF driver reads the drawing (its configuration options set for the read only,
under :func:`gis.gdal_lock.gdal_locked`); what the entities are, which text labels which
polygon and what a technician should know about the rest is decided here. The CRS is not:
a DXF has none, and :func:`gis.reading.read_source` decides it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import Polygon

from gis.errors import SourceError
from gis.gdal_lock import gdal_locked
from gis.text_encoding import TextEncoding, decide_encoding, undecodable

#: The one layer GDAL's DXF driver reads a drawing's entities into.
DXF_LAYER = "entities"
#: Column the parcel code found in a DXF polygon goes into.
DXF_LABEL_COLUMN = "label"

_UNICODE_ESCAPE = re.compile(r"\\U\+([0-9A-Fa-f]{4})")
_MBCS_ESCAPE = re.compile(r"\\M\+([1-5])([0-9A-Fa-f]{4})")
_MBCS_CODECS = {"1": "cp932", "2": "cp950", "3": "cp949", "4": "johab", "5": "gbk"}
_MTEXT_CODES = re.compile(r"\\[ACFHQTWacfhqtw][^;\\]*;|\\[LlOoKkNn~]|%%[uUoOkK]|[{}]")
_ENTITY_NAMES = {
    "AcDbLine": "lines",
    "AcDbCircle": "circles",
    "AcDbArc": "arcs",
    "AcDbEllipse": "ellipses",
    "AcDbSpline": "splines",
    "AcDbHatch": "hatches",
    "AcDbPoint": "points",
    "AcDbBlockReference": "block graphics",
    "AcDbTrace": "solids",
    "AcDbFace": "3D faces",
    "": "of unrecorded type (DXF R12 names no subclass)",
}


@dataclass
class DxfParcels:
    """The parcels of a DXF drawing, and how they were read."""

    frame: gpd.GeoDataFrame
    """One row per closed polyline: :data:`DXF_LABEL_COLUMN` first, then the entity's
    attributes as GDAL reads them (``Layer``, ``EntityHandle`` …), the polygon as geometry;
    RangeIndex 0..n-1, no CRS."""
    rows: np.ndarray
    """1-based positions of the polylines among all the drawing's entities, aligned with
    *frame*."""
    encoding: TextEncoding
    """The encoding the drawing's text was read in, and how it was decided."""
    notes: list[str] = field(default_factory=list)
    """What a technician should know: the encoding fallen back to, polygons with several
    texts or none, entities and texts that were ignored."""


def read_dxf(path: Path, *, layer: str | None = None, encoding: str | None = None) -> DxfParcels:
    """A 勘测定界 drawing's parcels: every closed polyline (LWPOLYLINE or POLYLINE closed
    by its flag, or whose last vertex is its first) in model space as a polygon, with the
    TEXT, MTEXT or block ATTRIB inside it as ``label`` (a text inside nested polygons
    labels the smallest). Formatting codes and ``\\U+XXXX`` / ``\\M+nXXXX`` escapes are
    resolved; of a multi-line text the first line is the label. A polygon with no text keeps
    label None; one with different texts keeps the first, and a note says so. Open
    polylines, other entities, paper space and texts outside every polygon are counted in
    notes.

    *layer* other than None or ``"entities"`` names the CAD layer the parcels are on (texts
    may lie on any); no closed polyline on it raises :class:`SourceError`, as does a drawing
    with no closed polylines at all.
    Text encoding: *encoding* given, else UTF-8 when the file decodes as such, else GB18030
    ($DWGCODEPAGE is often wrong); see :func:`gis.text_encoding.decide_encoding`.
    A DXF has no CRS: the frame has none, the caller sets the one it decides.
    """
    notes: list[str] = []
    text = decide_encoding(path, "DXF", encoding, notes)
    entities = _read_entities(path, (text.codec or "utf-8").upper())
    kinds = _DxfKinds.of(entities)
    cad_layers = _column(entities, "Layer")

    chosen = kinds.polygon.copy()
    if layer not in (None, DXF_LAYER):
        chosen &= np.array([name == layer for name in cad_layers])
        if not chosen.any():
            held = sorted({cad_layers[i] for i in np.flatnonzero(kinds.polygon)})
            raise SourceError(
                f"{path.name}: CAD layer {layer!r} holds no closed polylines; the layers "
                f"that do are {', '.join(held) or 'none'}"
            )
    index = np.flatnonzero(chosen)
    if not len(index):
        found = _entity_counts(kinds.subclasses, kinds.other | kinds.open)
        raise SourceError(
            f"{path.name}: holds no closed polylines, so no parcels (found "
            f"{_count(kinds.open.sum(), 'open polyline')}, {_count(kinds.text.sum(), 'text')}"
            f"{found}); parcels must be drawn as closed polylines"
        )
    polygons = np.array([_as_polygon(kinds.geoms[i]) for i in index], dtype=object)
    text_index = np.flatnonzero(kinds.text)
    texts_inside, outside = _labels(
        polygons, kinds.geoms[text_index], [kinds.texts[i] for i in text_index]
    )
    rows = index + 1
    handles = _column(entities, "EntityHandle")
    chosen_labels = [
        _one_label(found, f"closed polyline {row} (entity {handles[row - 1]})", notes)
        for row, found in zip(rows, texts_inside, strict=True)
    ]
    attributes = entities.iloc[index].drop(
        columns=[c for c in ("Text", "PaperSpace", "geometry") if c in entities]
    )
    frame = gpd.GeoDataFrame(attributes.reset_index(drop=True), geometry=list(polygons))
    frame.insert(0, DXF_LABEL_COLUMN, pd.Series(chosen_labels, dtype=object))
    _dxf_notes(notes, kinds, outside, chosen_labels)
    return DxfParcels(frame=frame, rows=rows, encoding=text, notes=notes)


def _read_entities(path: Path, gdal_encoding: str) -> gpd.GeoDataFrame:
    """Every entity of the drawing, as GDAL's DXF driver reads them with closed polylines
    as polygons, blocks inlined and the text decoded from *gdal_encoding*."""
    with gdal_locked(
        DXF_CLOSED_LINE_AS_POLYGON="TRUE", DXF_INLINE_BLOCKS="TRUE", DXF_ENCODING=gdal_encoding
    ):
        try:
            frame = pyogrio.read_dataframe(path, layer=DXF_LAYER)
        except UnicodeDecodeError as exc:
            raise undecodable(path, exc) from None
        except Exception as exc:
            raise SourceError(f"{path.name}: layer {DXF_LAYER!r} cannot be read: {exc}") from None
    return frame.reset_index(drop=True)


def _as_polygon(geom):
    """A polygon GDAL made of a closed polyline, or one made of a polyline whose last vertex
    is its first (heights kept)."""
    return geom if geom.geom_type == "Polygon" else Polygon(geom.coords)


def _one_label(found: list[str], what: str, notes: list[str]) -> str | None:
    """The first of the texts *found* inside a polygon; a note when they differ."""
    distinct = list(dict.fromkeys(found))
    if len(distinct) > 1:
        others = ", ".join(repr(d) for d in distinct[1:])
        notes.append(f"{what} holds several texts: kept {distinct[0]!r} as its label, not {others}")
    return distinct[0] if distinct else None


class _DxfKinds(NamedTuple):
    """What each entity GDAL read from a DXF is: a parcel polygon, an open polyline, a
    text, something else, or in paper space (boolean arrays aligned with the entities)."""

    geoms: np.ndarray
    subclasses: list[str]
    texts: list[str | None]
    polygon: np.ndarray
    open: np.ndarray
    text: np.ndarray
    other: np.ndarray
    paper: np.ndarray

    @classmethod
    def of(cls, entities) -> _DxfKinds:
        geoms = np.asarray(entities.geometry.array, dtype=object)
        subclasses = _column(entities, "SubClasses")
        texts = [_label_text(value) for value in _column(entities, "Text")]
        paper = np.zeros(len(entities), dtype=bool)
        if "PaperSpace" in entities:
            paper = np.asarray(entities["PaperSpace"].fillna(0) == 1)
        type_ids = shapely.get_type_id(geoms)
        # GDAL names the subclasses (AcDbPolyline, AcDb2dPolyline …) from R13 on; an R12
        # drawing names none, and then GDAL's polygon (a polyline closed by its flag) counts
        may_be_polyline = np.array([not s or "Polyline" in s for s in subclasses])
        is_polyline = np.array(["Polyline" in s for s in subclasses])
        lines = type_ids == 1
        closed = np.zeros(len(entities), dtype=bool)
        closed[lines] = shapely.is_closed(geoms[lines]) & (
            shapely.get_num_coordinates(geoms[lines]) >= 4
        )
        polygon = ~paper & (((type_ids == 3) & may_be_polyline) | (lines & closed & is_polyline))
        open_ = ~paper & lines & ~closed & may_be_polyline
        text = ~paper & (type_ids == 0) & np.array([t is not None for t in texts])
        other = ~paper & ~polygon & ~open_ & ~text & (type_ids >= 0)
        return cls(geoms, subclasses, texts, polygon, open_, text, other, paper)


def _labels(polygons: np.ndarray, points: np.ndarray, texts: list[str]) -> tuple[list, int]:
    """For each polygon, the texts (in file order) whose point lies inside it and inside no
    smaller polygon; and how many texts lie in none."""
    found: list[list[str]] = [[] for _ in polygons]
    if not len(points):
        return found, 0
    at, inside = shapely.STRtree(polygons).query(points, predicate="within")
    areas = shapely.area(polygons)
    order = np.lexsort((areas[inside], at))  # per text, the smallest polygon first
    owner: dict[int, int] = {}
    for k in order:
        owner.setdefault(int(at[k]), int(inside[k]))
    for point in sorted(owner):
        found[owner[point]].append(texts[point])
    return found, len(points) - len(owner)


def _label_text(value) -> str | None:
    """A DXF text as a label: escapes resolved, MTEXT formatting removed, the first
    non-empty line; None when nothing is left."""
    if not isinstance(value, str):
        return None
    value = _UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    value = _MBCS_ESCAPE.sub(_mbcs_char, value)
    value = value.replace("\\P", "\n")
    value = _MTEXT_CODES.sub("", value)
    lines = [line.strip() for line in value.splitlines()]
    return next((line for line in lines if line), None)


def _mbcs_char(match: re.Match) -> str:
    try:
        return bytes.fromhex(match.group(2)).decode(_MBCS_CODECS[match.group(1)])
    except (UnicodeDecodeError, LookupError):
        return match.group(0)


def _dxf_notes(notes: list[str], kinds: _DxfKinds, outside: int, labels: list) -> None:
    is_open, is_other, paper, subclasses = kinds.open, kinds.other, kinds.paper, kinds.subclasses
    if is_open.any():
        notes.append(
            f"{_count(is_open.sum(), 'open polyline')} in the DXF "
            f"{_were(is_open.sum())} ignored (only closed polylines are parcels)"
        )
    if is_other.any():
        notes.append(
            f"{_count(is_other.sum(), 'other entity', 'other entities')} "
            f"{_were(is_other.sum())} ignored{_entity_counts(subclasses, is_other)}"
        )
    if paper.any():
        notes.append(
            f"{_count(paper.sum(), 'entity', 'entities')} in paper space (layouts) "
            f"{_were(paper.sum())} ignored"
        )
    if outside:
        notes.append(
            f"{_count(outside, 'text')} outside every closed polyline "
            f"{'labels' if outside == 1 else 'label'} nothing"
        )
    unlabelled = sum(label is None for label in labels)
    if unlabelled:
        notes.append(
            f"{_count(unlabelled, 'closed polyline')} with no text inside "
            f"{'has' if unlabelled == 1 else 'have'} an empty label"
        )


def _count(n, singular: str, plural: str | None = None) -> str:
    n = int(n)
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def _were(n) -> str:
    return "was" if int(n) == 1 else "were"


def _entity_counts(subclasses: list[str], mask: np.ndarray) -> str:
    counts = Counter(
        _ENTITY_NAMES.get(subclasses[i].split(":")[-1], subclasses[i].split(":")[-1])
        for i in np.flatnonzero(mask)
    )
    return (": " + ", ".join(f"{n} {kind}" for kind, n in counts.most_common())) if counts else ""


def _column(frame, name: str) -> list:
    if name not in frame:
        return [""] * len(frame) if name == "SubClasses" else [None] * len(frame)
    values = frame[name].tolist()
    if name == "SubClasses":
        return [v if isinstance(v, str) else "" for v in values]
    return [v if isinstance(v, str) else None for v in values]

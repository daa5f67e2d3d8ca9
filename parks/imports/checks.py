"""Judging an imported file's features: which geometric findings are problems, of which
kind, above which thresholds — and the words of every problem an import reports, written
here once.

The measuring is geometry's (``gis.quality``, which this package cannot import): the
caller passes it in as *quality* (the ``gis.quality`` module itself will do, see
:class:`GeometryQuality`), as it passes *to_lonlat* (its transformer from the storage CRS
to EPSG:4326), so this package imports nothing of ``gis`` and tests can pass their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import shapely

from parks.imports.problems import ImportProblem, ProblemKind
from parks.units import AREA_TOLERANCE_M2, m2_to_mu

#: Features sharing more than this (m²) overlap (less is rounding at a shared edge).
OVERLAP_MIN_M2: float = AREA_TOLERANCE_M2
#: Uncovered openings between neighbours narrower than this (m) are gaps (slivers).
GAP_MAX_WIDTH_M: float = 1.0
#: Gaps smaller than this (m²) are rounding, not land.
GAP_MIN_AREA_M2: float = AREA_TOLERANCE_M2
#: Parcels smaller than this (m²) are tiny (a stray polygon, a label box).
TINY_AREA_M2: float = 1.0
#: Declared and computed areas differ when they do by more than this (m²) and more than
#: :data:`AREA_MISMATCH_SHARE` of the computed area.
AREA_MISMATCH_MIN_M2: float = 1.0
AREA_MISMATCH_SHARE: float = 0.001

XY = tuple[float, float]
LonLat = tuple[float, float]
ToLonLat = Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]


class GeometryQuality(Protocol):
    """What :func:`check_features` needs measured (``gis.quality`` provides it)."""

    def empty_indices(self, geoms: Any) -> list[int]: ...

    def non_polygonal(self, geoms: Any) -> list[tuple[int, str]]: ...

    def invalid_reasons(self, geoms: Any) -> list[tuple[int, str, XY | None]]: ...

    def overlaps_within(
        self, geoms: Any, *, min_area_m2: float
    ) -> list[tuple[int, int, float, XY]]: ...

    def narrow_gaps(
        self, geoms: Any, *, max_width_m: float, min_area_m2: float
    ) -> list[tuple[float, XY, list[int]]]: ...


#: What to do about each of GEOS's reasons, for a technician who has to fix the drawing.
_ADVICE = {
    "self-intersection": "the boundary crosses itself (a bow-tie or a loop); move the "
    "vertices so it doesn't, or split it into two polygons",
    "ring self-intersection": "a ring touches itself at a point; split it there into two "
    "rings or two polygons",
    "too few points": "a ring has fewer than three distinct corners; delete it or redraw it",
    "hole lies outside shell": "a hole lies outside its polygon; delete it or make it a "
    "polygon of its own",
    "nested holes": "one hole lies inside another; delete the inner one",
    "interior is disconnected": "holes cut the polygon into pieces; make each piece a "
    "polygon (or feature) of its own",
    "nested shells": "one part of the multipolygon lies inside another; delete it or make "
    "it a hole",
    "duplicate rings": "a ring is there twice; delete one",
    "invalid coordinate": "a coordinate is not a finite number",
    "ring is not closed": "a ring does not end where it starts; close it",
}


def check_features(
    rows: Sequence[int],
    codes: Sequence[str | None],
    geoms_storage: Sequence[Any],
    *,
    quality: GeometryQuality,
    to_lonlat: ToLonLat,
    declared_area_m2: Sequence[float | None] | None = None,
    min_area_m2: float = TINY_AREA_M2,
    storage_crs: str = "EPSG:4545",
) -> list[ImportProblem]:
    """The problems of a file's features, given their 1-based *rows*, parcel *codes* and
    geometries in the storage CRS (planar metres, named *storage_crs* in messages):

    * blocking — ``invalid_geometry`` (GEOS's reason and where, or a geometry that is not
      a polygon), ``empty_geometry``, ``duplicate_code`` (each feature after the first,
      naming the first), ``overlap_in_file`` (each pair sharing more than
      :data:`OVERLAP_MIN_M2`, reported on the later row, naming the earlier);
    * warnings — ``gap`` (an uncovered sliver narrower than :data:`GAP_MAX_WIDTH_M` between
      neighbours, on the first of them), ``area_mismatch`` (*declared_area_m2* differs from
      the computed area by more than max(1 m², 0.1 %)), ``tiny`` (less than *min_area_m2*).

    Overlaps, gaps and areas are measured on the valid polygons only. Problems carry a
    point in EPSG:4326 (*to_lonlat* maps storage x, y arrays to lon, lat arrays): the place
    GEOS names for an invalid geometry, the point inside an overlap or gap, else a point
    on the feature. Sorted by row (a gap's first neighbour), then kind.
    """
    geoms = _array(geoms_storage)
    n = len(geoms)
    if not (len(rows) == len(codes) == n):
        raise ValueError("rows, codes and geometries must be as many")
    if declared_area_m2 is not None and len(declared_area_m2) != n:
        raise ValueError("declared areas and geometries must be as many")
    found = _Found(rows, codes)

    unsound = set(quality.empty_indices(geoms))
    for i in sorted(unsound):
        found.add(
            ProblemKind.EMPTY_GEOMETRY,
            i,
            "the feature has no geometry (empty or missing); draw its boundary or delete the "
            "feature",
        )
    for i, kind in quality.non_polygonal(geoms):
        unsound.add(i)
        found.add(
            ProblemKind.INVALID_GEOMETRY,
            i,
            f"the geometry is a {kind}, not a polygon: a parcel is an area; close the "
            "boundary into a polygon (in CAD, a closed polyline)",
            at=_bounds_centre(geoms[i]),
        )
    for i, reason, place in quality.invalid_reasons(geoms):
        if i not in unsound:
            unsound.add(i)
            found.add(
                ProblemKind.INVALID_GEOMETRY,
                i,
                invalid_geometry_message(reason, place, storage_crs),
                at=place or _bounds_centre(geoms[i]),
            )

    sound = np.ones(n, dtype=bool)
    sound[sorted(unsound)] = False
    areas = np.full(n, np.nan)
    points: list[XY | None] = [None] * n
    if sound.any():
        areas[sound] = shapely.area(geoms[sound])
        inside = shapely.get_coordinates(shapely.point_on_surface(geoms[sound]))
        for i, (x, y) in zip(np.flatnonzero(sound), inside, strict=True):
            points[i] = (float(x), float(y))

    first_of: dict[str, int] = {}
    for i, code in enumerate(codes):
        key = _text(code)
        if key is None:
            continue
        first = first_of.setdefault(key, i)
        if first != i:
            found.add(
                ProblemKind.DUPLICATE_CODE,
                i,
                f"parcel code {key} is also on row {rows[first]}; each parcel has one feature "
                "— merge the features or give one of them its own code",
                at=points[i] or _bounds_centre(geoms[i]),
                other=f"row {rows[first]}",
            )

    sound_only = _only(geoms, sound)
    for i, j, area, xy in quality.overlaps_within(sound_only, min_area_m2=OVERLAP_MIN_M2):
        found.add(
            ProblemKind.OVERLAP_IN_FILE,
            j,
            f"overlaps row {rows[i]}{_in_brackets(codes[i])} by {_area(area)}; the file's "
            "parcels must not overlap — move the shared boundary so each piece of land is in "
            "one parcel",
            at=xy,
            measure=area,
            unit="m2",
            other=_text(codes[i]),
        )
    gaps = quality.narrow_gaps(sound_only, max_width_m=GAP_MAX_WIDTH_M, min_area_m2=GAP_MIN_AREA_M2)
    for area, xy, between in gaps:
        named = ", ".join(f"row {rows[k]}{_in_brackets(codes[k])}" for k in between)
        found.add(
            ProblemKind.GAP,
            between[0],
            f"an uncovered sliver of {_area(area)}, narrower than {GAP_MAX_WIDTH_M:g} m, lies "
            f"between {named}; if they are meant to share a boundary, snap their vertices "
            "together",
            at=xy,
            measure=area,
            unit="m2",
            other=", ".join(_text(codes[k]) or f"row {rows[k]}" for k in between[1:]),
        )

    for i in np.flatnonzero(sound):
        declared = declared_area_m2[i] if declared_area_m2 is not None else None
        if declared is not None and np.isfinite(declared):
            mismatch = area_mismatch_problem(rows[i], codes[i], float(declared), float(areas[i]))
            if mismatch is not None:
                found.drafts.append((mismatch, points[i]))
        if areas[i] < min_area_m2:
            found.add(
                ProblemKind.TINY,
                i,
                f"the parcel's area is {_area(float(areas[i]))}, less than {min_area_m2:g} m²: "
                "a stray polygon? delete it or draw it whole",
                at=points[i],
                measure=float(areas[i]),
                unit="m2",
            )

    located = with_lonlat(found.drafts, to_lonlat)
    order = {kind: n for n, kind in enumerate(ProblemKind)}
    return sorted(located, key=lambda p: (p.row or 0, order[p.kind]))


class _Found:
    """Problems found so far, each with its place in the storage CRS (or None)."""

    def __init__(self, rows: Sequence[int], codes: Sequence[str | None]) -> None:
        self.rows, self.codes = rows, codes
        self.drafts: list[tuple[ImportProblem, XY | None]] = []

    def add(
        self, kind: ProblemKind, i: int, message: str, *, at: XY | None = None, **extra: Any
    ) -> None:
        problem = ImportProblem(
            kind=kind, message=message, row=self.rows[i], parcel_code=_text(self.codes[i]), **extra
        )
        self.drafts.append((problem, at))


def with_lonlat(
    drafts: Sequence[tuple[ImportProblem, XY | None]], to_lonlat: ToLonLat
) -> list[ImportProblem]:
    """The problems of *drafts* (problem, storage-CRS point or None) with the points as
    their lon/lat, transformed in one call of *to_lonlat*."""
    placed = [n for n, (_, xy) in enumerate(drafts) if xy is not None]
    problems = [problem for problem, _ in drafts]
    if placed:
        xs = np.array([drafts[n][1][0] for n in placed], dtype=float)
        ys = np.array([drafts[n][1][1] for n in placed], dtype=float)
        lons, lats = to_lonlat(xs, ys)
        for n, lon, lat in zip(placed, np.atleast_1d(lons), np.atleast_1d(lats), strict=True):
            if np.isfinite(lon) and np.isfinite(lat):
                problems[n] = replace(problems[n], lon=float(lon), lat=float(lat))
    return problems


def invalid_geometry_message(reason: str, place: XY | None, storage_crs: str) -> str:
    """GEOS's *reason* as a technician reads it: ``"Self-intersection at x=437512.3,
    y=3801234.9 (EPSG:4545): the boundary crosses itself ..."``."""
    what = reason.split("[", 1)[0].strip() or "invalid geometry"
    where = f" at x={place[0]:.1f}, y={place[1]:.1f} ({storage_crs})" if place else ""
    advice = _ADVICE.get(what.casefold(), "fix it in the source file")
    return f"{what}{where}: {advice}; nothing is repaired on import"


def area_mismatch_problem(
    row: int, code: str | None, declared_m2: float, computed_m2: float
) -> ImportProblem | None:
    """An ``area_mismatch`` warning when the declared area differs from the computed one
    by more than max(:data:`AREA_MISMATCH_MIN_M2`, :data:`AREA_MISMATCH_SHARE` of the
    computed); *measure* is the size of the difference (m²). None when they agree."""
    difference = declared_m2 - computed_m2
    allowed = max(AREA_MISMATCH_MIN_M2, AREA_MISMATCH_SHARE * computed_m2)
    if abs(difference) <= allowed:
        return None
    gap = abs(difference)
    share = f"{gap / computed_m2:.1%}" if computed_m2 > 0 else None
    mu = f"{m2_to_mu(gap):,.2f} 亩" if gap >= 100 else None
    aside = ", ".join(x for x in (mu, share) if x)
    more_less = "more" if difference > 0 else "less"
    return ImportProblem(
        kind=ProblemKind.AREA_MISMATCH,
        message=(
            f"the declared area {_area(declared_m2)} is {gap:,.2f} m²"
            f"{f' ({aside})' if aside else ''} {more_less} than the area of the geometry, "
            f"{_area(computed_m2)} (allowed {allowed:,.2f} m²); the geometry's area is the "
            "one stored — check the drawing or the declared figure"
        ),
        row=row,
        parcel_code=_text(code),
        measure=abs(difference),
        unit="m2",
    )


# --- the problems found elsewhere, written here ---------------------------------------------


def missing_field_problem(
    target: str,
    *,
    columns: Sequence[str] | None = None,
    row: int | None = None,
    code: str | None = None,
) -> ImportProblem:
    """``missing_field``: no column maps to the required *target* (*row* None; *columns*
    the file's columns, listed in the message), or the feature on *row* leaves it empty."""
    if row is None:
        listed = ", ".join(columns) if columns else "(none)"
        message = (
            f"no column of the file is the {target}: none has a name known for it; the "
            f"file's columns: {listed}. Name the column with --map COLUMN={target} (or in "
            "the mapping file's [fields])"
        )
    else:
        message = f"the {target} is empty; every parcel needs one"
    return ImportProblem(
        kind=ProblemKind.MISSING_FIELD, message=message, row=row, parcel_code=_text(code)
    )


def unknown_land_use_problem(
    row: int, code: str | None, value: Any, *, lonlat: LonLat | None = None
) -> ImportProblem:
    """``unknown_land_use``: *value* is no GB/T 21010-2017 code or name and no class-map
    entry translates it."""
    return ImportProblem(
        kind=ProblemKind.UNKNOWN_LAND_USE,
        message=(
            f"land use {_quoted(value)} is not a GB/T 21010-2017 code or name (e.g. 0601 or "
            "工业用地); translate it with a class map (--class-map FILE.csv: source,code)"
        ),
        row=row,
        parcel_code=_text(code),
        other=_text(value),
        **_lonlat(lonlat),
    )


def invalid_value_problem(
    row: int,
    code: str | None,
    field: str,
    value: Any,
    reason: str,
    *,
    lonlat: LonLat | None = None,
) -> ImportProblem:
    """``invalid_value``: *field*'s *value* means nothing; *reason* says why and what is
    accepted (the translators' ValueError messages are such reasons)."""
    return ImportProblem(
        kind=ProblemKind.INVALID_VALUE,
        message=f"{field} {_quoted(value)}: {reason}",
        row=row,
        parcel_code=_text(code),
        other=_text(value),
        **_lonlat(lonlat),
    )


def overlap_existing_problem(
    row: int, code: str | None, other_code: str, area_m2: float, lonlat: LonLat | None
) -> ImportProblem:
    """``overlap_existing``: the feature shares *area_m2* with standing parcel
    *other_code* (which the file does not redraw)."""
    return ImportProblem(
        kind=ProblemKind.OVERLAP_EXISTING,
        message=(
            f"overlaps standing parcel {other_code} by {_area(area_m2)}; redraw the shared "
            f"boundary, or include {other_code} in the file with its new boundary"
        ),
        row=row,
        parcel_code=_text(code),
        measure=area_m2,
        unit="m2",
        other=other_code,
        **_lonlat(lonlat),
    )


def outside_park_problem(
    row: int, code: str | None, park: str, area_m2: float, lonlat: LonLat | None
) -> ImportProblem:
    """``outside_park``: *area_m2* of the feature lies outside park *park*'s boundary."""
    return ImportProblem(
        kind=ProblemKind.OUTSIDE_PARK,
        message=(
            f"{_area(area_m2)} of the parcel lies outside park {park}'s boundary, which no "
            "parcel may; check the park it is assigned to, or redraw it inside the boundary"
        ),
        row=row,
        parcel_code=_text(code),
        measure=area_m2,
        unit="m2",
        other=park,
        **_lonlat(lonlat),
    )


def crs_out_of_range_problem(
    crs: str,
    detail: str,
    *,
    row: int | None = None,
    code: str | None = None,
    lonlat: LonLat | None = None,
) -> ImportProblem:
    """``crs_out_of_range``: the coordinates cannot be meant in *crs* (outside its area of
    use, or without/with the wrong zone number); *detail* says how (the geometry
    package's message)."""
    return ImportProblem(
        kind=ProblemKind.CRS_OUT_OF_RANGE,
        message=(
            f"the coordinates are not where {crs} is meant for: {detail}. Give the CRS the "
            "file is really in with --crs"
        ),
        row=row,
        parcel_code=_text(code),
        other=crs,
        **_lonlat(lonlat),
    )


def code_retired_problem(
    row: int, code: str, *, retired_on: Any = None, lonlat: LonLat | None = None
) -> ImportProblem:
    """``code_retired``: *code* belonged to a parcel that was retired; codes are not
    reused, so the feature cannot be registered under it."""
    when = f" on {retired_on}" if retired_on is not None else ""
    return ImportProblem(
        kind=ProblemKind.CODE_RETIRED,
        message=(
            f"parcel code {code} belonged to a parcel retired{when}; codes are not reused — "
            "give the feature a new code"
        ),
        row=row,
        parcel_code=code,
        **_lonlat(lonlat),
    )


def park_differs_problem(
    row: int,
    code: str,
    file_park: str,
    standing_park: str,
    *,
    lonlat: LonLat | None = None,
) -> ImportProblem:
    """``park_differs``: the file puts standing parcel *code* in *file_park*, but it stands
    in *standing_park*; an import moves no parcel between parks."""
    return ImportProblem(
        kind=ProblemKind.PARK_DIFFERS,
        message=(
            f"the file puts parcel {code} in park {file_park}, but it stands in park "
            f"{standing_park}; an import does not move parcels between parks — it stays in "
            f"{standing_park}"
        ),
        row=row,
        parcel_code=code,
        other=standing_park,
        **_lonlat(lonlat),
    )


# --- helpers ---------------------------------------------------------------------------------


def _array(geoms: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    return array


def _only(geoms: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """*geoms* with None where *keep* is False: indexes stay the rows' own."""
    only = np.empty(len(geoms), dtype=object)
    only[keep] = geoms[keep]
    return only


def _bounds_centre(geom: Any) -> XY | None:
    if geom is None:
        return None
    minx, miny, maxx, maxy = shapely.bounds(geom)
    x, y = (minx + maxx) / 2, (miny + maxy) / 2
    return (float(x), float(y)) if np.isfinite(x) and np.isfinite(y) else None


def _area(area_m2: float) -> str:
    """An area for a message: m² to the hundredth, 亩 beside it when it is land-sized."""
    if abs(area_m2) >= 100:
        return f"{area_m2:,.2f} m² ({m2_to_mu(area_m2):,.2f} 亩)"
    return f"{area_m2:,.2f} m²"


def _in_brackets(code: str | None) -> str:
    text = _text(code)
    return f" ({text})" if text else ""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _quoted(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _lonlat(lonlat: LonLat | None) -> dict[str, float | None]:
    if lonlat is None:
        return {"lon": None, "lat": None}
    return {"lon": float(lonlat[0]), "lat": float(lonlat[1])}

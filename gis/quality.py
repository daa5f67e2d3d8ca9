"""How sound a set of polygons is: which are invalid (and where), empty or not polygons,
which overlap each other or a second set, and where narrow uncovered slivers lie between
neighbours.

Geometry only: these functions know no parcel, class or threshold of their own — the
caller passes the areas and widths that matter. They work on whole arrays with shapely 2's
vectorised functions, in a planar metric CRS (areas in m², distances in m), and report
indexes into the arrays they were given. Nothing is repaired.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: GEOS type ids of Polygon and MultiPolygon.
_POLYGONAL_IDS = (3, 6)
#: GEOS puts the place it found a problem at after the reason: "Self-intersection[x y]".
_LOCATION = re.compile(r"\[\s*(\S+)\s+(\S+)\s*\]\s*$")
#: Distance (m) within which a gap's edge counts as lying on a geometry's boundary: the
#: gap is cut from the union of the geometries, so its edges lie on theirs up to rounding.
_ON_EDGE_M = 1e-6
#: Length (m) a gap must share with a geometry's boundary for the geometry to count as a
#: neighbour of the gap; a neighbour that only meets the gap at a corner does not.
_SHARED_EDGE_M = 1e-3
#: How many geometries one piece of the gap search takes at most before it is split in four.
_GAP_TILE_GEOMS = 250


def as_array(geoms: Sequence[BaseGeometry | None] | np.ndarray) -> np.ndarray:
    """*geoms* as a 1-D numpy array of objects (None allowed), for shapely's vectorised
    functions."""
    if isinstance(geoms, np.ndarray) and geoms.dtype == object and geoms.ndim == 1:
        return geoms
    array = np.empty(len(geoms), dtype=object)
    array[:] = list(geoms)
    return array


def empty_indices(geoms: Sequence[BaseGeometry | None]) -> list[int]:
    """Indexes of the geometries that are None or empty."""
    array = as_array(geoms)
    missing = shapely.is_missing(array)
    empty = np.zeros(len(array), dtype=bool)
    empty[~missing] = shapely.is_empty(array[~missing])
    return np.flatnonzero(missing | empty).tolist()


def non_polygonal(geoms: Sequence[BaseGeometry | None]) -> list[tuple[int, str]]:
    """``(index, geometry type)`` of the non-empty geometries that are neither Polygon nor
    MultiPolygon (a LineString a CAD drawing left open, a Point, a GeometryCollection)."""
    array = as_array(geoms)
    present = _present(array)
    type_ids = shapely.get_type_id(array)
    wrong = present & ~np.isin(type_ids, _POLYGONAL_IDS)
    return [(int(i), array[i].geom_type) for i in np.flatnonzero(wrong)]


def invalid_reasons(
    geoms: Sequence[BaseGeometry | None],
) -> list[tuple[int, str, tuple[float, float] | None]]:
    """``(index, reason, (x, y) or None)`` of the non-empty geometries that are not valid:
    GEOS's reason (``shapely.is_valid_reason``, e.g. ``"Self-intersection[437512.3
    3801234.9]"``) and the place it names, parsed from the reason (None when it names none
    or a non-finite one)."""
    array = as_array(geoms)
    present = _present(array)
    invalid = np.zeros(len(array), dtype=bool)
    invalid[present] = ~shapely.is_valid(array[present])
    found = []
    for i in np.flatnonzero(invalid):
        reason = str(shapely.is_valid_reason(array[i]))
        found.append((int(i), reason, reason_location(reason)))
    return found


def reason_location(reason: str) -> tuple[float, float] | None:
    """The ``(x, y)`` GEOS names at the end of a validity reason (``"...[x y]"``), or None."""
    match = _LOCATION.search(reason)
    if not match:
        return None
    try:
        x, y = float(match.group(1)), float(match.group(2))
    except ValueError:
        return None
    return (x, y) if np.isfinite(x) and np.isfinite(y) else None


def sound_mask(geoms: Sequence[BaseGeometry | None]) -> np.ndarray:
    """Which geometries are present, non-empty, polygonal and valid: the ones the measures
    below take (a boolean array)."""
    array = as_array(geoms)
    ok = _present(array) & np.isin(shapely.get_type_id(array), _POLYGONAL_IDS)
    ok[ok] = shapely.is_valid(array[ok])
    return ok


def overlaps_within(
    geoms: Sequence[BaseGeometry | None], *, min_area_m2: float
) -> list[tuple[int, int, float, tuple[float, float]]]:
    """``(i, j, area, (x, y))`` for each pair ``i < j`` of sound geometries (see
    :func:`sound_mask`) that share more than *min_area_m2*: the area they share and a
    point inside it. Sorted by ``(i, j)``."""
    array = as_array(geoms)
    index = np.flatnonzero(sound_mask(array))
    sound = array[index]
    if len(sound) < 2:
        return []
    left, right = shapely.STRtree(sound).query(sound)
    keep = left < right
    found = _shared(sound[left[keep]], sound[right[keep]], min_area_m2)
    pairs = [(int(index[left[keep][n]]), int(index[right[keep][n]]), a, p) for n, a, p in found]
    return sorted(pairs)


def overlaps_against(
    geoms: Sequence[BaseGeometry | None],
    others: Sequence[BaseGeometry | None],
    *,
    min_area_m2: float,
) -> list[tuple[int, int, float, tuple[float, float]]]:
    """``(i, k, area, (x, y))`` for each sound geometry ``geoms[i]`` and sound geometry
    ``others[k]`` that share more than *min_area_m2*: the area and a point inside it.
    Sorted by ``(i, k)``."""
    array, other_array = as_array(geoms), as_array(others)
    index = np.flatnonzero(sound_mask(array))
    other_index = np.flatnonzero(sound_mask(other_array))
    if not len(index) or not len(other_index):
        return []
    sound, other_sound = array[index], other_array[other_index]
    left, right = shapely.STRtree(other_sound).query(sound)
    found = _shared(sound[left], other_sound[right], min_area_m2)
    pairs = [(int(index[left[n]]), int(other_index[right[n]]), a, p) for n, a, p in found]
    return sorted(pairs)


def narrow_gaps(
    geoms: Sequence[BaseGeometry | None],
    *,
    max_width_m: float = 1.0,
    min_area_m2: float = 0.01,
) -> list[tuple[float, tuple[float, float], list[int]]]:
    """Uncovered slivers narrower than *max_width_m* between neighbouring sound geometries:
    ``(area, (x, y) inside it, [indexes of the geometries it lies between])`` for each
    sliver of at least *min_area_m2* whose edge runs along two or more geometries. Sorted
    by the place (x, then y).

    A sliver is what a morphological closing of the geometries' union adds to the union:
    dilating by half the width and eroding back (mitred, so corners stay sharp) fills every
    opening narrower than the width. An opening that runs along only one geometry (an
    indented edge, a narrow hole inside one) is that geometry's shape, not a gap; the wide
    outside of a group of geometries is never filled. Slivers that meet are one: where
    every neighbour is drawn a little apart, the network of slivers between them is one gap.

    The search runs on square tiles of a few hundred geometries each, and finds each
    piece's neighbours in its tile, so its cost grows with the number of geometries, not
    with the size of their union; the pieces tile edges cut are joined again.
    """
    array = as_array(geoms)
    index = np.flatnonzero(sound_mask(array))
    sound = array[index]
    if len(sound) < 2:
        return []
    tree = shapely.STRtree(sound)
    bounds = shapely.bounds(sound)
    whole = (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max())
    pieces: list[BaseGeometry] = []
    touching: list[np.ndarray] = []
    _gap_pieces(sound, tree, whole, max_width_m, pieces, touching)
    if not pieces:
        return []
    # Pieces that tile edges cut touch along those edges: each group of touching pieces is
    # one gap (joined by index, not by a union, which would cost as much as the whole).
    parts = as_array(pieces)
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    group = _groups(len(parts), left, right)
    areas = shapely.area(parts)
    found = []
    for members in _members(group):
        area = float(areas[members].sum())
        between = sorted(set(index[np.concatenate([touching[m] for m in members])].tolist()))
        if len(between) >= 2 and area >= min_area_m2:
            largest = parts[members[int(np.argmax(areas[members]))]]
            x, y = shapely.get_coordinates(shapely.point_on_surface(largest))[0]
            found.append((area, (float(x), float(y)), between))
    return sorted(found, key=lambda f: f[1])


def _gap_pieces(
    sound: np.ndarray,
    tree: shapely.STRtree,
    tile: tuple[float, float, float, float],
    width: float,
    pieces: list[BaseGeometry],
    touching: list[np.ndarray],
) -> None:
    """Append to *pieces* the slivers the closing adds inside *tile*, and to *touching* the
    indexes (into *sound*) of the geometries each runs along, splitting the tile in four
    while it holds more than :data:`_GAP_TILE_GEOMS` geometries. The closing at a point
    depends only on the geometries within *width* of it, so taking every geometry near the
    tile (within twice the width) makes it exact inside the tile."""
    minx, miny, maxx, maxy = tile
    window = shapely.box(minx - 2 * width, miny - 2 * width, maxx + 2 * width, maxy + 2 * width)
    near = tree.query(window)
    if len(near) < 2:
        return
    if len(near) > _GAP_TILE_GEOMS and max(maxx - minx, maxy - miny) > 8 * width:
        midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
        for quarter in (
            (minx, miny, midx, midy),
            (midx, miny, maxx, midy),
            (minx, midy, midx, maxy),
            (midx, midy, maxx, maxy),
        ):
            _gap_pieces(sound, tree, quarter, width, pieces, touching)
        return
    union = shapely.union_all(sound[near])
    closed = shapely.buffer(
        shapely.buffer(union, width / 2, join_style="mitre"), -width / 2, join_style="mitre"
    )
    # Neighbouring tiles share their edges exactly, so pieces a tile edge cuts touch.
    core = shapely.box(minx, miny, maxx, maxy)
    added = shapely.intersection(shapely.difference(closed, union), core)
    if shapely.is_empty(added):
        return
    parts = shapely.get_parts(added)
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)]
    if not len(parts):
        return
    local = sound[near]
    part_at, geom_at = shapely.STRtree(local).query(parts, predicate="dwithin", distance=_ON_EDGE_M)
    # How far each part's edge runs along each geometry near it.
    shared = shapely.length(
        shapely.intersection(
            shapely.boundary(parts)[part_at],
            shapely.buffer(local[geom_at], _ON_EDGE_M, quad_segs=1),
        )
    )
    along = shared > _SHARED_EDGE_M
    for n, part in enumerate(parts):
        pieces.append(part)
        touching.append(near[geom_at[along & (part_at == n)]])


def _groups(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The connected groups of *n* items linked by the pairs ``(left[k], right[k])``: for
    each item, the smallest item of its group (union-find with path halving)."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(i) for i in range(n)], dtype=np.intp)


def _members(group: np.ndarray) -> list[np.ndarray]:
    """The items of each group (as :func:`_groups` numbers them), groups in order."""
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.diff(group[order])) + 1
    return np.split(order, cuts)


def _shared(
    a: np.ndarray, b: np.ndarray, min_area_m2: float
) -> list[tuple[int, float, tuple[float, float]]]:
    """``(n, area, point)`` for each pair ``a[n]``, ``b[n]`` sharing more than
    *min_area_m2*. Two geometries cannot share more than their bounding boxes do, so pairs
    whose boxes share no more (neighbours that only touch, above all) are dropped before
    any intersection is computed."""
    if not len(a):
        return []
    ba, bb = shapely.bounds(a), shapely.bounds(b)
    box_w = np.minimum(ba[:, 2], bb[:, 2]) - np.maximum(ba[:, 0], bb[:, 0])
    box_h = np.minimum(ba[:, 3], bb[:, 3]) - np.maximum(ba[:, 1], bb[:, 1])
    candidates = np.flatnonzero((box_w > 0) & (box_h > 0) & (box_w * box_h > min_area_m2))
    candidates = candidates[shapely.relate_pattern(a[candidates], b[candidates], "T********")]
    shared = shapely.intersection(a[candidates], b[candidates])
    areas = shapely.area(shared)
    big = areas > min_area_m2
    points = shapely.get_coordinates(shapely.point_on_surface(shared[big]))
    return [
        (int(n), float(area), (float(x), float(y)))
        for n, area, (x, y) in zip(candidates[big], areas[big], points, strict=True)
    ]


def _present(array: np.ndarray) -> np.ndarray:
    """Which entries are geometries (not None) and not empty."""
    present = ~shapely.is_missing(array)
    present[present] = ~shapely.is_empty(array[present])
    return present

"""Reading a surveyor's file into the import's features: the dataset found (an archive
unpacked without trusting it), read through GDAL (``gis.reading``), its columns mapped to
the targets (``parks.imports.mapping``), its values translated (``parks.imports.values``),
its geometry transformed to the storage CRS (``always_xy``), and its features checked on
their own (``parks.imports.checks`` measuring with ``gis.quality``) — every problem found
on the way, with its row and a place."""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gis import quality
from gis.crs import WGS84, outside_area_of_use, parse_crs, transform, transformer
from gis.errors import SourceError
from gis.reading import read_source
from gis.sources import ArchiveLimits, find_dataset, unpack_archive
from parks.imports.checks import (
    check_features,
    crs_out_of_range_problem,
    invalid_value_problem,
    missing_field_problem,
    unknown_land_use_problem,
)
from parks.imports.mapping import MappingError, parse_map_option, resolve_mapping
from parks.imports.problems import ImportProblem
from parks.imports.values import (
    LandUseTranslator,
    ValueMaps,
    is_empty,
    parse_area,
    parse_date,
    read_class_map,
    translate_status,
    translate_supply_mode,
)
from parks.landuse import LandUseClass
from service.exports.cells import CSV_TEXT_PREFIX, FORMULA_STARTS
from service.imports.options import ImportOptions
from service.imports.outcome import SourceFacts
from service.imports.staging import StagedFeature
from service.imports.uploads import without_folders

Progress = Callable[[str, int, int], None]

#: Features out of their CRS's area of use beyond this share are one problem of the whole
#: file (the CRS is wrong), not one per feature.
CRS_FILE_LEVEL_SHARE = 0.5
#: At most this many out-of-range rows are named in a problem of the whole file.
CRS_ROWS_NAMED = 10


@dataclass
class IncomingFile:
    """A file read for an import: how it was read, its features and what is wrong."""

    facts: SourceFacts
    features: list[StagedFeature]
    problems: list[ImportProblem] = field(default_factory=list)


def read_incoming(
    path: Path,
    options: ImportOptions,
    *,
    classes: list[LandUseClass],
    storage_srid: int,
    archive_limits: ArchiveLimits | None = None,
    progress: Progress | None = None,
) -> IncomingFile:
    """Read the dataset at *path* (a file, a folder, a ``.gdb``, or a ``.zip`` holding one)
    as an import's features. Raises :class:`~gis.errors.SourceError` (and its
    :class:`~gis.errors.ArchiveError`, :class:`~gis.errors.MissingCrs`) when it cannot be
    read as given, :class:`~parks.imports.mapping.MappingError` for an option that cannot
    be applied."""
    step = progress or (lambda _stage, _done, _total: None)
    path = Path(path)
    step("reading the file", 0, 1)
    with tempfile.TemporaryDirectory(prefix="parks-import-") as scratch:
        try:
            if path.is_file() and path.suffix.lower() == ".zip":
                dataset = find_dataset(
                    unpack_archive(path, Path(scratch), limits=archive_limits or ArchiveLimits())
                )
            else:
                dataset = find_dataset(path)
            source = read_source(
                dataset,
                layer=options.layer,
                encoding=options.encoding,
                crs_epsg=parse_crs(options.crs) if options.crs else None,
            )
        except SourceError as exc:
            raise without_folders(exc, Path(scratch)) from None
    step("reading the file", 1, 1)
    frame = _csv_unquoted(source.frame) if source.driver == "CSV" else source.frame
    rows = [int(r) for r in source.rows]
    geometry_column = frame.geometry.name
    columns = [str(c) for c in frame.columns if c != geometry_column]

    mapping_doc = _mapping_file(options.mapping_file)
    overrides = parse_map_option(list(options.maps))
    if options.park_field:
        overrides = {k: v for k, v in overrides.items() if v != "park"}
        overrides[options.park_field] = "park"
    mapping = resolve_mapping(columns, overrides=overrides, mapping_file=mapping_doc)
    value_maps = ValueMaps.from_mapping_file(mapping_doc)
    class_map = dict(value_maps.land_use)
    if options.class_map_file is not None:
        class_map.update(read_class_map(options.class_map_file, classes=classes))
    translator = LandUseTranslator(classes, class_map)

    if options.park:
        park_source = "option"
    elif "park" in mapping.targets:
        park_source = "field"
    else:
        park_source = "boundary"

    step("transforming geometry", 0, 1)
    src_epsg = int(source.crs_epsg)
    geoms_src = quality.as_array(list(frame.geometry.values))
    present = ~shapely.is_missing(geoms_src)
    geoms_src[present] = shapely.force_2d(geoms_src[present])
    geoms = geoms_src.copy()
    if present.any() and src_epsg != storage_srid:
        geoms[present] = transform(geoms_src[present], src_epsg, storage_srid)
    step("transforming geometry", 1, 1)

    to_lonlat = transformer(storage_srid, WGS84).transform
    places = _places(geoms, to_lonlat)
    problems = list(mapping.problems)
    problems += _crs_problems(geoms_src, rows, src_epsg, places)

    step("translating values", 0, len(frame))
    features, value_problems = _features(
        frame, rows, geoms, mapping.targets, options, translator, value_maps, places
    )
    problems += value_problems
    step("translating values", len(frame), len(frame))

    step("checking features", 0, 1)
    problems += check_features(
        rows,
        [f.parcel_code for f in features],
        list(geoms),
        quality=quality,
        to_lonlat=to_lonlat,
        declared_area_m2=[f.declared_area_m2 for f in features],
        storage_crs=f"EPSG:{storage_srid}",
    )
    step("checking features", 1, 1)
    facts = SourceFacts(
        name=path.name,
        layer=source.layer,
        driver=source.driver,
        features=len(features),
        encoding=source.encoding,
        encoding_source=source.encoding_source,
        crs=f"EPSG:{src_epsg}",
        crs_source=source.crs_source,
        park_source=park_source,
        mapping=dict(mapping.targets),
        untranslated_land_use=translator.untranslated,
    )
    return IncomingFile(facts=facts, features=features, problems=problems)


def _csv_unquoted(frame):
    """A CSV's text values without the quote a spreadsheet-safe export put before them.

    The one place a CSV's values are unquoted. A CSV export (ours:
    :mod:`service.exports.cells`; Excel users type the same) writes a text a spreadsheet
    would run as a formula — one beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return — behind a single quote, which is no part of the value: taken off
    here, for CSV sources only and only before such a character, so an exported CSV
    imported back changes nothing. (A value that really began with a quote and such a
    character cannot be told apart from a quoted one: it comes back without the quote.)"""
    frame = frame.copy()
    for name in frame.columns:
        if name != frame.geometry.name and not pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name].map(_unquoted, na_action="ignore")
    return frame


def _unquoted(value: Any) -> Any:
    if (
        isinstance(value, str)
        and value.startswith(CSV_TEXT_PREFIX)
        and value[len(CSV_TEXT_PREFIX) :].startswith(FORMULA_STARTS)
    ):
        return value[len(CSV_TEXT_PREFIX) :]
    return value


def _mapping_file(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        return tomllib.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"mapping file {Path(path).name}: not valid TOML ({exc})") from None


def _places(geoms: np.ndarray, to_lonlat) -> list[tuple[float, float] | None]:
    """A point (lon, lat) for each feature, the centre of its bounds (defined for invalid
    geometry too), for the problems of its values."""
    out: list[tuple[float, float] | None] = [None] * len(geoms)
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    bounds = shapely.bounds(geoms[present])
    xs = (bounds[:, 0] + bounds[:, 2]) / 2
    ys = (bounds[:, 1] + bounds[:, 3]) / 2
    lons, lats = to_lonlat(xs, ys)
    for i, lon, lat in zip(np.flatnonzero(present), lons, lats, strict=True):
        if np.isfinite(lon) and np.isfinite(lat):
            out[i] = (float(lon), float(lat))
    return out


def _crs_problems(
    geoms_src: np.ndarray, rows: list[int], epsg: int, places: list
) -> list[ImportProblem]:
    """``crs_out_of_range``: features whose coordinates lie outside the area *epsg* is meant
    for — one problem of the whole file when most of them do (the CRS is wrong), else one
    per feature."""
    present = ~shapely.is_missing(geoms_src)
    if not present.any():
        return []
    nonempty = np.zeros(len(geoms_src), dtype=bool)
    nonempty[present] = ~shapely.is_empty(geoms_src[present])
    if not nonempty.any():
        return []
    bounds = shapely.bounds(geoms_src[nonempty])
    # every corner of the bounds: a feature is out when any of its extent is
    xs = np.concatenate([bounds[:, 0], bounds[:, 2], bounds[:, 0], bounds[:, 2]])
    ys = np.concatenate([bounds[:, 1], bounds[:, 3], bounds[:, 3], bounds[:, 1]])
    out = outside_area_of_use(epsg, xs, ys).reshape(4, -1).any(axis=0)
    if not out.any():
        return []
    indexes = np.flatnonzero(nonempty)[out]
    crs = f"EPSG:{epsg}"
    if len(indexes) > CRS_FILE_LEVEL_SHARE * int(nonempty.sum()):
        named = ", ".join(str(rows[i]) for i in indexes[:CRS_ROWS_NAMED])
        more = f" and {len(indexes) - CRS_ROWS_NAMED} more" if len(indexes) > CRS_ROWS_NAMED else ""
        minx, miny = bounds[out, 0].min(), bounds[out, 1].min()
        maxx, maxy = bounds[out, 2].max(), bounds[out, 3].max()
        return [
            crs_out_of_range_problem(
                crs,
                f"{len(indexes)} of {int(nonempty.sum())} features (rows {named}{more}) lie "
                f"at x {minx:,.1f} to {maxx:,.1f}, y {miny:,.1f} to {maxy:,.1f}",
            )
        ]
    return [
        crs_out_of_range_problem(
            crs,
            "the feature lies outside the area the CRS is meant for",
            row=rows[i],
            lonlat=places[i],
        )
        for i in indexes
    ]


def _text(value: Any) -> str | None:
    """A file's value as text: None when empty; whole numbers without ".0" (a numeric DBF
    field holding codes)."""
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _features(
    frame,
    rows: list[int],
    geoms: np.ndarray,
    targets: dict[str, str],
    options: ImportOptions,
    translator: LandUseTranslator,
    value_maps: ValueMaps,
    places: list,
) -> tuple[list[StagedFeature], list[ImportProblem]]:
    """Each row's values translated; the problems of those that mean nothing."""
    problems: list[ImportProblem] = []
    n = len(frame)
    column = {t: frame[s].tolist() if s in frame else [None] * n for t, s in targets.items()}
    none = [None] * n

    def values(target: str) -> list:
        return column.get(target, none)

    codes, parks, uses = values("parcel_code"), values("park"), values("land_use_code")
    statuses, modes, holders = values("status"), values("supply_mode"), values("holder")
    dates, areas = values("supplied_on"), values("declared_area_m2")
    has_code, has_use = "parcel_code" in targets, "land_use_code" in targets
    features = []
    for i in range(n):
        row, place = rows[i], places[i]
        code = _text(codes[i])
        if code is None and has_code:
            problems.append(missing_field_problem("parcel_code", row=row))
        land_use = None
        if has_use:
            if is_empty(uses[i]):
                problems.append(missing_field_problem("land_use_code", row=row, code=code))
            else:
                land_use = translator.translate(uses[i])
                if land_use is None:
                    problems.append(unknown_land_use_problem(row, code, uses[i], lonlat=place))
        feature = StagedFeature(
            row=row,
            parcel_code=code,
            park=options.park or _text(parks[i]),
            land_use_code=land_use,
            holder=_text(holders[i]),
            geometry=geoms[i],
        )
        for target, parse, raw in (
            ("status", lambda v: translate_status(v, value_maps.status), statuses[i]),
            ("supply_mode", lambda v: translate_supply_mode(v, value_maps.supply_mode), modes[i]),
            ("supplied_on", parse_date, dates[i]),
            ("declared_area_m2", parse_area, areas[i]),
        ):
            try:
                setattr(feature, target, parse(raw))
            except ValueError as exc:
                problems.append(
                    invalid_value_problem(row, code, target, raw, str(exc), lonlat=place)
                )
        features.append(feature)
    return features, problems

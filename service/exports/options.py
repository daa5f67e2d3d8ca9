"""What an export is asked for — format, layers, field names, CRS, encoding, moment, park —
checked once for the API and the command line, and what follows from it: the file's name,
its media type, whether it comes zipped.

A wrong value is an :class:`~parks.errors.InvalidParameter` naming the API's parameter
(``as_of``, ``crs``, ``encoding`` …); the command line shows it as a usage error of the
matching option (``--as-of``).

The choices, as the README's "Export" section documents them:

* **CRS.** GeoJSON is EPSG:4326 (RFC 7946), always. An xlsx holds no geometry but a point
  inside each feature as longitude/latitude (EPSG:4326), always. GeoPackage, Shapefile and
  CSV (WKT) default to the storage CRS (EPSG:4545), where official areas are measured, and
  take any EPSG CRS whose area of use covers the parks. Areas are the planar storage-CRS
  areas, whatever the CRS of the coordinates.
* **Layers.** ``all`` is every layer: one GeoPackage with three layers, one workbook with
  a sheet each, or — for the formats holding one layer — a zip of one file (set) per layer.
* **as_of.** Parcels keep their history; factory buildings, leases and key projects do not.
  ``as_of`` therefore applies to the parcels layer only, and is refused with another layer
  (``all`` included) rather than passing today's buildings off as those of the past.
  A moment in the future is refused: what stood then is not known yet.
* **Encoding.** UTF-8 (default) or GB18030 for a Shapefile (named in its .cpg) and a CSV;
  the other formats are UTF-8. A UTF-8 CSV starts with a byte-order mark so that Excel
  reads its Chinese; GDAL and pandas skip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from parks.errors import InvalidParameter


class ExportFormat(StrEnum):
    """The file formats an export is written in."""

    GPKG = "gpkg"
    SHP = "shp"
    GEOJSON = "geojson"
    CSV = "csv"
    XLSX = "xlsx"


class ExportLayer(StrEnum):
    """What an export holds: one layer, or ``all`` of them."""

    PARCELS = "parcels"
    BUILDINGS = "buildings"
    PROJECTS = "projects"
    ALL = "all"

    def layers(self) -> tuple[ExportLayer, ...]:
        """The single layers this stands for."""
        if self is ExportLayer.ALL:
            return (ExportLayer.PARCELS, ExportLayer.BUILDINGS, ExportLayer.PROJECTS)
        return (self,)


class FieldNames(StrEnum):
    """The names fields (and values) are written with: English or Chinese."""

    EN = "en"
    ZH = "zh"


class TextEncoding(StrEnum):
    """The encodings a Shapefile's .dbf or a CSV may be written in."""

    UTF8 = "UTF-8"
    GB18030 = "GB18030"


#: What each format is sent as.
MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.GPKG: "application/geopackage+sqlite3",
    ExportFormat.SHP: "application/zip",
    ExportFormat.GEOJSON: "application/geo+json",
    ExportFormat.CSV: "text/csv",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ZIP_MEDIA_TYPE = "application/zip"
#: What a file of every layer is named for: ``export-caijiapo-2025-12-31.gpkg``.
ALL_STEM = "export"
#: The formats whose file holds several layers.
MULTI_LAYER = frozenset({ExportFormat.GPKG, ExportFormat.XLSX})
#: The formats whose text may be written in another encoding than UTF-8.
ENCODED = frozenset({ExportFormat.SHP, ExportFormat.CSV})
#: The formats whose coordinates are always longitude/latitude (EPSG:4326).
LONLAT_ONLY = frozenset({ExportFormat.GEOJSON, ExportFormat.XLSX})
WGS84 = 4326

#: A file name's endings → (format, zipped). The longest matching ending wins.
SUFFIXES: dict[str, tuple[ExportFormat, bool]] = {
    ".gpkg": (ExportFormat.GPKG, False),
    ".shp": (ExportFormat.SHP, False),
    ".zip": (ExportFormat.SHP, True),
    ".shp.zip": (ExportFormat.SHP, True),
    ".geojson": (ExportFormat.GEOJSON, False),
    ".json": (ExportFormat.GEOJSON, False),
    ".geojson.zip": (ExportFormat.GEOJSON, True),
    ".csv": (ExportFormat.CSV, False),
    ".csv.zip": (ExportFormat.CSV, True),
    ".xlsx": (ExportFormat.XLSX, False),
}


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export, checked (:func:`export_request`)."""

    format: ExportFormat
    layer: ExportLayer
    fields: FieldNames
    srid: int
    encoding: TextEncoding
    as_of: datetime | None
    park: str | None
    #: Written as a zip: a Shapefile's files, or one file per layer of a one-layer format.
    zipped: bool
    #: The CRS areas are measured in (the storage CRS).
    storage_srid: int = 4545

    @property
    def layers(self) -> tuple[ExportLayer, ...]:
        """The single layers written."""
        return self.layer.layers()

    @property
    def media_type(self) -> str:
        """The file's media type (a CSV's names its charset)."""
        if self.zipped:
            return ZIP_MEDIA_TYPE
        if self.format is ExportFormat.CSV:
            return f"text/csv; charset={self.encoding.value.lower()}"
        return MEDIA_TYPES[self.format]

    def file_name(self, *, zone: str, layer: ExportLayer | None = None, now=None) -> str:
        """The download's name: ``parcels-caijiapo-2025-12-31.gpkg`` — the layer (``export``
        for all of them), the park (``all``), the day of ``as_of`` (default today) in *zone*,
        the format's ending (``.shp.zip`` for a zipped Shapefile, ``.geojson.zip`` …)."""
        return self.stem(zone=zone, layer=layer, now=now) + self.suffix

    def stem(self, *, zone: str, layer: ExportLayer | None = None, now=None) -> str:
        """:meth:`file_name` without its ending (*layer*: a member of a zip)."""
        day = export_day(self.as_of, zone=zone, now=now)
        layer = layer or self.layer
        what = ALL_STEM if layer is ExportLayer.ALL else layer.value
        return f"{what}-{self.park or 'all'}-{day.isoformat()}"

    @property
    def suffix(self) -> str:
        """The ending of the file written: ``.gpkg``, ``.shp.zip``, ``.csv`` …"""
        return f".{self.format.value}" + (".zip" if self.zipped else "")


def export_day(as_of: datetime | None, *, zone: str, now: datetime | None = None) -> date:
    """The day an export shows, in *zone*: that of *as_of*, or today."""
    moment = as_of or now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(zone)).date()


def parse_choice(value: str | None, choices: type[StrEnum], *, parameter: str, default):
    """*value* as one of *choices* (any case, blanks around ignored); *default* when empty."""
    if value is None or value.strip() == "":
        return default
    wanted = value.strip().lower()
    for choice in choices:
        if choice.value.lower() == wanted:
            return choice
    known = ", ".join(c.value for c in choices)
    raise InvalidParameter(parameter, f"{value!r}: use one of {known}")


def format_from_path(name: str) -> tuple[ExportFormat, bool]:
    """(format, zipped) from a file name's ending (``--out``): .gpkg, .shp (the files of a
    Shapefile), .zip or .shp.zip (a zipped Shapefile), .geojson/.json, .csv, .xlsx, and
    .geojson.zip or .csv.zip (one file per layer, zipped)."""
    lowered = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            return SUFFIXES[suffix]
    raise InvalidParameter(
        "out",
        f"{name!r}: end the file name with .gpkg, .shp, .zip (a zipped Shapefile), "
        ".geojson, .csv, .xlsx, or .geojson.zip/.csv.zip (a file per layer)",
    )


def export_request(
    *,
    format: ExportFormat,
    layer: ExportLayer = ExportLayer.PARCELS,
    fields: FieldNames = FieldNames.EN,
    srid: int | None,
    storage_srid: int,
    encoding: TextEncoding | None = None,
    as_of: datetime | None = None,
    park: str | None = None,
    zipped: bool | None = None,
    now: datetime | None = None,
) -> ExportRequest:
    """The export asked for, checked: the rules between the parameters (a CRS for GeoJSON
    or xlsx, an encoding for a UTF-8-only format, ``as_of`` with buildings or projects or in
    the future). *srid* None: the format's default CRS. *zipped* None: as the API sends it
    (a Shapefile zipped, and ``all`` of a one-layer format zipped); the command line says
    it from the file name, and a one-layer file can't hold ``all``. *park* and whether
    PostGIS knows *srid* are checked by the caller, who has the connection.
    """
    if format in LONLAT_ONLY:
        if srid is not None and srid != WGS84:
            what = "GeoJSON is" if format is ExportFormat.GEOJSON else "an xlsx's points are"
            raise InvalidParameter(
                "crs", f"{what} always EPSG:4326 (longitude/latitude); EPSG:{srid} can't be used"
            )
        srid = WGS84
    elif srid is None:
        srid = storage_srid
    if encoding is None:
        encoding = TextEncoding.UTF8
    elif encoding is not TextEncoding.UTF8 and format not in ENCODED:
        raise InvalidParameter(
            "encoding", f"{format.value} files are UTF-8; {encoding.value} is for shp and csv"
        )
    if as_of is not None:
        if layer is not ExportLayer.PARCELS:
            raise InvalidParameter(
                "as_of",
                "only parcels keep their history; factory buildings and key projects can be "
                f"exported as they are now: leave as_of out for layer {layer.value}",
            )
        try:
            as_of.astimezone(UTC)
        except OverflowError:  # 0001-01-01 with a zone east of UTC: before the year 1
            raise InvalidParameter("as_of", f"{as_of.isoformat()} is out of range") from None
        current = now or datetime.now(UTC)
        if as_of > current:
            raise InvalidParameter(
                "as_of",
                f"{as_of.isoformat()} is in the future (a date alone means the end of that "
                "day); leave as_of out for the parcels as they stand now",
            )
    if zipped is None:
        zipped = format is ExportFormat.SHP or (
            layer is ExportLayer.ALL and format not in MULTI_LAYER
        )
    elif layer is ExportLayer.ALL and format not in MULTI_LAYER and not zipped:
        raise InvalidParameter(
            "layer",
            f"a .{format.value} file holds one layer: write layer all to .gpkg, .xlsx or "
            f".{format.value}.zip (a file per layer)",
        )
    return ExportRequest(
        format=format,
        layer=layer,
        fields=fields,
        srid=srid,
        encoding=encoding,
        as_of=as_of,
        park=park,
        zipped=zipped,
        storage_srid=storage_srid,
    )

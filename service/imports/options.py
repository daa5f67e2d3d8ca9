"""The options of an import — the CLI's flags and the API's form fields, one set — checked
before a byte of the file is read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gis.crs import parse_crs
from gis.errors import UnknownCRS
from parks.errors import InvalidParameter
from parks.vocabulary import ParcelStatus


@dataclass(frozen=True)
class ImportOptions:
    """How to read, map and apply one file.

    *park* puts every feature in that park; *park_field* names the column that says each
    feature's park; with neither, a feature's park is the park whose boundary holds most of
    it. *maps* are ``SOURCE=TARGET`` overrides; *mapping_file* a TOML mapping file
    (``[fields]``, ``[values.<target>]``); *class_map_file* a CSV of source value → land-use
    code. *crs* the file's CRS when it carries none (or to override it), *encoding* its
    text's when it has no .cpg. *status* the status of new parcels whose feature gives none
    (default ``reserve``). *retire_missing* retires the standing parcels of the file's parks
    the file leaves out; *skip_invalid* leaves the features with blocking problems out
    instead of refusing the whole file."""

    layer: str | None = None
    park: str | None = None
    park_field: str | None = None
    maps: tuple[str, ...] = ()
    mapping_file: Path | None = None
    class_map_file: Path | None = None
    crs: str | None = None
    encoding: str | None = None
    status: str | None = None
    retire_missing: bool = False
    skip_invalid: bool = False
    reason: str | None = None
    document_no: str | None = None
    #: The names the mapping and class map files came with (an upload's part names), for
    #: the record; their paths are temporary.
    names: dict[str, str] = field(default_factory=dict)

    def checked(self, *, max_reason_chars: int = 2000, max_text_chars: int = 500) -> ImportOptions:
        """These options, or :class:`InvalidParameter` naming the one that is wrong."""
        if self.park and self.park_field:
            raise InvalidParameter(
                "park",
                "give --park (every feature's park) or --park-field (the column that "
                "says it), not both",
            )
        if self.crs:
            try:
                parse_crs(self.crs)
            except UnknownCRS as exc:
                raise InvalidParameter("crs", f"{exc} (e.g. EPSG:4545)") from None
        if self.status is not None and self.status not in {s.value for s in ParcelStatus}:
            raise InvalidParameter(
                "status",
                f"unknown status {self.status!r}; one of "
                + ", ".join(s.value for s in ParcelStatus),
            )
        if self.reason is not None and len(self.reason) > max_reason_chars:
            raise InvalidParameter(
                "reason", f"longer than {max_reason_chars} characters (PARKS_MAX_REASON_CHARS)"
            )
        if self.document_no is not None and len(self.document_no) > max_text_chars:
            raise InvalidParameter(
                "document_no", f"longer than {max_text_chars} characters (PARKS_MAX_TEXT_CHARS)"
            )
        for name, path in (("mapping", self.mapping_file), ("class_map", self.class_map_file)):
            if path is not None and not Path(path).is_file():
                raise InvalidParameter(name, f"no such file: {path}")
        if self.encoding:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise InvalidParameter(
                    "encoding", f"unknown encoding {self.encoding!r} (e.g. UTF-8, GBK, GB18030)"
                ) from None
        return self

    @property
    def default_status(self) -> str:
        """The status of a new parcel whose feature gives none."""
        return self.status or ParcelStatus.RESERVE.value

    def as_json(self) -> dict[str, Any]:
        """The options as stored with the import (files by name, not by temporary path)."""
        return {
            "layer": self.layer,
            "park": self.park,
            "park_field": self.park_field,
            "map": list(self.maps),
            "mapping": self.names.get("mapping")
            or (Path(self.mapping_file).name if self.mapping_file else None),
            "class_map": self.names.get("class_map")
            or (Path(self.class_map_file).name if self.class_map_file else None),
            "crs": self.crs,
            "encoding": self.encoding,
            "status": self.status,
            "retire_missing": self.retire_missing,
            "skip_invalid": self.skip_invalid,
            "reason": self.reason,
            "document_no": self.document_no,
        }

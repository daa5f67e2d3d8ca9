"""Errors of the gis package: one base class, one subclass per condition."""

from __future__ import annotations


class GisError(ValueError):
    """Base of every error raised by :mod:`gis`."""


class UnknownCRS(GisError):
    """A CRS that pyproj does not know, or one the caller does not accept."""


class ImplausibleCoordinates(GisError):
    """Coordinates that cannot be meant in the CRS they are declared in (longitudes and
    latitudes sent as metres, eastings without their zone number, a place outside the area
    the CRS is made for); the message names the CRS."""


class InvalidGeometry(GisError):
    """Geometry that is malformed, of the wrong type, or not valid (with the reason)."""


class FileFormatError(GisError):
    """A file that cannot be read as the layer it should hold."""


class SourceError(GisError):
    """A file handed over that cannot be used as given; the message says why and what to do
    (which part is missing, which datasets or layers were found, which encoding or CRS to
    give)."""


class ArchiveError(SourceError):
    """An archive that is unsafe or unusable: members with absolute names or ``..`` in
    them, links, too many members, more bytes than allowed, or a compression ratio that
    looks like a zip bomb. Nothing of it is left written when this is raised."""


class MissingCrs(SourceError):
    """A layer with no CRS in the file and none given. The message explains what the
    coordinates look like; :attr:`suggestion` is the likely CRS (``"EPSG:4524"``) or None."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion

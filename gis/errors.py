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

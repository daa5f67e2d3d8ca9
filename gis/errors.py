"""Errors of the gis package: one base class, one subclass per condition."""

from __future__ import annotations


class GisError(ValueError):
    """Base of every error raised by :mod:`gis`."""


class UnknownCRS(GisError):
    """A CRS that pyproj does not know, or one the caller does not accept."""


class InvalidGeometry(GisError):
    """Geometry that is malformed, of the wrong type, or not valid (with the reason)."""


class FileFormatError(GisError):
    """A file that cannot be read as the layer it should hold."""

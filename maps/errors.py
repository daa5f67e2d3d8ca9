"""Errors of the maps package: one base class, one subclass per condition."""

from __future__ import annotations


class MapError(Exception):
    """Base of every error raised by :mod:`maps`. ``code`` is the machine-readable name of
    the condition (the ``error`` of an API body)."""

    code = "map_error"


class MapOptionError(MapError):
    """A map option that cannot be honoured (basemap, tile URL, asset base)."""

    code = "invalid_map_option"


class MissingAsset(MapError):
    """A local asset to inline is not there (the vendored front-end libraries are not
    installed: run ``make web``, i.e. ``scripts/vendor-web.sh``)."""

    code = "assets_not_installed"

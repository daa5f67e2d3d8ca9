"""The ``parks`` command line (the console script is ``service.cli:app``)."""

from service.cli import (
    auditing,  # noqa: F401 (registers `parks audit keygen` and `parks audit digest`)
    exporting,  # noqa: F401 (registers `parks export`)
    importing,  # noqa: F401 (registers `parks import`)
    operations,  # noqa: F401 (registers `parks backup` and `parks restore`)
    qgis,  # noqa: F401 (registers `parks qgis-project`)
    users,  # noqa: F401 (registers `parks user`)
)
from service.cli.commands import app

__all__ = ["app"]

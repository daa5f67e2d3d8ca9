"""The ``parks`` command line (the console script is ``service.cli:app``)."""

from service.cli.commands import app

__all__ = ["app"]

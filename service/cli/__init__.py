"""The ``parks`` command line (the console script is ``service.cli:app``)."""

from service.cli import (
    auditing,  # noqa: F401 (registers `parks audit keygen` and `parks audit digest`)
    evaluation,  # noqa: F401 (registers `parks evaluation`)
    exporting,  # noqa: F401 (registers `parks export`)
    figures,  # noqa: F401 (registers `parks figures`)
    importing,  # noqa: F401 (registers `parks import`)
    operations,  # noqa: F401 (registers `parks backup` and `parks restore`)
    project_dispatch,  # noqa: F401 (registers `parks projects dispatch`)
    project_ranking,  # noqa: F401 (registers `parks projects ranking`, `assessment`, `visit-list`)
    projects,  # noqa: F401 (registers the `parks projects` group)
    qgis,  # noqa: F401 (registers `parks qgis-project`)
    supervision,  # noqa: F401 (registers `parks supervision`)
    users,  # noqa: F401 (registers `parks user`)
)
from service.cli.commands import app

__all__ = ["app"]

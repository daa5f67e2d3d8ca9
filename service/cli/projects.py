"""``parks projects ...``: key projects under the city's review rhythm from the command
line — the monthly dispatch report (``dispatch``), the quarterly ranking (``ranking``),
the yearly assessment (``assessment``) and the weekly visit list (``visit-list``).

The group is registered on the ``parks`` app here; each command is registered by its own
module (``service/cli/project_dispatch.py``, ``service/cli/project_ranking.py``), imported
by ``service/cli/__init__.py``. Exit codes as every ``parks`` command's: 0 done, 2 a wrong
option named, 1 a file that can't be written, 4 the database out of reach.
"""

from __future__ import annotations

import typer

from service.cli.commands import app

projects_app = typer.Typer(
    help="Key projects (重点项目): 月调度, 季评比, 年考核, 周观摩.", no_args_is_help=True
)
app.add_typer(projects_app, name="projects")

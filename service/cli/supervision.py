"""``parks supervision ...``: land supervision from the command line (the monthly report).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
"""

from __future__ import annotations

import typer

from service.cli.commands import app

supervision_app = typer.Typer(help="Land supervision (土地监管).", no_args_is_help=True)
app.add_typer(supervision_app, name="supervision")

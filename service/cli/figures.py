"""``parks figures ...``: enterprises' yearly figures (亩均效益 data).

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
"""

from __future__ import annotations

import typer

from service.cli.commands import app

figures_app = typer.Typer(help="Enterprises' yearly figures (亩均效益 data).", no_args_is_help=True)
app.add_typer(figures_app, name="figures")

"""``parks evaluation ...``: the yearly 亩均效益 evaluation from the command line.

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
"""

from __future__ import annotations

import typer

from service.cli.commands import app

evaluation_app = typer.Typer(help="The 亩均效益 evaluation.", no_args_is_help=True)
app.add_typer(evaluation_app, name="evaluation")

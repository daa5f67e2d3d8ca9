"""The web folder (``web/``: page templates and static files) and the one Jinja environment,
autoescaping on, that renders every HTML page of the service."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_DIR = WEB_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
APP_DIR = STATIC_DIR / "map"


@cache
def templates() -> Environment:
    """The environment of ``web/templates``: every text put into a page is escaped."""
    return Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(["html"])
    )

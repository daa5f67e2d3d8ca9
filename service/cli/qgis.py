"""``parks qgis-project``: a QGIS project file (``.qgs``, QGIS 3.22 and later) whose layers
are connected to a running service — parks, parcels styled by land use, factory
buildings, key projects and the context layers as OGC API – Features layers, and the
parcels' vector tiles — opening on the parks in the storage CRS.

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
The file is made from the database (the classes the parcels have, the context layers,
the parks); the service need not run while it is written, only when QGIS opens it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from service.cli.commands import EXIT_INVALID, app, console, err, handled
from service.db.engine import get_engine
from service.settings import get_settings


def default_base_url() -> str:
    """Where ``parks serve`` listens (``PARKS_HOST``, ``PARKS_PORT``); a wildcard address
    is reached at 127.0.0.1."""
    settings = get_settings()
    host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def _checked_base_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise typer.BadParameter(
            f"{value!r} is not an http(s) URL such as http://127.0.0.1:8000",
            param_hint="--base-url",
        )
    if parts.query or parts.fragment:
        raise typer.BadParameter("the base URL takes no query or fragment", param_hint="--base-url")
    return value.strip().rstrip("/")


@app.command("qgis-project")
def qgis_project(
    out: Annotated[Path, typer.Option(help="the .qgs file to write")],
    base_url: Annotated[
        str | None,
        typer.Option(
            help="the service's address as QGIS will reach it (default: where `parks serve` "
            "listens, PARKS_HOST and PARKS_PORT)"
        ),
    ] = None,
) -> None:
    """Write a QGIS project whose layers read this service: parks, key projects by status,
    factory buildings by vacancy, context layers and parcels by land use (OGC API –
    Features, /ogc), and the parcels' vector tiles (/tiles, switched off)."""
    from service.maps.styles import qgis_project_file

    url = _checked_base_url(base_url or default_base_url())
    if out.suffix.lower() != ".qgs":
        raise typer.BadParameter("the project file must end in .qgs", param_hint="--out")
    settings = get_settings()
    with handled():
        with get_engine().connect() as conn:
            body = qgis_project_file(conn, base_url=url, storage_srid=settings.storage_srid)
        try:
            out.write_bytes(body)
        except OSError as exc:  # a folder that can't be written, a full disk
            err.print(f"[red]cannot write {out}: {exc.strerror or exc}[/red]")
            raise typer.Exit(EXIT_INVALID) from None
    console.print(f"wrote {out}: a QGIS project on {url} (EPSG:{settings.storage_srid})")

"""``parks export``: parcels (as they stand, or as they stood at a moment), factory
buildings and key projects written to a GeoPackage, Shapefile, GeoJSON, CSV or xlsx file.

Registered on the ``parks`` app by importing this module (``service/cli/__init__.py``).
A wrong option is a usage error (exit 2) naming it; a file that can't be written exits 1;
the database out of reach exits 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parks.errors import InvalidParameter
from service.cli.commands import EXIT_INVALID, app, console, err, handled
from service.db.engine import get_engine
from service.exports.options import ExportLayer, FieldNames, TextEncoding, format_from_path
from service.settings import get_settings

#: The option of each parameter a check may name.
OPTIONS = {
    "as_of": "--as-of",
    "crs": "--crs",
    "encoding": "--encoding",
    "fields": "--fields",
    "layer": "--layer",
    "out": "--out",
    "park": "--park",
}


def _usage(exc: InvalidParameter) -> typer.BadParameter:
    message = exc.message.removeprefix(f"{exc.parameter}: ")
    hint = OPTIONS.get(exc.parameter, f"--{exc.parameter.replace('_', '-')}")
    return typer.BadParameter(message, param_hint=hint)


@app.command("export")
def export(
    out: Annotated[
        Path,
        typer.Option(
            help="the file to write; its ending says the format: .gpkg, .shp (the files of a "
            "Shapefile), .zip or .shp.zip (a zipped Shapefile), .geojson, .csv, .xlsx, or "
            ".geojson.zip/.csv.zip (a file per layer)"
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            help="the parcels as they stood then: ISO 8601 date (its end) or time, in "
            "PARKS_TIMEZONE unless it says its zone; parcels only"
        ),
    ] = None,
    park: Annotated[str | None, typer.Option(help="one park's code (default: every park)")] = None,
    layer: Annotated[
        ExportLayer,
        typer.Option(case_sensitive=False, help="what to write; all: every layer"),
    ] = ExportLayer.PARCELS,
    fields: Annotated[
        FieldNames,
        typer.Option(
            case_sensitive=False,
            help="field names (and status and supply-mode values) in English or Chinese",
        ),
    ] = FieldNames.EN,
    crs: Annotated[
        str | None,
        typer.Option(
            help="the coordinates' CRS, e.g. EPSG:4490 (default: the storage CRS; GeoJSON and "
            "xlsx are always EPSG:4326)"
        ),
    ] = None,
    encoding: Annotated[
        TextEncoding,
        typer.Option(case_sensitive=False, help="text encoding of a Shapefile or CSV"),
    ] = TextEncoding.UTF8,
) -> None:
    """Export parcels (now, or as of a moment), factory buildings or key projects to a file
    for GIS tools and spreadsheets; an exported file imported back changes nothing."""
    from service.audit.queries import parse_moment
    from service.exports.requests import checked_request
    from service.exports.writing import write_export

    settings = get_settings()
    with handled():
        try:
            format, zipped = format_from_path(out.name)
            moment = parse_moment(as_of, parameter="as_of", zone=settings.timezone, end_of_day=True)
            with get_engine().connect() as conn:
                request = checked_request(
                    conn,
                    format=format,
                    storage_srid=settings.storage_srid,
                    layer=layer,
                    fields=fields,
                    crs=crs,
                    encoding=encoding,
                    as_of=moment,
                    park=park,
                    zipped=zipped,
                )
                with err.status("reading", spinner="dots") as status:
                    result = write_export(
                        conn,
                        request,
                        out=out,
                        zone=settings.timezone,
                        progress=lambda stage: status.update(stage),
                    )
        except InvalidParameter as exc:
            raise _usage(exc) from None
        except OSError as exc:  # a folder that can't be written, a full disk
            err.print(f"[red]cannot write {out}: {exc.strerror or exc}[/red]")
            raise typer.Exit(EXIT_INVALID) from None
    counts = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
    when = f"as of {moment.isoformat()}" if moment else "as they stand now"
    console.print(
        f"wrote {out}: {counts} ({when}; EPSG:{request.srid}, fields {request.fields.value}"
        + (f", {request.encoding.value}" if request.format.value in ("shp", "csv") else "")
        + ")"
    )
    companions = [p.name for p in result.files if p != out]
    if companions:
        console.print(f"with {', '.join(companions)}")

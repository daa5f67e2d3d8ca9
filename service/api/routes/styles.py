"""The map's styles for desktop GIS (after OGC API – Styles): the list of styles, and the
land-use style as a Mapbox/MapLibre GL style over the vector tiles (for QGIS's vector-tile
layers and MapLibre) or as an SLD 1.1 legend (for QGIS's OGC API – Features and WFS
layers)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from parks.errors import NotFound
from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS
from service.api.routes.tiles import cache_control
from service.maps import styles

router = APIRouter(tags=["styles"], responses=READ_ERRORS)


class StyleFormat(StrEnum):
    """A style's encodings: ``mapbox`` (GL style JSON), ``sld`` (SLD 1.1)."""

    MAPBOX = "mapbox"
    SLD = "sld"


@router.get("/ogc/styles")
def list_styles(request: Request, _reader: ReaderDep) -> dict:
    """The styles: each one's id, title, description and a ``stylesheet`` link per
    encoding (``f=mapbox``: ``application/vnd.mapbox.style+json``; ``f=sld``:
    ``application/vnd.ogc.sld+xml;version=1.1``); ``default`` names the default one."""
    return styles.styles_list(str(request.base_url))


@router.get(
    "/ogc/styles/{style_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the style in the encoding asked for",
            "content": {
                styles.GL_MEDIA_TYPE: {"schema": {"type": "object"}},
                styles.STYLE_FORMATS["sld"][0]: {"schema": {"type": "string"}},
            },
        },
        **NOT_FOUND,
    },
)
def get_style(
    request: Request,
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    style_id: Annotated[str, Path(max_length=64, description="a style's id: landuse")],
    f: Annotated[
        StyleFormat, Query(description="mapbox (GL style, the default) or sld (SLD 1.1)")
    ] = StyleFormat.MAPBOX,
) -> Response:
    """Style *style_id*: a Mapbox/MapLibre GL style (version 8) whose sources are the
    service's vector tiles (absolute URLs) — parcels filled by land-use class in the web
    map's colours, manufacturing land thickly outlined, factory buildings, key projects by
    status, context layers, park boundaries; QGIS 3.22 converts all of it — or, with
    ``f=sld``, the parcels' land-use legend as SLD 1.1 (a rule per class the parcels have,
    manufacturing land outlined and hatched)."""
    if style_id not in styles.STYLES:
        raise NotFound(f"style: no style {style_id!r} (styles: {', '.join(styles.STYLES)})")
    headers = {"Cache-Control": cache_control(reads_need_token=settings.reads_need_token)}
    if f is StyleFormat.SLD:
        return Response(
            styles.landuse_sld(conn), media_type=styles.STYLE_FORMATS["sld"][0], headers=headers
        )
    document = styles.landuse_gl_style(
        conn, base_url=str(request.base_url), storage_srid=settings.storage_srid
    )
    return JSONResponse(document, media_type=styles.GL_MEDIA_TYPE, headers=headers)

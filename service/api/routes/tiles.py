"""Vector tiles of the map's layers (Mapbox Vector Tiles made by PostGIS)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from service.api.deps import ReadConnDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS, ParkDep, TileDep
from service.maps import tiles
from service.maps.tilejson import tilejson
from service.observability import metrics

router = APIRouter(tags=["map"], responses=READ_ERRORS)

#: Tiles change when a change set commits; a minute of caching keeps the map fresh.
MAX_AGE_S = 60


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={
        200: {"content": {tiles.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
        304: {"description": "the tile is unchanged (If-None-Match)"},
        **NOT_FOUND,
    },
)
def vector_tile(
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    layer: Annotated[
        str, Path(description="parcels, buildings, projects, parks or a context layer")
    ],
    tile: TileDep,
    park: ParkDep,
    if_none_match: Annotated[str | None, Header()] = None,
    accept_encoding: Annotated[str | None, Header()] = None,
) -> Response:
    """One Mapbox Vector Tile of *layer* (EPSG:3857 tile grid, extent 4096), with the same
    properties as the layer's API, simplified for the zoom. Tiles are made once per change
    of the data they show and kept for every worker (``PARKS_TILE_CACHE_MAX_MB``); sent
    gzipped to a client that accepts it. Cached for a minute; the ETag (from the tile's
    content) answers a conditional request with 304."""
    made = tiles.cached_tile(
        conn,
        layer=layer,
        tile=tile,
        storage_srid=settings.storage_srid,
        park=park,
        cache_max_mb=settings.tile_cache_max_mb,
    )
    if settings.tile_cache_max_mb > 0:
        metrics.tile_cache(hit=made.cached)
    gzipped = made.size > 0 and accepts_gzip(accept_encoding)
    headers = {
        # One strong ETag per representation: the gzipped one is marked as such.
        "ETag": f'"{made.sha1}-gzip"' if gzipped else f'"{made.sha1}"',
        "Cache-Control": cache_control(reads_need_token=settings.reads_need_token),
        "Vary": "Accept-Encoding",
    }
    if if_none_match and etag_matches(if_none_match, made.sha1):
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(content=made.body_gzip, media_type=tiles.MEDIA_TYPE, headers=headers)
    return Response(content=made.body(), media_type=tiles.MEDIA_TYPE, headers=headers)


@router.get("/tiles/{layer}/tilejson.json", responses=NOT_FOUND)
def tile_layer_tilejson(
    request: Request,
    conn: ReadConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    layer: Annotated[
        str, Path(description="parcels, buildings, projects, parks or a context layer")
    ],
    park: ParkDep,
) -> JSONResponse:
    """The TileJSON 3.0.0 document of *layer*'s tiles: the tiles' URL template (absolute,
    at this service; with ``park`` when given), the zooms there are tiles of, the lon/lat
    bounds and centre of the layer's data, and the properties of its features
    (``vector_layers[0].fields``: name -> ``String``, ``Number`` or ``Boolean``). For QGIS,
    MapLibre and tile caches."""
    document = tilejson(
        conn,
        layer=layer,
        base_url=str(request.base_url),
        storage_srid=settings.storage_srid,
        park=park,
    )
    headers = {"Cache-Control": cache_control(reads_need_token=settings.reads_need_token)}
    return JSONResponse(document, headers=headers)


def cache_control(*, reads_need_token: bool) -> str:
    """The ``Cache-Control`` of what changes when land data do: a minute, shared by caches
    unless reads need a token."""
    return f"{'private' if reads_need_token else 'public'}, max-age={MAX_AGE_S}"


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header admits gzip (``gzip``, ``x-gzip`` or ``*``
    with a q-value above 0, RFC 9110 12.5.3)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def etag_matches(if_none_match: str, sha1: str) -> bool:
    """Whether ``If-None-Match`` names this tile (either representation's tag, weak or
    strong, or ``*``)."""
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag.removesuffix("-gzip") == sha1:
            return True
    return False

"""Vector tiles of the map's layers (Mapbox Vector Tiles made by PostGIS)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from gis.tiles import TileError, check_tile
from parks.errors import InvalidParameter
from service.api.deps import ConnDep, ReaderDep, SettingsDep
from service.maps import tiles
from service.reads import queries as reads

router = APIRouter(tags=["map"])

#: Tiles change when a change set commits; a minute of caching keeps the map fresh.
MAX_AGE_S = 60


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={200: {"content": {tiles.MEDIA_TYPE: {}}}, 304: {}, 404: {}, 422: {}},
)
def vector_tile(
    conn: ConnDep,
    settings: SettingsDep,
    _reader: ReaderDep,
    layer: Annotated[
        str, Path(description="parcels, buildings, projects, parks or a context layer")
    ],
    z: Annotated[int, Path(description="zoom, 0..22")],
    x: Annotated[int, Path(description="column, 0..2^z-1")],
    y: Annotated[int, Path(description="row from the north, 0..2^z-1")],
    park: Annotated[str | None, Query(description="only this park's features")] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One Mapbox Vector Tile of *layer* (EPSG:3857 tile grid, extent 4096), with the same
    properties as the layer's API, simplified for the zoom. Cached for a minute; the ETag
    answers a conditional request with 304."""
    try:
        tile = check_tile(z, x, y)
    except TileError as exc:
        raise InvalidParameter(exc.parameter, exc.message) from None
    reads.check_park(conn, park)
    body = tiles.vector_tile(
        conn, layer=layer, tile=tile, storage_srid=settings.storage_srid, park=park
    )
    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'private' if settings.reads_need_token else 'public'}, "
        f"max-age={MAX_AGE_S}",
    }
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=tiles.MEDIA_TYPE, headers=headers)

"""The map editor's geometry helpers: a parcel split by a drawn line, a drawn boundary
snapped onto its neighbours. They compute and store nothing; the editor puts what they
give back into the change set (or proposal) it submits, in the storage CRS."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from parks.limits import InputLimits
from parks.operations import GeoJSONGeometry, ParcelCode, Text
from parks.vocabulary import PROPOSE_ROLES
from service.api.deps import ConnDep, SettingsDep, require_roles
from service.api.params import READ_ERRORS, WRITE_ERRORS, error_answer
from service.auth.tokens import Principal
from service.editing.shapes import epsg_of
from service.editing.snap import snap_to_neighbours
from service.editing.split import split_by_line

router = APIRouter(tags=["editor"], responses=READ_ERRORS)

EditingDep = Annotated[
    Principal, Depends(require_roles(PROPOSE_ROLES, what="the editor's geometry helpers"))
]

#: The largest snapping tolerance: beyond a few metres a snap moves land, not a slip.
MAX_TOLERANCE_M = 5.0

_ERRORS = {
    **WRITE_ERRORS,
    403: error_answer("the role may not edit land (editor, approver or admin)"),
    422: error_answer("a parameter is invalid (invalid_parameter, naming it)"),
}


class SplitRequest(BaseModel):
    """A parcel and the line drawn across it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    parcel_code: ParcelCode
    line: dict[str, Any] = Field(description="GeoJSON LineString in `crs`, across the parcel")
    crs: Text = Field("EPSG:4326", max_length=100, description="CRS of the line")


class SnapRequest(BaseModel):
    """A drawn boundary, its park, and what it must not snap onto."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    geometry: GeoJSONGeometry
    park: Text = Field(min_length=1, max_length=64)
    exclude: list[ParcelCode] = Field(
        default_factory=list, max_length=100, description="parcels not to snap onto"
    )
    tolerance_m: float = Field(0.5, gt=0, le=MAX_TOLERANCE_M, description="metres")
    crs: Text = Field("EPSG:4326", max_length=100, description="CRS of the geometry")


@router.post("/api/geometry/split", responses=_ERRORS)
def split_parcel(
    body: SplitRequest, conn: ConnDep, settings: SettingsDep, _who: EditingDep
) -> dict:
    """The parts a line cuts a standing parcel into, cut in the storage CRS (PostGIS
    ST_Split) so they cover it exactly: each part in EPSG:4326 (`geometry`, for the map)
    and in the storage CRS (`geometry_storage`, every digit kept: send it in the split
    operation with crs = `crs_storage`), with its area in m² and 亩. A line that leaves
    the parcel whole is refused (422 naming `line`)."""
    return split_by_line(
        conn,
        parcel_code=body.parcel_code,
        line=body.line,
        line_epsg=epsg_of(body.crs),
        storage_srid=settings.storage_srid,
        max_vertices=InputLimits.from_settings(settings).max_parcel_vertices,
    )


@router.post("/api/geometry/snap", responses=_ERRORS)
def snap_geometry(
    body: SnapRequest, conn: ConnDep, settings: SettingsDep, _who: EditingDep
) -> dict:
    """A drawn Polygon (or MultiPolygon) with its vertices within `tolerance_m` of a
    standing neighbour's boundary (or the park's) moved onto it, in the storage CRS, so
    it leaves no sliver and no overlap: in EPSG:4326 and in the storage CRS (exact),
    with its area and how many vertices moved."""
    return snap_to_neighbours(
        conn,
        geometry=body.geometry,
        geometry_epsg=epsg_of(body.crs),
        park=body.park,
        exclude=body.exclude,
        tolerance_m=body.tolerance_m,
        storage_srid=settings.storage_srid,
        max_vertices=InputLimits.from_settings(settings).max_parcel_vertices,
    )

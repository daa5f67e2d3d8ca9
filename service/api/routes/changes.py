"""The write API: land change sets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from parks.limits import InputLimits
from parks.operations import ChangeSetRequest
from service.api.deps import ConnDep, EditorDep, EngineDep, ReaderDep, SettingsDep
from service.api.params import NOT_FOUND, READ_ERRORS, WRITE_ERRORS, error_answer
from service.changes.apply import apply_change_set
from service.changes.read import change_set_detail

router = APIRouter(tags=["change sets"], responses=READ_ERRORS)

_REFUSED = {
    **WRITE_ERRORS,
    409: error_answer(
        "the rule refused it (manufacturing_land_would_decrease, with the shortfall and "
        "the parcels), or another change set changed its parcels first"
    ),
    422: error_answer(
        "an operation is invalid (invalid_change_set, with the problems per operation; "
        "invalid_geometry)"
    ),
    403: error_answer("the token's role may not write"),
}


@router.post("/api/change-sets", status_code=201, responses=_REFUSED)
def post_change_set(
    request: ChangeSetRequest, engine: EngineDep, settings: SettingsDep, principal: EditorDep
) -> JSONResponse:
    """Apply a change set atomically. Refused (409) when the city's manufacturing land
    would end below its high-water mark; 422 when an operation is invalid. Either way
    nothing is stored."""
    applied = apply_change_set(
        engine,
        request,
        actor=principal.name,
        storage_srid=settings.storage_srid,
        timezone=settings.timezone,
        limits=InputLimits.from_settings(settings),
        refusal_cap_bytes=settings.refusal_body_cap_bytes,
    )
    return JSONResponse(applied.body(), status_code=201)


@router.get("/api/change-sets/{change_set_id}", responses=NOT_FOUND)
def get_change_set(
    conn: ConnDep, _reader: ReaderDep, change_set_id: Annotated[int, Path(ge=1)]
) -> dict:
    """A recorded change set with each operation's before and after."""
    return change_set_detail(conn, change_set_id)

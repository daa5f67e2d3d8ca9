"""The write API: land change sets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from parks.operations import ChangeSetRequest
from parks.vocabulary import PROPOSE_ROLES, Role
from service.api.deps import (
    ConnDep,
    EditorDep,
    EngineDep,
    ReaderDep,
    SettingsDep,
    require_roles,
)
from service.api.params import NOT_FOUND, READ_ERRORS, WRITE_ERRORS, error_answer
from service.auth.tokens import Principal
from service.changes.apply import apply_change_set, settings_options
from service.changes.dry_run import dry_run
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
    403: error_answer(
        "the role may not write (forbidden), or an operation touches a park outside the "
        "official's parks (park_out_of_scope, naming the park)"
    ),
}

#: Who may preview a change set: whoever may propose one, and planners.
DRY_RUN_ROLES = PROPOSE_ROLES | {Role.PLANNER.value}
DryRunnerDep = Annotated[
    Principal, Depends(require_roles(DRY_RUN_ROLES, what="a change set's dry run"))
]

_DRY_RUN_ERRORS = {
    **WRITE_ERRORS,
    403: error_answer(
        "the role may not preview change sets (forbidden), or an operation touches a park "
        "outside the official's parks (park_out_of_scope, naming the park)"
    ),
    409: error_answer("another change set changed its parcels at the same time (retry)"),
    422: error_answer("the body is not a change set (invalid_change_set, with the problems)"),
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
        **settings_options(settings),
        refusal_cap_bytes=settings.refusal_body_cap_bytes,
        parks=principal.parks,
    )
    return JSONResponse(applied.body(), status_code=201)


@router.post("/api/change-sets/dry-run", responses=_DRY_RUN_ERRORS)
def post_change_set_dry_run(
    request: ChangeSetRequest, engine: EngineDep, settings: SettingsDep, principal: DryRunnerDep
) -> dict:
    """What committing a change set would do, storing nothing: the verdict
    (``would_commit``, ``refused_by_rule``, ``invalid``), each operation's before and after
    (with areas in m² and 亩, and the new shapes as GeoJSON in EPSG:4326), the city's and
    the touched parks' manufacturing land before and after, the refusal the rule would
    give, the problems of invalid operations, the parks' reserve targets before and after
    and, when the rule refuses it, up to five parcels whose rezoning would cover the
    shortfall. The change set is applied by the same code as for real, then rolled back."""
    return dry_run(
        engine,
        request,
        actor=principal.name,
        **settings_options(settings),
        parks=principal.parks,
    ).body()


@router.get("/api/change-sets/{change_set_id}", responses=NOT_FOUND)
def get_change_set(
    conn: ConnDep, _reader: ReaderDep, change_set_id: Annotated[int, Path(ge=1)]
) -> dict:
    """A recorded change set with each operation's before and after."""
    return change_set_detail(conn, change_set_id)

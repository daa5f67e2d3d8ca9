"""``GET /metrics``: what the service is doing, in Prometheus's text format
(``service.observability.metrics``).

Open by default (for a Prometheus on the same host or network); with
``PARKS_METRICS_NEED_TOKEN`` an auditor's or admin's bearer token is needed. It takes no
slot of the admission gate and no connection of the request pool (the database's figures
are read on the health check's own small pool), so it answers while the service is
saturated — which is when it is most wanted.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from parks.errors import Forbidden, Unauthorized
from parks.vocabulary import AUDIT_ROLES
from service.api.deps import PrincipalDep, SettingsDep
from service.auth.tokens import Principal
from service.observability import metrics

router = APIRouter(tags=["service"])


def _admit(principal: Principal | None) -> None:
    """Let an auditor's or admin's token through (PARKS_METRICS_NEED_TOKEN)."""
    roles = " or ".join(sorted(AUDIT_ROLES))
    if principal is None:
        raise Unauthorized(
            f"/metrics needs 'Authorization: Bearer <token>' with a valid token (role {roles}; "
            "PARKS_METRICS_NEED_TOKEN is set)"
        )
    if principal.role not in AUDIT_ROLES:
        raise Forbidden(
            f"/metrics needs role {roles}; token {principal.name!r} has role {principal.role!r}"
        )


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {metrics.CONTENT_TYPE: {}}, "description": "the metrics"},
        401: {"description": "PARKS_METRICS_NEED_TOKEN is set and no valid token was sent"},
        403: {"description": "the token's role is not auditor or admin"},
    },
)
def get_metrics(request: Request, settings: SettingsDep, principal: PrincipalDep) -> Response:
    """Requests by route template, status and latency; change sets committed and refused;
    the time the database takes to judge the rule at commit; the ledger's head sequence;
    the age of the last signed digest and of the last backup; the tile cache's and the
    search index's hits and misses; the request pool's connections."""
    if settings.metrics_need_token:
        _admit(principal)
    state = request.app.state
    engine = state.engine
    body = metrics.exposition(
        database=getattr(state, "health_engine", None) or engine, pool=engine.pool
    )
    return Response(body, media_type=metrics.CONTENT_TYPE)

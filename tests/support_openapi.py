"""What the OpenAPI tests share: the checks every answer must pass, the callers (a token
for each role, and nobody) and the app's document."""

from __future__ import annotations

from functools import cache

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from parks.vocabulary import Role

#: Every answer: no 5xx; a status code, content type and body the document declares; an
#: invalid request refused (4xx). Not ``positive_data_acceptance`` (a request valid by the
#: document is not refused): a valid-looking request may name a park, layer, land-use
#: class or CRS that does not exist, a tile beyond its zoom's range, a geometry outside
#: its park — data and rules a JSON Schema can't state —, refused 422 naming it.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

#: The callers, the most able first (Hypothesis starts from the first): each role's
#: token, then nobody (None).
ROLES: tuple[str | None, ...] = (
    Role.ADMIN.value,
    Role.EDITOR.value,
    Role.APPROVER.value,
    Role.PLANNER.value,
    Role.AUDITOR.value,
    Role.VIEWER.value,
    None,
)


def openapi_schema(app, path: str = "/openapi.json", headers: dict[str, str] | None = None):
    """schemathesis's view of *app*'s document at *path* (fetched with *headers*). The
    callers' tokens come from the tests (:func:`role_headers`), so schemathesis makes up
    no ``Authorization`` of its own: one it left out as "invalid" would be sent anyway."""
    schema = schemathesis.openapi.from_asgi(path, app, headers=headers or {})
    schema.config.generation.update(with_security_parameters=False)
    return schema


@cache
def app_document() -> dict:
    """The app's OpenAPI document (built without a database: the app connects only when
    it serves)."""
    from service.api.app import create_app
    from service.settings import Settings

    return create_app(Settings()).openapi()


def role_headers(url: str) -> dict[str | None, dict[str, str]]:
    """A bearer token for each role in database *url* (named after the role), as the
    headers a caller sends; nobody (None) sends none."""
    from service.auth.tokens import create_token
    from service.db.engine import make_engine

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            headers = {
                role: {"Authorization": f"Bearer {create_token(conn, name=role, role=role)}"}
                for role in ROLES
                if role is not None
            }
    finally:
        engine.dispose()
    return {**headers, None: {}}

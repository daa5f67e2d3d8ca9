"""The OpenAPI document says what the service really accepts and answers: schemathesis
generates requests from it (in process, on a throwaway copy of the sample) for every read,
the targets' PUT and the change sets' POST — valid requests and invalid ones — and checks
that none is answered with a 5xx, and that every answer's status code, content type and
body are ones the document declares for the operation.

Bounded to stay fast: a fixed number of examples per operation and generation mode,
derandomized (the same requests every run), no shrinking. Each operation is its own test,
driven by Hypothesis through ``APIOperation.as_strategy`` (schemathesis's lazy pytest
fixture, ``schemathesis.pytest.from_fixture``, fails on pytest 9.2: it sets
``request.node._nodeid``, which pytest no longer has)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.e2e

#: Examples per operation and generation mode; every run sends the same ones. The map
#: pages take a few parameters and a while to draw: fewer of them.
MAX_EXAMPLES = 25
MAX_PAGE_EXAMPLES = 8

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: The writes tried (with an admin's token); every GET is tried.
WRITES = {("PUT", "/api/targets/{park}"), ("POST", "/api/change-sets")}


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path, is a page) of the GET operations and :data:`WRITES` in the app's
    document (built without a database: the app connects only when it serves)."""
    from service.api.app import create_app
    from service.settings import Settings

    document = create_app(Settings()).openapi()
    return sorted(
        (method.upper(), path, "text/html" in str(operation["responses"].get("200")))
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method == "get" or (method.upper(), path) in WRITES
    )


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def api_schema(sample_db_url):
    """The app on a throwaway copy of the sample, and its own OpenAPI document."""
    from service.api.app import create_app
    from service.settings import Settings

    app = create_app(Settings(database_url=sample_db_url))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()  # schemathesis started the app's lifespan; end it (its engines)


@pytest.fixture(scope="module")
def admin_headers(sample_db_url) -> dict[str, str]:
    """An admin's token: it may read, set targets and write change sets."""
    from service.auth.tokens import create_token
    from service.db.engine import make_engine

    engine = make_engine(sample_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            token = create_token(conn, name="schemathesis", role="admin")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(
    ("method", "path", "page"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_answer_is_one_the_openapi_document_declares(
    api_schema, admin_headers, method, path, page, mode
):
    operation = api_schema[path][method]

    @hypothesis.settings(
        max_examples=MAX_PAGE_EXAMPLES if page else MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        case.call_and_validate(headers=admin_headers, checks=CHECKS)

    check()


def test_the_document_names_every_availability_criterion_and_the_error_a_bad_one_gets():
    from service.api.app import create_app
    from service.planning.criteria import CriteriaQuery
    from service.settings import Settings

    operation = create_app(Settings()).openapi()["paths"]["/api/availability"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == set(CriteriaQuery.model_fields) | {"format"}
    assert parameters["near"]["schema"]["type"] == "array"  # repeatable
    assert parameters["limit"]["schema"]["maximum"] == 1000
    refused = operation["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"error", "parameter", "message"} <= set(refused["required"])

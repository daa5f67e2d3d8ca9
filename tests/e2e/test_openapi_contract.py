"""The OpenAPI document says what the service really accepts and answers: schemathesis
generates requests from it (in process, on a throwaway copy of the sample) for every
operation the document names — reads, writes, pages, sign-in — valid requests and invalid
ones, each sent by a caller drawn from every role and nobody, and checks that none is
answered with a 5xx, that every answer's status code, content type and body are ones the
document declares for the operation, and that an invalid request is refused.

The app runs as deployed by default, but with reads needing a token: an anonymous caller
is then refused every read (401), and the roles' differences reach every route.

Bounded to stay fast: a fixed number of examples per operation and generation mode
(fewer for the pages, which take a while to draw), derandomized (the same requests every
run), no shrinking. Each operation is its own test, driven by Hypothesis through
``APIOperation.as_strategy`` (schemathesis's lazy pytest fixture,
``schemathesis.pytest.from_fixture``, fails on pytest 9.2: it sets
``request.node._nodeid``, which pytest no longer has). The stateful links between the
operations are walked by tests/e2e/test_openapi_stateful.py."""

from __future__ import annotations

import os

import hypothesis
import pytest
from hypothesis import strategies as st
from schemathesis import GenerationMode
from support_openapi import CHECKS, ROLES, app_document, openapi_schema, role_headers

pytestmark = pytest.mark.e2e

#: Examples per operation and generation mode; every run sends the same ones. The pages
#: take a while to draw, and a sign-in to check: fewer of them. ``OPENAPI_FUZZ_SCALE=20``
#: multiplies both, for a deeper run by hand.
SCALE = int(os.environ.get("OPENAPI_FUZZ_SCALE", "1"))
MAX_EXAMPLES = 8 * SCALE
MAX_PAGE_EXAMPLES = 3 * SCALE
#: Examples per OGC API operation and mode: its operations are many and alike.
MAX_OGC_EXAMPLES = 3 * SCALE


def _cases() -> list[tuple[str, str, bool, GenerationMode]]:
    """(method, path, is a page or form, generation mode) of every operation in the app's
    document: valid requests to each, and invalid ones to each that takes any input (one
    without parameters or body has no invalid request)."""
    return sorted(
        (method.upper(), path, "text/html" in str(operation["responses"]), mode)
        for path, item in app_document()["paths"].items()
        for method, operation in item.items()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if mode is GenerationMode.POSITIVE
        or operation.get("parameters")
        or "requestBody" in operation
    )


CASES = _cases()


@pytest.fixture(scope="module")
def api_schema(sample_db_url):
    """The app on a throwaway copy of the sample (reads need a token; editors propose,
    admins apply), and its own OpenAPI document."""
    from service.api.app import create_app
    from service.settings import Settings

    settings = Settings(
        database_url=sample_db_url, reads_need_token=True, editors_apply_directly=False
    )
    yield openapi_schema(create_app(settings))
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()  # schemathesis started the app's lifespan; end it (its engines)


@pytest.fixture(scope="module")
def headers_by_role(sample_db_url) -> dict[str | None, dict[str, str]]:
    return role_headers(sample_db_url)


@pytest.mark.parametrize(
    ("method", "path", "page", "mode"),
    CASES,
    ids=[f"{m} {p}-{mode.value}" for m, p, _, mode in CASES],
)
def test_every_answer_is_one_the_openapi_document_declares(
    api_schema, headers_by_role, method, path, page, mode
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
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES))
    def check(case, role):
        case.call_and_validate(headers=dict(headers_by_role[role]), checks=CHECKS)

    check()


def test_every_answer_of_the_ogc_api_is_one_its_own_document_declares(api_schema, headers_by_role):
    """The same for the OGC API – Features document (``/ogc/api``, OpenAPI 3.0, its
    collections are data): every operation, valid and invalid requests, every role."""
    document = openapi_schema(api_schema.app, "/ogc/api?f=json", headers_by_role["viewer"])
    failures = []
    for operation in (result.ok() for result in document.get_all_operations()):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=MAX_OGC_EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(
                case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES)
            )
            def check(case, role):
                case.call_and_validate(headers=dict(headers_by_role[role]), checks=CHECKS)

            try:
                check()
            except (AssertionError, ExceptionGroup) as failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("supply_mode=sold", "supply_mode"),
        ("status=demolished", "status"),
        ("filter-lang=", "filter-lang"),
    ],
)
def test_an_ogc_value_outside_what_its_document_allows_is_400_naming_it(
    api_schema, headers_by_role, query, parameter
):
    from schemathesis.python.asgi import get_client

    with get_client(api_schema.app) as client:
        url = f"http://testserver/ogc/collections/parcels/items?{query}"
        response = client.get(url, headers=dict(headers_by_role["viewer"]))
    assert response.status_code == 400, response.text
    assert response.json()["parameter"] == parameter


def test_the_document_names_every_availability_criterion_and_the_error_a_bad_one_gets():
    from service.planning.criteria import CriteriaQuery

    operation = app_document()["paths"]["/api/availability"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == set(CriteriaQuery.model_fields) | {"format"}
    assert parameters["near"]["schema"]["type"] == "array"  # repeatable
    limit, blank = parameters["limit"]["schema"]["anyOf"]
    assert limit["maximum"] == 1000
    assert blank["type"] == "string"  # sent blank (a cleared form field): not given
    refused = operation["responses"]["422"]["content"]["application/json"]["schema"]
    assert {"error", "parameter", "message"} <= set(refused["required"])


def test_a_criterion_sent_blank_is_not_given_as_the_document_says(api_schema, headers_by_role):
    from schemathesis.python.asgi import get_client

    blank = "min_area_mu=&max_area_mu=%20&combine=&limit="
    with get_client(api_schema.app) as client:
        answers = [
            client.get(f"http://testserver{path}?{blank}", headers=dict(headers_by_role["viewer"]))
            for path in ("/api/availability", "/map/availability")
        ]
    assert [a.status_code for a in answers] == [200, 200], [a.text[:300] for a in answers]
    assert answers[0].json()["criteria"]["limit"] == 50  # the default: not given

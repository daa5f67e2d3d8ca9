"""The OpenAPI document's links lead through the service's workflows, and every step of
them is answered as the document says.

* Every link, once: from a real answer of its source operation (a proposal made, an
  import uploaded, the parks listed...), its runtime expressions resolve — the answer has
  what the link reads —, and the target operation takes the value: it finds the thing
  named (no 404) and refuses no linked value as invalid.
* schemathesis's state machine (in process, on a throwaway copy of the sample) starts
  from the operations that produce something and follows the links from each answer to
  the operations that take it (a proposal approved, rejected, read; an import read and
  applied; a change set read back, its parcel's history), checking every answer as
  tests/e2e/test_openapi_contract.py does, and that what a 201 created can be read.
  Random requests seldom make a valid change set, proposal or import, so each scenario
  starts with valid ones (a status changed, one parcel's survey), built from the sample
  as it then stands; the chains after them are generated.

Each request is sent as the role that does that step (an editor proposes, an approver
approves, an auditor reads an import...); a rule of the machine sends the next request
as a role drawn from every role and nobody instead. Bounded: a few derandomized
scenarios of a few steps (schemathesis still draws, with its own randomness, whether a
link's value is used)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import shapely
from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.specs.openapi.checks import ensure_resource_availability
from sqlalchemy import create_engine, text
from support_openapi import CHECKS, ROLES, openapi_schema, role_headers

from parks.vocabulary import Role
from service.api.links import Link

pytestmark = pytest.mark.e2e

#: Scenarios, and at most this many steps in each.
SCENARIOS = 8
STEPS = 25

#: The role that does each step; the others are a viewer's (an auditor's in the audit).
ACTING_ROLE: dict[tuple[str, str], str] = {
    ("POST", "/api/change-sets"): Role.ADMIN,
    ("POST", "/api/change-sets/dry-run"): Role.PLANNER,
    ("POST", "/api/proposals"): Role.EDITOR,
    ("POST", "/api/proposals/{proposal_id}/approve"): Role.APPROVER,
    ("POST", "/api/proposals/{proposal_id}/reject"): Role.APPROVER,
    ("POST", "/api/geometry/split"): Role.EDITOR,
    ("POST", "/api/geometry/snap"): Role.EDITOR,
    ("POST", "/api/imports"): Role.ADMIN,
    ("POST", "/api/imports/{import_id}/apply"): Role.ADMIN,
    ("GET", "/api/imports/{import_id}"): Role.AUDITOR,
    ("GET", "/api/imports/{import_id}/problems.geojson"): Role.AUDITOR,
    ("GET", "/imports/{import_id}"): Role.AUDITOR,
    ("PUT", "/api/targets/{park}"): Role.ADMIN,
}


def acting_role(method: str, path: str) -> str:
    """Who does the step *method* *path*."""
    if (method.upper(), path) in ACTING_ROLE:
        return ACTING_ROLE[(method.upper(), path)]
    return Role.AUDITOR if path.startswith(("/api/audit/", "/audit")) else Role.VIEWER


#: The stateful check besides the contract's: what a 201 created can be read back.
STATEFUL_CHECKS = [*CHECKS, ensure_resource_availability]

_NOBODY_YET = object()


@pytest.fixture(scope="module")
def api_schema(sample_db_url):
    """The app on a throwaway copy of the sample, as deployed but with reads needing a
    token (editors propose, admins apply), and its own document."""
    from service.api.app import create_app
    from service.settings import Settings

    settings = Settings(
        database_url=sample_db_url, reads_need_token=True, editors_apply_directly=False
    )
    yield openapi_schema(create_app(settings))
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


@pytest.fixture(scope="module")
def headers_by_role(sample_db_url) -> dict[str | None, dict[str, str]]:
    return role_headers(sample_db_url)


@pytest.fixture(scope="module")
def land(sample_db_url):
    """Our own connection to the sample, to build valid requests from the land as it
    stands."""
    engine = create_engine(sample_db_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _other_status(status: str) -> str:
    return "ready" if status != "ready" else "reserve"


def _status_change(engine, *, offset: int) -> dict:
    """A change set that changes one standing parcel's status (chosen by *offset*), the
    kind of change the rule always lets through (it moves no manufacturing land)."""
    with engine.connect() as conn:
        code, status = conn.execute(
            text(
                "SELECT parcel_code, status FROM parcel_version WHERE valid_to IS NULL "
                "ORDER BY parcel_code OFFSET :offset LIMIT 1"
            ),
            {"offset": offset},
        ).one()
    return {
        "kind": "set_status",
        "reason": "schemathesis: a status changed",
        "document_no": "ST-1",
        "operations": [{"op": "set_status", "parcel_code": code, "status": _other_status(status)}],
    }


def _survey(engine, *, offset: int) -> tuple[bytes, dict[str, str]]:
    """A surveyor's GeoJSON of one standing parcel (EPSG:4545, its own geometry) with
    another status, zipped (schemathesis names a file part by the format its bytes show),
    and the form fields that go with it."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT parcel_code, park, land_use_code, status, "
                    "ST_AsGeoJSON(geom, 9) AS geometry FROM parcel_version "
                    "WHERE valid_to IS NULL ORDER BY parcel_code DESC OFFSET :offset LIMIT 1"
                ),
                {"offset": offset},
            )
            .mappings()
            .one()
        )
    feature = {
        "type": "Feature",
        "geometry": json.loads(row["geometry"]),
        "properties": {
            "parcel_code": row["parcel_code"],
            "land_use_code": row["land_use_code"],
            "status": _other_status(row["status"]),
        },
    }
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(
            "survey.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]})
        )
    return archive.getvalue(), {"park": row["park"], "crs": "EPSG:4545"}


def _replace_bodies_whole(schema) -> None:
    """A link's ``requestBody`` is the body to send (OpenAPI 3.1, "Link Object"):
    schemathesis merges it into a generated body unless told not to."""
    for item in schema.raw_schema["paths"].values():
        for operation in item.values():
            for answer in operation.get("responses", {}).values():
                for link in answer.get("links", {}).values():
                    if isinstance(link.get("requestBody"), str):
                        link["x-schemathesis"] = {"merge_body": False}


def test_the_links_lead_through_workflows_whose_every_answer_the_document_declares(
    api_schema, headers_by_role, land
):
    _replace_bodies_whole(api_schema)
    base = api_schema.as_state_machine()
    seeds = {"count": 0}

    class Workflow(base):
        def setup(self) -> None:
            self.next_role = _NOBODY_YET

        @initialize()
        def start_from_valid_writes(self) -> None:
            """A proposal, a dry run, a change set and an import that are valid now."""
            n = seeds["count"]
            seeds["count"] += 1
            data, form = _survey(land, offset=n)
            for method, path, body in [
                ("POST", "/api/proposals", _status_change(land, offset=3 * n)),
                ("POST", "/api/change-sets/dry-run", _status_change(land, offset=3 * n + 1)),
                ("POST", "/api/change-sets", _status_change(land, offset=3 * n + 2)),
                ("POST", "/api/imports", {"file": [data], **form}),
            ]:
                case = api_schema[path][method].Case(body=body)
                step = StepInput.initial(case)
                self.recorder.record_case(case=case)
                self.control.record_step(step, self.recorder)
                output = self._step(step)
                status = output.response.status_code
                assert status < 300, f"{method} {path}: {status} {output.response.text[:500]}"
                self._add_results_to_targets((), [output])

        @rule(role=st.sampled_from(ROLES))
        def send_the_next_request_as(self, role) -> None:
            self.next_role = role

        def get_call_kwargs(self, case):
            role = self.next_role
            self.next_role = _NOBODY_YET
            if role is _NOBODY_YET:
                role = acting_role(case.method, case.path)
            return {"headers": dict(headers_by_role[role])}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.TestCase.settings = hypothesis.settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    Workflow.TestCase().runTest()
    assert seeds["count"] >= SCENARIOS


# --- every link, once ------------------------------------------------------------------------


@dataclass
class Answer:
    """A request sent and its answer: what a link's runtime expressions read."""

    path_parameters: dict[str, Any]
    body: Any
    response: Any


class Caller:
    """Requests to the app in process (schemathesis's ASGI client: the lifespan it started
    stays the one), each as a role."""

    def __init__(self, client, headers: dict[str | None, dict[str, str]]) -> None:
        self.client = client
        self.headers = headers

    def send(self, method: str, path: str, *, role=None, path_parameters=None, **kwargs) -> Answer:
        path_parameters = path_parameters or {}
        role = acting_role(method, path) if role is None else role
        response = self.client.request(
            method,
            "http://testserver" + path.format(**path_parameters),
            headers=dict(self.headers[role]),
            allow_redirects=False,
            **kwargs,
        )
        assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"
        return Answer(path_parameters, kwargs.get("json"), response)


def _source_answers(caller: Caller, land) -> dict[tuple[str, str, str], Answer]:
    """A real answer of every link's source, with the status the link starts from."""
    answers: dict[tuple[str, str, str], Answer] = {}

    def keep(method: str, path: str, status: str, answer: Answer) -> Answer:
        assert str(answer.response.status_code) == status, (
            f"{method} {path}: {answer.response.status_code} {answer.response.text[:500]}"
        )
        answers[(method, path, status)] = answer
        return answer

    def propose(offset: int) -> Answer:
        body = _status_change(land, offset=offset)
        return keep(
            "POST", "/api/proposals", "201", caller.send("POST", "/api/proposals", json=body)
        )

    def upload(offset: int) -> Answer:
        data, form = _survey(land, offset=offset)
        answer = caller.send(
            "POST", "/api/imports", files={"file": ("survey.zip", data)}, data=form
        )
        return keep("POST", "/api/imports", "201", answer)

    written = caller.send("POST", "/api/change-sets", json=_status_change(land, offset=40))
    keep("POST", "/api/change-sets", "201", written)
    change_set_id = {"change_set_id": written.response.json()["id"]}
    dry_run = caller.send("POST", "/api/change-sets/dry-run", json=_status_change(land, offset=41))
    keep("POST", "/api/change-sets/dry-run", "200", dry_run)
    for offset, decision, body in [(42, "approve", None), (43, "reject", {"reason": "不符合规划"})]:
        proposal_id = {"proposal_id": propose(offset).response.json()["id"]}
        path = f"/api/proposals/{{proposal_id}}/{decision}"
        keep("POST", path, "200", caller.send("POST", path, path_parameters=proposal_id, json=body))
    propose(44)  # the one the links of a proposal made lead from
    imported = {"import_id": upload(45).response.json()["id"]}
    applied = caller.send("POST", "/api/imports/{import_id}/apply", path_parameters=imported)
    keep("POST", "/api/imports/{import_id}/apply", "201", applied)
    upload(46)
    for method, path, path_parameters, body in [
        ("GET", "/api/proposals", None, None),
        ("GET", "/api/audit/ledger", None, None),
        ("GET", "/api/change-sets/{change_set_id}", change_set_id, None),
        ("GET", "/api/parcels", None, None),
        ("GET", "/api/parks", None, None),
        ("GET", "/api/projects", None, None),
        ("GET", "/api/projects/progress", None, None),
        ("GET", "/api/layers", None, None),
        ("GET", "/ogc/styles", None, None),
        ("PUT", "/api/targets/{park}", {"park": "gaoxin"}, {"min_reserve_mu": 0}),
    ]:
        answer = caller.send(method, path, path_parameters=path_parameters, json=body)
        keep(method, path, "200", answer)
    code = answers[("GET", "/api/parcels", "200")].response.json()["features"][0]["id"]
    parcel = caller.send("GET", "/api/parcels/{parcel_code}", path_parameters={"parcel_code": code})
    keep("GET", "/api/parcels/{parcel_code}", "200", parcel)
    return answers


def _resolve(expression: Any, answer: Answer) -> Any:
    """An OpenAPI runtime expression (or an object of them) read from *answer*; KeyError
    when the answer has no such value."""
    if isinstance(expression, dict):
        return {key: _resolve(value, answer) for key, value in expression.items()}
    if expression == "$request.body":
        return answer.body
    if expression.startswith("$request.path."):
        return answer.path_parameters[expression.removeprefix("$request.path.")]
    source, _, pointer = expression.partition("#")
    assert source == "$response.body", expression
    value = answer.response.json()
    for token in pointer.strip("/").split("/"):
        value = value[int(token)] if isinstance(value, list) else value[token]
    if value is None:
        raise KeyError(expression)
    return value


def _line_across(feature: dict) -> dict:
    """A GeoJSON LineString (EPSG:4326) crossing *feature*'s geometry north to south
    through its centroid."""
    shape = shapely.geometry.shape(feature["geometry"])
    x = shape.centroid.x
    _, south, _, north = shape.bounds
    return {"type": "LineString", "coordinates": [[x, north + 0.001], [x, south - 0.001]]}


def _extra_body(link: Link, answers) -> dict[str, Any] | None:
    """What the target needs besides what the link gives."""
    if link.target == ("POST", "/api/proposals/{proposal_id}/reject"):
        return {"reason": "退回补充材料"}
    if link.target == ("PUT", "/api/targets/{park}"):
        return {"min_vacant_floor_m2": 0}
    if link.target == ("POST", "/api/geometry/split"):
        feature = answers[link.source].response.json()["features"][0]
        return {"line": _line_across(feature)}
    return None


def test_every_link_leads_from_a_real_answer_to_an_operation_that_takes_its_value(
    api_schema, headers_by_role, land
):
    from schemathesis.python.asgi import get_client

    from service.api.links import LINKS

    with get_client(api_schema.app) as client:
        caller = Caller(client, headers_by_role)
        answers = _source_answers(caller, land)
        assert {link.source for link in LINKS} <= set(answers)
        for link in LINKS:
            source = answers[link.source]
            try:
                values = {name: _resolve(e, source) for name, e in link.parameters.items()}
                body = None if link.request_body is None else _resolve(link.request_body, source)
            except (KeyError, IndexError) as missing:
                pytest.fail(f"{link.name} from {link.source}: no {missing} in the answer")
            extra = _extra_body(link, answers)
            if extra is not None:
                body = {**(body or {}), **extra}
            path_parameters = {k[5:]: v for k, v in values.items() if k.startswith("path.")}
            query = {k[6:]: v for k, v in values.items() if k.startswith("query.")}
            method, path = link.target
            answer = caller.send(
                method, path, path_parameters=path_parameters, params=query, json=body
            )
            status = answer.response.status_code
            refused = answer.response.json() if status == 422 else {}
            linked = {name.partition(".")[2] for name in link.parameters} | set(body or ())
            assert status != 404 and refused.get("parameter") not in linked, (
                f"{link.name} {link.source} -> {link.target}: {status} {answer.response.text}"
            )

"""The OpenAPI links between operations: where one operation's answer names what another
takes (a created proposal's id → its approval; a parcel list's first code → that
parcel's history), written into the app's document as OpenAPI ``links`` so that clients
and generators (schemathesis's state machine) can follow a workflow.

Links are declared here as data, by method and path, and written into the document the
app generates (each target named by its ``operationId``): one place to read every
workflow, and the route modules stay about their routes. A link whose source or target
is not in the document is an error at the document's making, not a link silently
dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class Link:
    """One link: from the *status* answer of *source* to *target*, with the target's
    parameters (``path.name`` / ``query.name`` → an OpenAPI runtime expression) and,
    optionally, its request body (a runtime expression, or an object of them)."""

    name: str
    source: tuple[str, str, str]  # method, path, status
    target: tuple[str, str]  # method, path
    description: str
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: Any = None


_CHANGE_SET = ("GET", "/api/change-sets/{change_set_id}")
_PROPOSAL = ("GET", "/api/proposals/{proposal_id}")
_IMPORT = ("GET", "/api/imports/{import_id}")
_HISTORY = ("GET", "/api/parcels/{parcel_code}/history")


def _proposal_links(source: tuple[str, str, str], proposal_id: str) -> list[Link]:
    """A proposal's reads and decisions, its id at *proposal_id* of *source*'s answer."""
    parameters = {"path.proposal_id": proposal_id}
    return [
        Link("GetProposal", source, _PROPOSAL, "the proposal", parameters),
        Link("ProposalPage", source, ("GET", "/proposals/{proposal_id}"), "its page", parameters),
        Link(
            "ApproveProposal",
            source,
            ("POST", "/api/proposals/{proposal_id}/approve"),
            "approve it (a second official)",
            parameters,
        ),
        Link(
            "RejectProposal",
            source,
            ("POST", "/api/proposals/{proposal_id}/reject"),
            "reject it, or withdraw it (its proposer)",
            parameters,
        ),
    ]


def _import_links(source: tuple[str, str, str], import_id: str) -> list[Link]:
    """An import's reads and its apply, its id at *import_id* of *source*'s answer."""
    parameters = {"path.import_id": import_id}
    return [
        Link("GetImport", source, _IMPORT, "the stored dry run", parameters),
        Link(
            "ImportProblems",
            source,
            ("GET", "/api/imports/{import_id}/problems.geojson"),
            "its problems as GeoJSON",
            parameters,
        ),
        Link("ImportReport", source, ("GET", "/imports/{import_id}"), "its report", parameters),
        Link(
            "ApplyImport",
            source,
            ("POST", "/api/imports/{import_id}/apply"),
            "apply it as one change set",
            parameters,
        ),
    ]


def _parcel_links(source: tuple[str, str, str], parcel_code: str) -> list[Link]:
    """A parcel's reads, its code at *parcel_code* of *source*'s answer."""
    return [
        Link(
            "GetParcel",
            source,
            ("GET", "/api/parcels/{parcel_code}"),
            "the parcel as it stands",
            {"path.parcel_code": parcel_code},
        ),
        Link(
            "ParcelHistory",
            source,
            _HISTORY,
            "its every version",
            {"path.parcel_code": parcel_code},
        ),
    ]


_PARCELS = ("GET", "/api/parcels", "200")
_PARKS = ("GET", "/api/parks", "200")
_DRY_RUN = ("POST", "/api/change-sets/dry-run", "200")

#: Every link of the document.
LINKS: tuple[Link, ...] = (
    # A change set written, then read back.
    Link(
        "GetChangeSet",
        ("POST", "/api/change-sets", "201"),
        _CHANGE_SET,
        "the change set recorded",
        {"path.change_set_id": "$response.body#/id"},
    ),
    # A change set previewed, then proposed or applied as it was.
    Link(
        "ProposeIt",
        _DRY_RUN,
        ("POST", "/api/proposals"),
        "propose the change set that was previewed",
        request_body="$request.body",
    ),
    Link(
        "ApplyIt",
        _DRY_RUN,
        ("POST", "/api/change-sets"),
        "apply the change set that was previewed",
        request_body="$request.body",
    ),
    # Proposals: proposed, listed, decided.
    *_proposal_links(("POST", "/api/proposals", "201"), "$response.body#/id"),
    *_proposal_links(("GET", "/api/proposals", "200"), "$response.body#/proposals/0/id"),
    Link(
        "GetChangeSet",
        ("POST", "/api/proposals/{proposal_id}/approve", "200"),
        _CHANGE_SET,
        "the change set the approval applied",
        {"path.change_set_id": "$response.body#/change_set/id"},
    ),
    Link(
        "GetProposal",
        ("POST", "/api/proposals/{proposal_id}/approve", "200"),
        _PROPOSAL,
        "the proposal, approved",
        {"path.proposal_id": "$response.body#/id"},
    ),
    Link(
        "GetProposal",
        ("POST", "/api/proposals/{proposal_id}/reject", "200"),
        _PROPOSAL,
        "the proposal, rejected",
        {"path.proposal_id": "$response.body#/id"},
    ),
    # Imports: uploaded (a stored dry run), read, applied.
    *_import_links(("POST", "/api/imports", "201"), "$response.body#/id"),
    Link(
        "GetChangeSet",
        ("POST", "/api/imports/{import_id}/apply", "201"),
        _CHANGE_SET,
        "the change set the import was applied as",
        {"path.change_set_id": "$response.body#/change_set_id"},
    ),
    Link(
        "GetImport",
        ("POST", "/api/imports/{import_id}/apply", "201"),
        _IMPORT,
        "the import, applied",
        {"path.import_id": "$response.body#/import_id"},
    ),
    # The ledger and a change set: the change set of a row, the parcels of an operation.
    Link(
        "GetChangeSet",
        ("GET", "/api/audit/ledger", "200"),
        _CHANGE_SET,
        "the change set of the first row",
        {"path.change_set_id": "$response.body#/rows/0/change_set_id"},
    ),
    Link(
        "ParcelHistory",
        ("GET", "/api/change-sets/{change_set_id}", "200"),
        _HISTORY,
        "the history of the first operation's parcel",
        {"path.parcel_code": "$response.body#/operations/0/request/parcel_code"},
    ),
    # Parcels: listed, then read, traced, shown on the map, cut by a line.
    *_parcel_links(_PARCELS, "$response.body#/features/0/id"),
    Link(
        "ParcelOnMap",
        _PARCELS,
        ("GET", "/map/{park}"),
        "the first parcel on its park's map",
        {
            "path.park": "$response.body#/features/0/properties/park",
            "query.focus": "$response.body#/features/0/id",
        },
    ),
    Link(
        "SplitParcel",
        _PARCELS,
        ("POST", "/api/geometry/split"),
        "cut the first parcel by a line",
        request_body={"parcel_code": "$response.body#/features/0/id"},
    ),
    Link(
        "ParcelHistory",
        ("GET", "/api/parcels/{parcel_code}", "200"),
        _HISTORY,
        "its every version",
        {"path.parcel_code": "$request.path.parcel_code"},
    ),
    # Parks: each park's figures, map, parcels and targets.
    Link(
        "ParkMap",
        _PARKS,
        ("GET", "/map/{park}"),
        "the first park's map",
        {"path.park": "$response.body#/0/code"},
    ),
    Link(
        "ParkStats",
        _PARKS,
        ("GET", "/api/stats"),
        "the first park's figures",
        {"query.park": "$response.body#/0/code"},
    ),
    Link(
        "ParkParcels",
        _PARKS,
        ("GET", "/api/parcels"),
        "the first park's parcels",
        {"query.park": "$response.body#/0/code"},
    ),
    Link(
        "SetParkTargets",
        _PARKS,
        ("PUT", "/api/targets/{park}"),
        "set its targets",
        {"path.park": "$response.body#/0/code"},
    ),
    Link(
        "GetTargets",
        ("PUT", "/api/targets/{park}", "200"),
        ("GET", "/api/targets"),
        "every park's targets, the one set included",
    ),
    # Key projects, context layers, styles: listed, then one of them.
    Link(
        "ProjectPage",
        ("GET", "/api/projects", "200"),
        ("GET", "/map/projects/{project_code}"),
        "the first project's page",
        {"path.project_code": "$response.body#/features/0/id"},
    ),
    Link(
        "ProjectSummary",
        ("GET", "/api/projects", "200"),
        ("GET", "/api/projects/{project_code}"),
        "the first project's plan against actual, milestones, problems, visits and parcels",
        {"path.project_code": "$response.body#/features/0/id"},
    ),
    Link(
        "ListedProjectPage",
        ("GET", "/api/projects/progress", "200"),
        ("GET", "/projects/{project_code}"),
        "the first listed project's page",
        {"path.project_code": "$response.body#/projects/0/project_code"},
    ),
    Link(
        "ListedProjectProblems",
        ("GET", "/api/projects/progress", "200"),
        ("GET", "/api/projects/{project_code}/problems"),
        "the first listed project's problems",
        {"path.project_code": "$response.body#/projects/0/project_code"},
    ),
    Link(
        "GetLayer",
        ("GET", "/api/layers", "200"),
        ("GET", "/api/layers/{name}"),
        "the first layer's features",
        {"path.name": "$response.body#/0/name"},
    ),
    Link(
        "LayerTiles",
        ("GET", "/api/layers", "200"),
        ("GET", "/tiles/{layer}/tilejson.json"),
        "the first layer's TileJSON",
        {"path.layer": "$response.body#/0/name"},
    ),
    Link(
        "GetStyle",
        ("GET", "/ogc/styles", "200"),
        ("GET", "/ogc/styles/{style_id}"),
        "the first style",
        {"path.style_id": "$response.body#/styles/0/id"},
    ),
)


def _operation_ids(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (method.upper(), path): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "operationId" in operation
    }


def add_links(document: dict[str, Any], links: tuple[Link, ...] = LINKS) -> dict[str, Any]:
    """Write *links* into *document* (in place, and return it). Raises KeyError naming a
    link whose source answer or target operation the document lacks."""
    ids = _operation_ids(document)
    for link in links:
        method, path, status = link.source
        try:
            answers = document["paths"][path][method.lower()]["responses"]
            answer = answers[status]
            target_id = ids[link.target]
        except KeyError as missing:
            raise KeyError(
                f"link {link.name}: {link.source} or {link.target} is not in the document"
            ) from missing
        written: dict[str, Any] = {"operationId": target_id, "description": link.description}
        if link.parameters:
            written["parameters"] = dict(link.parameters)
        if link.request_body is not None:
            written["requestBody"] = link.request_body
        # A copy: an answer's declaration may be one object shared by several operations.
        answers[status] = {**answer, "links": {**answer.get("links", {}), link.name: written}}
    return document


def install(app: FastAPI) -> None:
    """Make *app*'s OpenAPI document carry :data:`LINKS` (written once, when FastAPI first
    builds the document it then keeps)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        document = build()
        if first:
            add_links(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]

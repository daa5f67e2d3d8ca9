"""Imports on the web: upload a surveyor's file for a stored dry run, read it back (its
summary, its problems as GeoJSON, its report page), and apply it as one change set.

Who may: uploading and applying — editor or admin (they write land). Reading an import —
editor, admin or auditor, *whatever* ``PARKS_READS_NEED_TOKEN`` says: a dry run holds
land data nobody has reviewed yet (holders, boundaries, codes of parcels that may never be
registered) and who sent it, like a refused change set's body. The report page needs the
same token (``Authorization: Bearer``); ``parks import --report OUT.html`` writes the same
page as a file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gis.errors import SourceError
from parks.vocabulary import AUDIT_ROLES, WRITE_ROLES
from service.api.deps import ConnDep, EditorDep, EngineDep, SettingsDep, require_roles
from service.api.params import NOT_FOUND, READ_ERRORS, WRITE_ERRORS, error_answer
from service.auth.tokens import Principal
from service.imports import store
from service.imports.options import ImportOptions
from service.imports.outcome import ImportOutcome
from service.imports.reports import html_page
from service.imports.run import apply_import, dry_run
from service.imports.uploads import safe_name, save_parts, without_folders
from service.pages.csp import CspNonceDep

router = APIRouter(tags=["imports"], responses=READ_ERRORS)

GEOJSON = "application/geo+json"

#: Reading an import: editors and admins (who make them), auditors (who check them).
ImportReaderDep = Annotated[
    Principal, Depends(require_roles(WRITE_ROLES | AUDIT_ROLES, what="reading an import"))
]
ImportIdDep = Annotated[int, Path(ge=1, le=2**63 - 1, description="the import's id")]

_UPLOAD_ERRORS = {
    **WRITE_ERRORS,
    413: error_answer(
        "the upload is larger than the limit (PARKS_MAX_UPLOAD_BYTES, default 200 MB)"
    ),
    422: error_answer(
        "the file cannot be read as given (invalid_source, invalid_archive — path traversal, "
        "a zip bomb —, missing_crs with the likely CRS as suggestion), or an option is wrong "
        "(invalid_parameter, invalid_mapping)"
    ),
}
_APPLY_ERRORS = {
    **WRITE_ERRORS,
    **NOT_FOUND,
    409: error_answer(
        "the rule refused it (manufacturing_land_would_decrease, with the shortfall and the "
        "parcels, as for a change set); the land changed since the dry run (import_stale: "
        "run it again); it was applied already (import_already_applied)"
    ),
    422: error_answer(
        "it has blocking problems and was not run with skip_invalid (import_has_blocking_problems)"
    ),
}


def _body(outcome: ImportOutcome) -> dict:
    body = outcome.summary_body()
    body["problems_url"] = f"/api/imports/{outcome.id}/problems.geojson"
    body["report_url"] = f"/imports/{outcome.id}"
    body["apply_url"] = f"/api/imports/{outcome.id}/apply"
    body["options"] = outcome.options
    return body


@router.post("/api/imports", status_code=201, responses=_UPLOAD_ERRORS)
def post_import(
    engine: EngineDep,
    settings: SettingsDep,
    principal: EditorDep,
    file: Annotated[
        list[UploadFile],
        File(
            description="the dataset: one file (.gpkg, .geojson, .dxf, .kml, .csv), a .zip "
            "holding one (a Shapefile with its parts, a File Geodatabase), or a Shapefile's "
            "parts as several 'file' fields"
        ),
    ],
    layer: Annotated[str | None, Form(max_length=500)] = None,
    park: Annotated[str | None, Form(max_length=64, description="every feature's park")] = None,
    park_field: Annotated[
        str | None, Form(max_length=500, description="the column that says the park")
    ] = None,
    map: Annotated[
        list[str] | None, Form(description="SOURCE=TARGET, repeatable (a column to a target)")
    ] = None,
    mapping: Annotated[
        UploadFile | None, File(description="a TOML mapping file ([fields], [values.*])")
    ] = None,
    class_map: Annotated[
        UploadFile | None, File(description="a CSV of source value → land-use code")
    ] = None,
    crs: Annotated[str | None, Form(max_length=100, description="e.g. EPSG:4545")] = None,
    encoding: Annotated[str | None, Form(max_length=40)] = None,
    status: Annotated[
        str | None, Form(max_length=40, description="status of new parcels that give none")
    ] = None,
    retire_missing: Annotated[bool, Form()] = False,
    skip_invalid: Annotated[bool, Form()] = False,
    reason: Annotated[str | None, Form()] = None,
    document_no: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Upload a file for a dry run: it is read, mapped, checked and compared with the
    parcels as they stand, written and judged by the rule in a transaction that is rolled
    back, and stored. 201 with the summary (problems by kind, the diff, the rule's effect);
    `POST /api/imports/{id}/apply` applies it."""
    with tempfile.TemporaryDirectory(prefix="parks-upload-") as scratch:
        folder = FilePath(scratch)
        dataset = save_parts([(f.filename, f.file) for f in file], folder / "data")
        names: dict[str, str] = {}
        paths: dict[str, FilePath | None] = {"mapping": None, "class_map": None}
        for key, upload, default in (
            ("mapping", mapping, "mapping.toml"),
            ("class_map", class_map, "class-map.csv"),
        ):
            if upload is None:
                continue
            name = safe_name(upload.filename, default=default)
            target = folder / key
            target.mkdir()
            paths[key] = save_parts([(name, upload.file)], target)
            names[key] = name
        options = ImportOptions(
            layer=layer or None,
            park=park or None,
            park_field=park_field or None,
            maps=tuple(m for m in (map or []) if m),
            mapping_file=paths["mapping"],
            class_map_file=paths["class_map"],
            crs=crs or None,
            encoding=encoding or None,
            status=status or None,
            retire_missing=retire_missing,
            skip_invalid=skip_invalid,
            reason=reason or None,
            document_no=document_no or None,
            names=names,
        )
        file_name = (
            safe_name(file[0].filename, default="upload")
            if len(file) == 1
            else ", ".join(safe_name(f.filename, default="upload") for f in file)
        )
        try:
            outcome = dry_run(
                engine,
                dataset,
                options,
                actor=principal.name,
                settings=settings,
                file_name=file_name,
            )
        except SourceError as exc:
            raise without_folders(exc, folder / "data", folder) from None
    return JSONResponse(
        _body(outcome),
        status_code=201,
        headers={"Location": f"/api/imports/{outcome.id}"},
    )


@router.get("/api/imports/{import_id}", responses=NOT_FOUND)
def get_import(conn: ConnDep, _reader: ImportReaderDep, import_id: ImportIdDep) -> dict:
    """A stored import: its summary (how the file was read, problems by kind, the diff,
    the rule's effect), its status (dry_run, applied, refused) and change set, and where
    its problems and report are."""
    return _body(store.load_outcome(conn, import_id))


@router.get(
    "/api/imports/{import_id}/problems.geojson",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {"schema": {"type": "object"}}}}, **NOT_FOUND},
)
def get_import_problems(
    conn: ConnDep, _reader: ImportReaderDep, import_id: ImportIdDep
) -> Response:
    """Every problem of an import as a GeoJSON FeatureCollection (EPSG:4326): kind,
    severity, row, parcel code, message, measure; a problem of the whole file has no
    geometry."""
    from service.imports.report_geojson import problems_feature_collection

    outcome = store.load_outcome(conn, import_id)
    return Response(
        json.dumps(problems_feature_collection(outcome), ensure_ascii=False),
        media_type=GEOJSON,
    )


@router.get("/imports/{import_id}", response_class=HTMLResponse, responses=NOT_FOUND)
def import_report_page(
    conn: ConnDep, _reader: ImportReaderDep, import_id: ImportIdDep, nonce: CspNonceDep
) -> HTMLResponse:
    """An import's validation report: a map of the problems over its parks, the problems,
    the diff and the rule's effect."""
    outcome = store.load_outcome(conn, import_id)
    return HTMLResponse(html_page(conn, outcome, inline_assets=False, csp_nonce=nonce))


@router.post("/api/imports/{import_id}/apply", status_code=201, responses=_APPLY_ERRORS)
def post_import_apply(
    engine: EngineDep, settings: SettingsDep, principal: EditorDep, import_id: ImportIdDep
) -> JSONResponse:
    """Apply a stored dry run as one change set (kind `import`). 201 with the change set
    and its ledger row; 200 when the import changes nothing (no change set is recorded).
    Nothing is stored when it is refused."""
    applied = apply_import(engine, import_id, actor=principal.name, settings=settings)
    status = 201 if applied.change_set_id is not None else 200
    headers = (
        {"Location": f"/api/change-sets/{applied.change_set_id}"}
        if applied.change_set_id is not None
        else None
    )
    return JSONResponse(applied.body(), status_code=status, headers=headers)

"""The promise of export and import: an export imported back changes nothing.

For every format an import reads — GeoPackage, zipped Shapefile (UTF-8 and GB18030),
GeoJSON, CSV (UTF-8 with a byte-order mark and GB18030) — with English and with Chinese
field names, a file exported through ``GET /api/export`` or ``parks export`` is imported
back (a dry run through the service, ``parks import`` or ``POST /api/imports``) into the
database it came from: 0 new, 0 changed, every standing parcel unchanged, 0 missing, no
problem at all; and applying it records no change set, no ledger row, no parcel version.

"Unchanged" is not taken on the import's word: the features it staged (``import_feature``)
are compared with the standing parcels by our own SQL — every value, the declared area
against PostGIS's area, the boundary within a millimetre — so a file that lost a value
(which an import leaves as it stands) could not pass.

An export as of a moment before a committed change set, imported into the land as it
stands now, shows exactly the diff that undoes that change set: the rule allows the undo
of a rezoning between non-manufacturing classes and a status change (applied, the land is
as it was), and refuses the undo of a rezoning to industrial land (a loss of manufacturing
land) with the shortfall, storing nothing.

A CSV keeps formula-like text behind a quote (spreadsheet safety); the import takes the
quote off again, so such a holder set by a real change set comes back exactly. A workbook
carries no boundaries (a point per feature) and is no import format: importing one is
refused, naming xlsx.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import shapely
import support_reads as sr
from sqlalchemy import text
from support_changes import change_set, parcel, rezone_op
from support_imports import apply, dry_run, engine_on, land_state

pytestmark = pytest.mark.e2e

#: The import's target fields, written out here: an export must carry
#: every one of them back under a name the import maps by itself.
TARGETS = {
    "parcel_code",
    "land_use_code",
    "status",
    "holder",
    "supply_mode",
    "supplied_on",
    "park",
    "declared_area_m2",
}
#: How far a boundary may move through an export and back (GeoJSON goes via EPSG:4326).
BOUNDARY_TOLERANCE_M = 0.001
#: Exported areas are rounded; the declared area must still be the parcel's own.
AREA_TOLERANCE_M2 = 0.001
BOM = b"\xef\xbb\xbf"


# --- the database, the app, and what the land looks like -----------------------------------


@pytest.fixture(scope="module")
def client(sample_db_url):
    """The app on this module's own copy of the sample (dry runs store imports, never land)."""
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(database_url=sample_db_url))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def editor(sample_db_url) -> dict[str, str]:
    return _token(sample_db_url, "editor")


def _token(url: str, role: str) -> dict[str, str]:
    from service.auth.tokens import create_token

    with engine_on(url) as engine, engine.begin() as conn:
        token = create_token(conn, name=f"round-trip-{role}", role=role)
    return {"Authorization": f"Bearer {token}"}


def _scalar(url: str, sql: str, **params):
    with sr.connect(url) as conn:
        return conn.execute(text(sql), params).scalar_one()


def _rows(url: str) -> dict[str, int]:
    """Rows of the tables an import that changes nothing must not grow, counted by SQL."""
    with sr.connect(url) as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("ledger", "parcel_version", "change_set")
        }


def _state(url: str) -> dict:
    with sr.connect(url) as conn:
        return land_state(conn)


def _standing_count(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM parcel_version WHERE valid_to IS NULL")


def _not_carried_back(url: str, import_id: int) -> list[tuple]:
    """The standing parcels the import's staged features do not give back exactly as they
    stand (every value, the declared area, the boundary) or did not judge unchanged."""
    with sr.connect(url) as conn:
        return conn.execute(
            text(
                "SELECT v.parcel_code, f.verdict, f.land_use_code, f.status, f.holder, "
                "f.supply_mode, f.supplied_on, f.park, f.declared_area_m2 - ST_Area(v.geom), "
                "ST_HausdorffDistance(f.geom, v.geom) "
                "FROM parcel_version v LEFT JOIN import_feature f "
                "ON f.import_id = :id AND f.parcel_code = v.parcel_code "
                "WHERE v.valid_to IS NULL AND NOT coalesce("
                "f.verdict = 'unchanged' AND NOT f.skipped "
                "AND f.park IS NOT DISTINCT FROM v.park "
                "AND f.land_use_code IS NOT DISTINCT FROM v.land_use_code "
                "AND f.status IS NOT DISTINCT FROM v.status "
                "AND f.holder IS NOT DISTINCT FROM v.holder "
                "AND f.supply_mode IS NOT DISTINCT FROM v.supply_mode "
                "AND f.supplied_on IS NOT DISTINCT FROM v.supplied_on "
                "AND abs(f.declared_area_m2 - ST_Area(v.geom)) <= :area_tol "
                "AND ST_HausdorffDistance(f.geom, v.geom) <= :tol, false) "
                "ORDER BY v.parcel_code LIMIT 10"
            ),
            {"id": import_id, "tol": BOUNDARY_TOLERANCE_M, "area_tol": AREA_TOLERANCE_M2},
        ).all()


def _import_run(url: str, import_id: int) -> tuple[str, int | None]:
    with sr.connect(url) as conn:
        row = conn.execute(
            text("SELECT status, change_set_id FROM import_run WHERE id = :id"), {"id": import_id}
        ).one()
    return row.status, row.change_set_id


# --- exporting ---------------------------------------------------------------------------------


def _export_api(client, tmp_path: Path, **params) -> tuple[Path, str | None]:
    """``GET /api/export`` saved under the name it is sent with; and the CRS it declares in
    ``Content-Crs`` (what a CSV download, which has no .prj, says its coordinates are in)."""
    response = client.get("/api/export", params=params)
    assert response.status_code == 200, response.text
    (name,) = re.findall(r'filename="([^"]+)"', response.headers["content-disposition"])
    path = tmp_path / name
    path.write_bytes(response.content)
    declared = re.search(r"/EPSG/0/(\d+)>", response.headers.get("content-crs", ""))
    return path, f"EPSG:{declared.group(1)}" if declared else None


def _export_cli(url: str, out: Path, *args: str) -> Path:
    done = sr.run_parks("export", "--out", str(out), *args, url=url)
    assert done.returncode == 0, done.stderr
    return out


# --- importing back ------------------------------------------------------------------------------


def _upload(path: Path) -> list[tuple[str, tuple[str, bytes]]]:
    """The dataset as ``file`` parts: a Shapefile's or a CSV's companions beside it too."""
    parts = [path] + sorted(
        p for p in path.parent.iterdir() if p.stem == path.stem and p != path and p.is_file()
    )
    return [("file", (p.name, p.read_bytes())) for p in parts]


def _import_and_apply(how: str, url: str, path: Path, *, client=None, editor=None, crs=None):
    """Import *path* back *how* (``service``, ``cli``, ``api``) as a dry run, then apply it;
    returns the dry run's body (the API's shape) and the rows before and after applying."""
    if how == "service":
        outcome = dry_run(url, path, crs=crs)
        body = outcome.summary_body()
        before = (_rows(url), _state(url))
        applied = apply(url, outcome.id)
        assert applied.change_set_id is None and applied.ledger_seq is None
    elif how == "api":
        form = {"crs": crs} if crs else {}
        posted = client.post("/api/imports", files=_upload(path), data=form, headers=editor)
        assert posted.status_code == 201, posted.text
        body = posted.json()
        before = (_rows(url), _state(url))
        done = client.post(f"/api/imports/{body['id']}/apply", headers=editor)
        assert done.status_code == 200, done.text
        assert (done.json()["changed_anything"], done.json()["change_set_id"]) == (False, None)
    else:
        # `parks import` without --dry-run is the technician's one command: a stored dry run
        # (printed), then its apply — which here must find nothing to change.
        before = (_rows(url), _state(url))
        args = ["--crs", crs] if crs else []
        done = sr.run_parks("import", str(path), *args, url=url)
        assert done.returncode == 0, done.stdout + done.stderr
        said = " ".join(done.stdout.split())
        n = _standing_count(url)
        assert f"diff: 0 new, 0 changed, {n:,} unchanged, 0 missing" in said, said
        assert "nothing to change" in said and "no change set recorded" in said, said
        (import_id,) = set(re.findall(r"import (\d+):", said))
        from service.imports import store

        with sr.connect(url) as conn:
            body = store.load_outcome(conn, int(import_id)).summary_body()
    after = (_rows(url), _state(url))
    return body, before, after


def _assert_unchanged_round_trip(url: str, body: dict, before, after) -> None:
    n = _standing_count(url)
    assert body["diff"] == {
        "new": 0,
        "changed": {"total": 0, "rezone": 0, "reshape": 0, "set_status": 0, "supply": 0},
        "unchanged": n,
        "missing": 0,
    }
    assert body["problems"] == {"blocking": 0, "warnings": 0, "by_kind": {}}
    assert (body["rule"]["delta_m2"], body["rule"]["would_refuse"]) == (0, False)
    assert set(body["summary"]["mapping"]) == TARGETS  # mapped back without being told
    assert body["summary"]["features"] == n
    assert _not_carried_back(url, body["id"]) == []
    assert after == before  # no change set, no ledger row, no parcel version
    assert _import_run(url, body["id"]) == ("applied", None)


# --- every format, both field namings, both ways out and three ways back in ------------------


@dataclass(frozen=True)
class Case:
    format: str  # gpkg, shp, geojson, csv
    fields: str  # en, zh
    encoding: str  # UTF-8, GB18030 (Shapefile, CSV)
    export: str  # api, cli
    out: str  # the CLI's --out (its ending says the format)
    back: str  # service, cli, api

    @property
    def id(self) -> str:
        names = {"gpkg": "geopackage", "shp": "shapefile", "geojson": "geojson", "csv": "csv"}
        enc = f"-{self.encoding.lower()}" if self.format in ("shp", "csv") else ""
        return f"{names[self.format]}{enc}-{self.fields}-{self.export}-export-{self.back}-import"


CASES = [
    Case("gpkg", "en", "UTF-8", "api", "", "api"),
    Case("gpkg", "zh", "UTF-8", "cli", "宗地.gpkg", "service"),
    Case("shp", "en", "UTF-8", "api", "", "cli"),
    Case("shp", "zh", "UTF-8", "cli", "宗地.shp", "api"),  # its five files as five parts
    Case("shp", "en", "GB18030", "cli", "parcels.shp.zip", "service"),
    Case("shp", "zh", "GB18030", "api", "", "api"),
    Case("geojson", "en", "UTF-8", "cli", "parcels.geojson", "cli"),
    Case("geojson", "zh", "UTF-8", "api", "", "service"),
    Case("csv", "en", "UTF-8", "api", "", "cli"),  # no .prj: --crs from Content-Crs
    Case("csv", "zh", "UTF-8", "cli", "宗地.csv", "api"),  # with its .prj as a second part
    Case("csv", "en", "GB18030", "cli", "parcels.csv", "service"),
    Case("csv", "zh", "GB18030", "api", "", "api"),  # no .prj: crs from Content-Crs
]


def _export(case: Case, url: str, client, tmp_path: Path) -> tuple[Path, str | None]:
    if case.export == "api":
        params = {"format": case.format, "fields": case.fields}
        if case.format in ("shp", "csv"):
            params["encoding"] = case.encoding
        return _export_api(client, tmp_path, **params)
    args = ["--fields", case.fields]
    if case.format in ("shp", "csv"):
        args += ["--encoding", case.encoding]
    return _export_cli(url, tmp_path / case.out, *args), None


def _assert_file_is_what_the_case_says(case: Case, path: Path) -> None:
    """The exported file is the format, naming and encoding the case claims."""
    if case.format == "csv":
        raw = path.read_bytes()
        assert raw.startswith(BOM) == (case.encoding == "UTF-8")
        header = raw.removeprefix(BOM).decode(case.encoding).splitlines()[0]
        assert ("宗地编号" in header) == (case.fields == "zh"), header
    elif case.format == "shp":
        if path.suffix == ".zip":
            archive = zipfile.ZipFile(path)
            (cpg,) = [n for n in archive.namelist() if n.endswith(".cpg")]
            assert archive.read(cpg).decode() == case.encoding
        else:
            assert path.with_suffix(".cpg").read_text() == case.encoding


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_export_format_imported_back_changes_nothing(
    case, sample_db_url, client, editor, tmp_path
):
    path, declared_crs = _export(case, sample_db_url, client, tmp_path)
    _assert_file_is_what_the_case_says(case, path)
    body, before, after = _import_and_apply(
        case.back, sample_db_url, path, client=client, editor=editor, crs=declared_crs
    )
    if case.format in ("shp", "csv"):
        assert body["summary"]["encoding"] == case.encoding
    _assert_unchanged_round_trip(sample_db_url, body, before, after)


# --- as of a moment before a committed change set ---------------------------------------------


def _commit(url: str, *operations: dict, kind: str) -> datetime:
    """Commit a change set of *operations* through the project's change-set service; the
    database's clock just before it."""
    from parks.operations import ChangeSetRequest
    from service.changes.apply import apply_change_set

    moment = _scalar(url, "SELECT clock_timestamp()")
    with engine_on(url) as engine:
        apply_change_set(
            engine,
            ChangeSetRequest.model_validate(change_set(kind, *operations, reason="round trip")),
            actor="round-trip-test",
            storage_srid=4545,
        )
    return moment


def _one_code(url: str, where: str, **params) -> str:
    return _scalar(
        url,
        "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND "
        f"{where} ORDER BY parcel_code LIMIT 1",
        **params,
    )


def _current(url: str, code: str, column: str):
    """*column* of *code*'s current version, read by our own SQL."""
    return _scalar(
        url,
        f"SELECT {column} FROM parcel_version WHERE valid_to IS NULL AND parcel_code = :c",
        c=code,
    )


def _changed_features(url: str, import_id: int) -> dict[str, tuple]:
    """The staged features the dry run judged changed: code → (kinds, land use, status)."""
    with sr.connect(url) as conn:
        rows = conn.execute(
            text(
                "SELECT parcel_code, kinds, land_use_code, status FROM import_feature "
                "WHERE import_id = :id AND verdict IS DISTINCT FROM 'unchanged' "
                "ORDER BY parcel_code"
            ),
            {"id": import_id},
        ).all()
    return {r.parcel_code: (tuple(r.kinds), r.land_use_code, r.status) for r in rows}


def test_as_of_export_undoes_a_non_industrial_rezoning_and_status_change_the_rule_allows(
    fresh_db_url, tmp_path
):
    url = fresh_db_url
    rezoned = _one_code(url, "land_use_code = '0701'")  # residential → commercial
    made_ready = _one_code(url, "status = 'reserve' AND parcel_code <> :c", c=rezoned)
    then = _commit(
        url,
        rezone_op(rezoned, "0501"),
        {"op": "set_status", "parcel_code": made_ready, "status": "ready"},
        kind="rezone",
    )
    # the CLI's as-of export, to a GB18030 CSV with Chinese names (its .prj beside it)
    path = _export_cli(
        url,
        tmp_path / "then.csv",
        "--as-of",
        then.isoformat(),
        "--fields",
        "zh",
        "--encoding",
        "GB18030",
    )
    outcome = dry_run(url, path)
    n = _standing_count(url)
    assert outcome.diff.counts() == {
        "new": 0,
        "changed": {"total": 2, "rezone": 1, "reshape": 0, "set_status": 1, "supply": 0},
        "unchanged": n - 2,
        "missing": 0,
    }
    assert {c.parcel_code: (c.kinds, c.before, c.after) for c in outcome.diff.changed} == {
        rezoned: (("rezone",), {"land_use_code": "0501"}, {"land_use_code": "0701"}),
        made_ready: (("set_status",), {"status": "ready"}, {"status": "reserve"}),
    }
    assert _changed_features(url, outcome.id) == {
        rezoned: (("rezone",), "0701", _current(url, rezoned, "status")),
        made_ready: (("set_status",), _current(url, made_ready, "land_use_code"), "reserve"),
    }
    assert outcome.blocking == 0
    assert outcome.rule.delta_m2 == pytest.approx(0, abs=1e-6)
    assert not outcome.rule.would_refuse

    before = _rows(url)
    applied = apply(url, outcome.id)
    assert applied.change_set_id is not None
    assert _rows(url) == {
        "ledger": before["ledger"] + 1,
        "parcel_version": before["parcel_version"] + 2,
        "change_set": before["change_set"] + 1,
    }
    with sr.connect(url) as conn:
        assert parcel(conn, rezoned)["land_use_code"] == "0701"
        assert parcel(conn, made_ready)["status"] == "reserve"
        delta = conn.execute(
            text("SELECT delta_city_m2 FROM ledger WHERE change_set_id = :id"),
            {"id": applied.change_set_id},
        ).scalar_one()
    assert delta == pytest.approx(0, abs=1e-6)
    # undone: the export as of then now imports back changing nothing
    again = dry_run(url, path)
    assert again.diff.counts()["changed"]["total"] == 0
    assert again.diff.counts()["unchanged"] == n


def test_as_of_export_undoes_a_rezoning_to_industrial_which_the_rule_refuses(
    fresh_db_url, make_client, make_token, tmp_path
):
    url = fresh_db_url
    code = _one_code(url, "land_use_code = '0604'")  # storage → industrial: a gain
    with sr.connect(url) as conn:
        area_m2 = shapely.area(parcel(conn, code)["geom"])
    then = _commit(url, rezone_op(code, "0601"), kind="rezone")
    client = make_client(url)
    editor = make_token(url, "editor")
    # the API's as-of export, a GeoPackage with Chinese names, uploaded back
    path, _ = _export_api(client, tmp_path, format="gpkg", fields="zh", as_of=then.isoformat())
    posted = client.post("/api/imports", files=_upload(path), headers=editor)
    assert posted.status_code == 201, posted.text
    body = posted.json()
    n = _standing_count(url)
    assert body["diff"] == {
        "new": 0,
        "changed": {"total": 1, "rezone": 1, "reshape": 0, "set_status": 0, "supply": 0},
        "unchanged": n - 1,
        "missing": 0,
    }
    assert _changed_features(url, body["id"]) == {
        code: (("rezone",), "0604", _current(url, code, "status"))
    }
    assert body["problems"]["blocking"] == 0
    rule = body["rule"]
    assert rule["would_refuse"] is True
    assert rule["delta_m2"] == pytest.approx(-area_m2, abs=0.01)
    assert rule["shortfall_m2"] == pytest.approx(area_m2, abs=0.01)

    before = _state(url)
    refused = client.post(f"/api/imports/{body['id']}/apply", headers=editor)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "manufacturing_land_would_decrease"
    assert refused.json()["shortfall_m2"] == pytest.approx(area_m2, abs=0.01)
    assert code in refused.json()["parcels"]
    assert _state(url) == before  # no change set, no ledger row, no parcel version
    assert _import_run(url, body["id"]) == ("refused", None)
    assert _current(url, code, "land_use_code") == "0601"


# --- formula-like text through a CSV -----------------------------------------------------------

#: Holders a spreadsheet would run (=, +, -, @ first) — and one that merely begins with a
#: quote, which must stay as it is.
HOLDERS = ("=HYPERLINK(1)", "+86 宝鸡钛业", "-", "@某某公司", "'t Hooft 工贸")


def test_formula_like_holders_set_by_a_change_set_come_back_exactly_from_csv_and_gis_files(
    fresh_db_url, make_client, tmp_path
):
    url = fresh_db_url
    with sr.connect(url) as conn:
        codes = list(
            conn.execute(
                text(
                    "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL "
                    "AND status = 'ready' ORDER BY parcel_code LIMIT :n"
                ),
                {"n": len(HOLDERS)},
            ).scalars()
        )
    _commit(
        url,
        *(
            {"op": "supply", "parcel_code": c, "holder": h, "mode": "grant"}
            for c, h in zip(codes, HOLDERS, strict=True)
        ),
        kind="supply",
    )
    client = make_client(url)
    csv_en, crs = _export_api(client, tmp_path, format="csv", fields="en")
    csv_zh = _export_cli(url, tmp_path / "宗地.csv", "--fields", "zh", "--encoding", "GB18030")
    # the CSVs do hold the quoted text (else this would prove nothing)
    assert "'=HYPERLINK(1)" in csv_en.read_bytes().decode("utf-8-sig")
    assert "'@某某公司" in csv_zh.read_bytes().decode("gb18030")
    assert "''t Hooft" not in csv_en.read_bytes().decode("utf-8-sig")
    geojson, _ = _export_api(client, tmp_path, format="geojson", fields="zh")
    shapefile, _ = _export_api(client, tmp_path, format="shp", fields="en", encoding="GB18030")
    for path, options in ((csv_en, {"crs": crs}), (csv_zh, {}), (geojson, {}), (shapefile, {})):
        outcome = dry_run(url, path, **options)
        assert outcome.diff.counts()["changed"]["total"] == 0, (path.name, outcome.diff.changed)
        assert outcome.blocking == 0, path.name
        assert _not_carried_back(url, outcome.id) == [], path.name
        with sr.connect(url) as conn:
            staged = dict(
                conn.execute(
                    text(
                        "SELECT parcel_code, holder FROM import_feature "
                        "WHERE import_id = :id AND parcel_code = ANY(:codes)"
                    ),
                    {"id": outcome.id, "codes": codes},
                ).all()
            )
        assert staged == dict(zip(codes, HOLDERS, strict=True)), path.name


# --- a workbook is no import format ------------------------------------------------------------


def test_an_exported_workbook_is_refused_as_an_import_naming_xlsx(
    sample_db_url, client, editor, tmp_path
):
    path, _ = _export_api(client, tmp_path, format="xlsx", fields="zh")
    assert path.suffix == ".xlsx"
    runs = _scalar(sample_db_url, "SELECT count(*) FROM import_run")
    before = _state(sample_db_url)

    posted = client.post("/api/imports", files=_upload(path), headers=editor)
    assert posted.status_code == 422, posted.text
    assert posted.json()["error"] == "invalid_source"
    assert ".xlsx" in posted.text and "not a supported format" in posted.text

    done = sr.run_parks("import", str(path), "--dry-run", url=sample_db_url)
    assert done.returncode == 2, done.stdout + done.stderr
    said = " ".join(done.stderr.split())
    assert ".xlsx" in said and "not a supported format" in said, said

    assert _scalar(sample_db_url, "SELECT count(*) FROM import_run") == runs
    assert _state(sample_db_url) == before

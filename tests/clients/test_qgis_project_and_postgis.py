"""The QGIS project the CLI writes opens in QGIS with every layer valid, styled by land use
and connected to this service; the SLD legend styles an OAPIF layer; and a QGIS user who
connects straight to PostGIS as ``parks_reader`` reads the views of ``gis`` and can write
nothing — through QGIS, and through SQL (psycopg) as that role.

One headless QGIS run does the module's QGIS checks.
"""

from __future__ import annotations

import os
import subprocess

import httpx
import psycopg
import pytest
from clients_support import ROOT
from psycopg import errors
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.clients

READER = "parks_reader"
PARKS_CLI = ROOT / ".venv" / "bin" / "parks"
#: A write into a view of gis: not allowed (no privilege) or not possible (a join view).
VIEW_WRITE_REFUSED = (
    errors.InsufficientPrivilege,
    errors.FeatureNotSupported,
    errors.ObjectNotInPrerequisiteState,
)


def _reader_connect(city) -> psycopg.Connection:
    url = make_url(city.url)
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=READER, dbname=url.database
    )


def _postgres_uri(city, view: str, key: str) -> str:
    """The data source of a PostGIS layer as QGIS's "New PostGIS connection" writes it."""
    url = make_url(city.url)
    return (
        f"dbname='{url.database}' host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"user='{READER}' sslmode=disable key='{key}' checkPrimaryKeyUnicity='0' "
        f'table="gis"."{view}" (geom)'
    )


@pytest.fixture(scope="module")
def reader_exists(city) -> None:
    url = make_url(city.url)
    with psycopg.connect(
        host=url.host or "127.0.0.1", user=url.username, dbname="postgres"
    ) as conn:
        found = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
    assert found, f"role {READER} is missing: `make db` (scripts/ensure-db.sh) creates it"


@pytest.fixture(scope="module")
def project_file(city, tmp_path_factory) -> dict:
    """``parks qgis-project --out city.qgs --base-url <service>``: the file, or the CLI's
    complaint."""
    out = tmp_path_factory.mktemp("qgis") / "city.qgs"
    env = dict(os.environ, DATABASE_URL=city.url)
    done = subprocess.run(
        [str(PARKS_CLI), "qgis-project", "--out", str(out), "--base-url", city.base],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    return {"path": str(out), "rc": done.returncode, "output": done.stdout + done.stderr}


@pytest.fixture(scope="module")
def sld_file(city, tmp_path_factory) -> dict:
    response = httpx.get(f"{city.base}/ogc/styles/landuse", params={"f": "sld"})
    path = tmp_path_factory.mktemp("sld") / "landuse.sld"
    path.write_bytes(response.content)
    return {
        "path": str(path),
        "status": response.status_code,
        "type": response.headers.get("content-type"),
    }


@pytest.fixture(scope="module")
def qgis(city, run_qgis, reader_exists, project_file, sld_file):
    checks = [
        {
            "name": "reader_parcels",
            "kind": "vector",
            "provider": "postgres",
            "uri": _postgres_uri(city, "parcels", "parcel_code"),
            "attributes": ["parcel_code"],
            "write": {
                "parcel_code": "QGIS-WRITE-0001",
                "park": "fengxiang",
                "land_use_code": "0601",
            },
        },
        {
            "name": "reader_versions",
            "kind": "vector",
            "provider": "postgres",
            "uri": _postgres_uri(city, "parcel_versions", "version_id"),
        },
        {
            "name": "sld",
            "kind": "vector",
            "provider": "OAPIF",
            "uri": f"url='{city.base}/ogc' typename='parcels'",
            "sld_path": sld_file["path"],
        },
    ]
    if project_file["rc"] == 0:
        checks.append(
            {"name": "project", "kind": "project", "path": project_file["path"], "count": True}
        )
    versions = city.scalar("SELECT count(*) FROM parcel_version")
    answer = run_qgis(checks)
    answer.noted["versions_before"] = versions
    return answer


# --- the project file ---------------------------------------------------------------------


def test_parks_qgis_project_writes_a_project_file(project_file):
    assert project_file["rc"] == 0, project_file["output"]
    assert os.path.getsize(project_file["path"]) > 0


def test_the_generated_project_opens_in_qgis_with_every_layer_valid(qgis, project_file):
    assert project_file["rc"] == 0, project_file["output"]
    result = qgis["project"]
    assert result["read"], qgis.explain("project")
    assert result["layers"], "the project has no layers"
    broken = [
        (layer["name"], layer["provider"], layer["error"])
        for layer in result["layers"]
        if not layer["valid"]
    ]
    assert broken == [], qgis.explain("project")


def test_the_generated_project_connects_every_layer_to_this_service(qgis, city, project_file):
    assert project_file["rc"] == 0, project_file["output"]
    layers = qgis["project"]["layers"]
    assert all(city.base in layer["source"] for layer in layers), [x["source"] for x in layers]
    sources = " ".join(layer["source"] for layer in layers)
    for collection in ("parks", "parcels", "buildings", "projects"):
        assert f"typename='{collection}'" in sources or f"/{collection}/" in sources, collection


def test_the_project_parcels_layer_holds_every_parcel_styled_by_land_use(qgis, city, project_file):
    assert project_file["rc"] == 0, project_file["output"]
    parcels = [
        layer
        for layer in qgis["project"]["layers"]
        if layer["provider"] == "OAPIF" and "typename='parcels'" in layer["source"]
    ]
    assert len(parcels) == 1, qgis.explain("project")
    assert parcels[0]["feature_count"] == len(city.current_codes())
    renderer = parcels[0]["renderer"]
    assert renderer["type"] in ("categorizedSymbol", "RuleRenderer"), renderer
    assert renderer.get("classes", 0) >= 2, renderer
    if renderer["type"] == "categorizedSymbol":
        assert "land_use" in renderer["attribute"], renderer


def test_qgis_styles_an_oapif_layer_with_the_land_use_sld(qgis, sld_file):
    assert sld_file["status"] == 200, sld_file
    result = qgis["sld"]
    assert result["valid"], qgis.explain("sld")
    assert result["sld_loaded"], qgis.explain("sld")
    assert result["renderer"].get("classes", 0) >= 2, qgis.explain("sld")


# --- the read-only door -------------------------------------------------------------------


def test_qgis_reads_the_current_parcels_through_parks_reader(qgis, city):
    result = qgis["reader_parcels"]
    assert result["valid"], qgis.explain("reader_parcels")
    assert result["crs"] == "EPSG:4545"
    codes = [row["parcel_code"] for row in result["features"]]
    assert len(codes) == len(set(codes)) == result["feature_count"]
    assert set(codes) == city.current_codes()


def test_qgis_reads_every_parcel_version_through_parks_reader(qgis, city):
    result = qgis["reader_versions"]
    assert result["valid"], qgis.explain("reader_versions")
    assert result["feature_count"] == city.scalar("SELECT count(*) FROM parcel_version")


def test_qgis_cannot_write_through_parks_reader(qgis, city):
    write = qgis["reader_parcels"]["write"]
    assert not write["committed"], qgis.explain("reader_parcels")
    versions = city.scalar("SELECT count(*) FROM parcel_version")
    assert versions == qgis.noted["versions_before"]
    assert city.current_codes("parcel_code = 'QGIS-WRITE-0001'") == set()


def test_parks_reader_reads_the_views_with_the_databases_counts(city, reader_exists):
    with _reader_connect(city) as conn:
        assert conn.execute("SELECT count(*) FROM gis.parcels").fetchone()[0] == len(
            city.current_codes()
        )
        assert conn.execute("SELECT count(*) FROM gis.parcel_versions").fetchone()[
            0
        ] == city.scalar("SELECT count(*) FROM parcel_version")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO gis.parcels (parcel_code, park, land_use_code, status, geom) "
        "SELECT 'SQL-WRITE-1', park, land_use_code, status, geom FROM gis.parcels LIMIT 1",
        "UPDATE gis.parcels SET holder = 'x'",
        "DELETE FROM gis.parcels",
    ],
)
def test_parks_reader_cannot_write_through_the_views(city, reader_exists, statement):
    """Even in a read-write transaction it asks for itself (its default is read-only)."""
    before = city.scalar("SELECT count(*) FROM parcel_version")
    with _reader_connect(city) as conn:
        conn.execute("SET TRANSACTION READ WRITE")
        with pytest.raises(VIEW_WRITE_REFUSED):
            conn.execute(statement)
    assert city.scalar("SELECT count(*) FROM parcel_version") == before


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO parcel_version (parcel_code) VALUES ('SQL-WRITE-2')",
        "UPDATE parcel_version SET holder = 'x'",
        "DELETE FROM ledger",
        "SELECT count(*) FROM parcel_version",
        "SELECT count(*) FROM api_token",
        "SELECT count(*) FROM change_set",
    ],
)
def test_parks_reader_cannot_reach_the_base_tables(city, reader_exists, statement):
    with _reader_connect(city) as conn:
        conn.execute("SET TRANSACTION READ WRITE")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_parks_reader_transactions_are_read_only_by_default(city, reader_exists):
    with _reader_connect(city) as conn, pytest.raises(errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO parcel_version (parcel_code) VALUES ('SQL-WRITE-3')")

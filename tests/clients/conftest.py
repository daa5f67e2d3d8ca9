"""The real clients — QGIS 3 (Debian's ``python3-qgis``), GDAL's OAPIF driver (pyogrio's
GDAL, and Debian's ``ogrinfo``/``ogr2ogr``) and OWSLib — against the service as it is
deployed: uvicorn in its own process (``tests/support_server.py``), with its access log kept,
so a test can see the requests a client really made (``filter=``, ``datetime=``, ``crs=``).

Setup: ``scripts/ensure-qgis.sh`` installs ``python3-qgis qgis-providers gdal-bin`` (apt)
when missing, as ``make test`` does before pytest. QGIS's bindings live in the system
``python3``, not in the venv, so QGIS runs in a subprocess: ``qgis_probe.py`` (see there).

The city these tests look at has a history. One database for the folder: migrated from
empty, the committed sample loaded *on a past day* (:data:`PAST_DAY`, 10:00 in the city's
zone: the ``change_set.committed_at`` default is set to that moment for the load alone, as
if the city had loaded its land then — every version, ledger row and total is still written
by the database itself), then two real change sets committed now through the API: a
rezoning to industrial and the registration of a new parcel. So "the parcels as they stood
on :data:`PAST_DAY`" differ from today's by one parcel's class and one parcel.

Expected values are our own: SQL on the database's tables (never the service's views or
code), shapely and pyproj.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from clients_support import (
    PROBE,
    REGISTERED_CODE,
    ROOT,
    SYSTEM_PYTHON,
    City,
    QgisAnswer,
    editor_token,
    migrated_and_loaded_on_past_day,
    start_logged_server,
)
from sqlalchemy import create_engine, pool, text
from support_changes import change_set, free_box, register_op, rezone_op
from support_server import stop_server


@pytest.fixture(scope="session")
def city(databases, tmp_path_factory) -> Iterator[City]:
    """The folder's city: loaded on :data:`PAST_DAY`, changed today, served with its log."""
    from support_changes import url_for

    url = url_for(databases.create(template=databases.postgis_template))
    migrated_and_loaded_on_past_day(url)
    service = start_logged_server(url, tmp_path_factory.mktemp("service") / "service.log")
    try:
        engine = create_engine(url, poolclass=pool.NullPool)
        with engine.connect() as conn:
            rezoned, rezoned_from = conn.execute(
                text(
                    "SELECT parcel_code, land_use_code FROM parcel_version "
                    "WHERE valid_to IS NULL AND land_use_code = '0604' "
                    "ORDER BY area_m2 DESC, parcel_code LIMIT 1"
                )
            ).one()
            square = free_box(conn, "fengxiang", size_m=20.0)
        engine.dispose()
        headers = editor_token(url)
        for body in (
            change_set("rezone", rezone_op(rezoned, "0601"), reason="clients: rezone"),
            change_set(
                "register", register_op(REGISTERED_CODE, "fengxiang", square, crs="EPSG:4545")
            ),
        ):
            answer = httpx.post(f"{service.base}/api/change-sets", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
        yield City(url, service, rezoned, rezoned_from, REGISTERED_CODE)
    finally:
        stop_server(service.server)


# --- QGIS -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def qgis_python() -> str:
    """The system python3 with QGIS's bindings (installed with apt when missing)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-qgis.sh")], check=True)
    found = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, check=False
    )
    assert found.returncode == 0, f"{SYSTEM_PYTHON} can't import qgis.core: {found.stderr}"
    return SYSTEM_PYTHON


@pytest.fixture(scope="session")
def run_qgis(qgis_python: str, tmp_path_factory):
    """``run_qgis(checks)``: one headless QGIS process doing *checks* (see qgis_probe.py),
    with a QGIS profile folder of the session's own."""
    profile = tmp_path_factory.mktemp("qgis-profile")

    def _run(checks: list[dict], *, timeout_s: float = 240) -> QgisAnswer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["QT_QPA_PLATFORM"] = "offscreen"
        done = subprocess.run(
            [qgis_python, str(PROBE)],
            input=json.dumps({"profile": str(profile), "checks": checks}),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            check=False,
        )
        line = next(
            (ln for ln in done.stdout.splitlines() if ln.startswith("QGIS_PROBE_RESULT ")), None
        )
        assert line is not None, (
            f"qgis_probe.py gave no answer (exit {done.returncode}):\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        answer = json.loads(line.removeprefix("QGIS_PROBE_RESULT "))
        if os.environ.get("PARKS_QGIS_DUMP"):  # a folder: keep every answer there to read
            folder = Path(os.environ["PARKS_QGIS_DUMP"])
            folder.mkdir(parents=True, exist_ok=True)
            name = "-".join(sorted(c["name"] for c in checks))[:80]
            (folder / f"{name}.json").write_text(json.dumps(answer, indent=1, ensure_ascii=False))
        return QgisAnswer(
            answer["qgis_version"], answer["results"], answer["messages"], done.stderr
        )

    return _run

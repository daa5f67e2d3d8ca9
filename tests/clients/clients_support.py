"""Helpers of the client tests (tests/clients): the service with its access log, the
folder's city and its history, QGIS's answers, GDAL's tools. See conftest.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import support_server
from sqlalchemy import create_engine, pool, text
from support_roles import owner_url
from support_server import Server

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).resolve().parent / "qgis_probe.py"
SYSTEM_PYTHON = os.environ.get("PARKS_QGIS_PYTHON", "/usr/bin/python3")
ZONE = "Asia/Shanghai"
#: The day the sample was loaded, in this folder's city (a date alone is read in ``ZONE``).
PAST_DAY = "2025-06-30"
LOADED_AT = f"{PAST_DAY} 10:00:00+08"
REGISTERED_CODE = "FX-OGC-0001"
#: The sample's collections every client must see, besides one per context layer.
CORE_COLLECTIONS = ("parcels", "parcel_versions", "buildings", "leases", "projects", "parks")

#: The logger of the service's access lines (one JSON object a line, service.observability).
ACCESS_LOGGER = "parks.access"


# --- the service, with its access log ------------------------------------------------------


@dataclass
class Request:
    """One line of the service's access log."""

    method: str
    target: str
    status: int

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        """The query parameters, decoded (the last of a repeated name)."""
        return dict(httpx.URL(self.target).params.multi_items())


class ServiceLog:
    """The service's log (JSON lines, its access lines among them), in a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        """Where the log ends now; ``requests_since(mark)`` reads what comes after."""
        return self.path.stat().st_size

    def text_since(self, mark: int = 0) -> str:
        with self.path.open("rb") as f:
            f.seek(mark)
            return f.read().decode("utf-8", "replace")

    def requests_since(self, mark: int = 0) -> list[Request]:
        """The requests the service answered after *mark*, in order (its access lines)."""
        requests = []
        for line in self.text_since(mark).splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("logger") != ACCESS_LOGGER:
                continue
            target = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
            requests.append(Request(entry["method"], target, int(entry["status"])))
        return requests


@dataclass
class Service:
    """The service at ``base`` and its log."""

    server: Server
    log: ServiceLog

    @property
    def base(self) -> str:
        return self.server.base


def start_logged_server(database_url: str, log_path: Path, **settings: object) -> Service:
    """``support_server.start_server`` — the deployed command line, the settings, the wait
    for ``/health`` — with the service's log (its access lines among them) kept in
    *log_path*."""
    server = support_server.start_server(database_url, log_path=log_path, **settings)
    return Service(server, ServiceLog(log_path))


# --- the database ---------------------------------------------------------------------------


@dataclass
class City:
    """The folder's database and service, and the changes made since :data:`PAST_DAY`."""

    url: str
    service: Service
    rezoned: str  # a parcel rezoned to 0601 today
    rezoned_from: str  # its class on PAST_DAY
    registered: str  # a parcel registered today

    @property
    def base(self) -> str:
        return self.service.base

    def rows(self, query: str, **params) -> list:
        engine = create_engine(self.url, poolclass=pool.NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query), params))
        finally:
            engine.dispose()

    def scalar(self, query: str, **params):
        return self.rows(query, **params)[0][0]

    def current_codes(self, where: str = "true", **params) -> set[str]:
        """Codes of the parcels standing now (our SQL on ``parcel_version``)."""
        return {
            r[0]
            for r in self.rows(
                f"SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL AND {where}",
                **params,
            )
        }

    def classes_on(self, day: str) -> dict[str, str]:
        """Code -> land-use class of the parcels standing at the end of *day* in ``ZONE``."""
        rows = self.rows(
            "WITH m AS (SELECT (CAST(:day AS date) + 1)::timestamp AT TIME ZONE :zone AS t) "
            "SELECT parcel_code, land_use_code FROM parcel_version, m "
            "WHERE valid_from < m.t AND (valid_to IS NULL OR valid_to >= m.t)",
            day=day,
            zone=ZONE,
        )
        return dict(rows)


def migrated_and_loaded_on_past_day(url: str) -> None:
    from service.db.engine import make_engine
    from service.db.migrate import upgrade
    from service.imports.loader import load_dataset

    upgrade(owner_url(url))
    # The owner dates the load in the past (an empty ledger lets a change set be dated
    # so); the service's role loads, as `parks load` does.
    owner = make_engine(owner_url(url))
    engine = make_engine(url)
    try:
        with owner.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE change_set ALTER COLUMN committed_at "
                    f"SET DEFAULT timestamptz '{LOADED_AT}'"
                )
            )
        load_dataset(engine, ROOT / "data" / "sample" / "parks.gpkg", storage_srid=4545)
        with owner.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE change_set ALTER COLUMN committed_at SET DEFAULT clock_timestamp()"
                )
            )
    finally:
        engine.dispose()
        owner.dispose()


def editor_token(url: str) -> dict[str, str]:
    """A new editor's ``Authorization`` header in database *url*."""
    from service.auth.tokens import create_token

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            token = create_token(conn, name=f"clients-{uuid.uuid4().hex[:6]}", role="editor")
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@dataclass
class QgisAnswer:
    """What ``qgis_probe.py`` reported, and its stderr for the failure messages."""

    version: str
    results: dict
    messages: list[str]
    stderr: str
    #: the service's access log over the run, when the caller keeps it
    requests: list[Request] = field(default_factory=list)
    #: what the caller noted around the run (e.g. counts before it)
    noted: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> dict:
        result = self.results[name]
        assert "exception" not in result, result["exception"]
        return result

    def explain(self, name: str) -> str:
        """A check's answer and QGIS's messages, for an assertion's message."""
        return json.dumps(
            {"result": self.results.get(name), "qgis_messages": self.messages[-30:]},
            ensure_ascii=False,
            indent=1,
        )[:6000]


def gdal_bin(tool: str) -> str:
    """Debian's ``ogrinfo``/``ogr2ogr`` (gdal-bin, installed by scripts/ensure-qgis.sh)."""
    found = shutil.which(tool)
    if found is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-qgis.sh")], check=True)
        found = shutil.which(tool)
    assert found, f"{tool} is missing after scripts/ensure-qgis.sh"
    return found

"""A scratch PostgreSQL cluster of its own, for tests that stop, crash and restart the
database — never the shared cluster the rest of the suite runs on.

:func:`scratch_cluster` makes one with Debian's ``pg_createcluster`` (as the ``postgres``
user, the same major version as the suite's server, PostGIS installed cluster-wide) on a
free port, its data directory under the system's temporary folder, trust authentication
on 127.0.0.1 like the test server's, fsync on (the crash tests count on what a commit
promises). It copies the suite's four roles from the suite's server (``pg_dumpall
--roles-only``, only those four), and the loaded sample (the suite's ``loaded_template``:
migrated from empty and loaded with the committed sample) with ``pg_dump`` into database
``parks``. At the end it stops the cluster and drops it, data directory and all.

Clusters are named ``parks_tmpcluster_<pid>_<6 hex digits>``; one left behind by a run
that was killed (its pid gone) is dropped by the next run that makes one. Nothing else
(another name, the suite's own server) is ever touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url
from support_roles import APP_BASE_URL
from support_server import free_port

PREFIX = "parks_tmpcluster_"
NAME_PATTERN = re.compile(rf"{PREFIX}(\d+)_[0-9a-f]{{6}}")
ROLES = ("parks_owner", "parks_app", "parks_reader", "parks_auditor")
DATA_ROOT = Path(tempfile.gettempdir()) / "parks-scratch-clusters"
#: Longest a start (with crash recovery) or a stop may take.
PG_CTL_TIMEOUT_S = 60


def _as_postgres(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a command as the ``postgres`` user; raise with its output when it fails."""
    kwargs.setdefault("timeout", PG_CTL_TIMEOUT_S)
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, **kwargs
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def available() -> str | None:
    """Why scratch clusters can't be made here, or None when they can."""
    if os.geteuid() != 0:
        return "making a scratch PostgreSQL cluster needs root (runuser -u postgres)"
    for tool in ("runuser", "pg_createcluster", "pg_ctlcluster", "pg_dropcluster"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian's postgresql-common)"
    return None


def _main_port() -> int:
    return make_url(APP_BASE_URL).port or 5432


def _main_major() -> str:
    """The major version of the suite's server (the scratch cluster's must match)."""
    url = make_url(APP_BASE_URL)
    with psycopg.connect(
        host=url.host or "127.0.0.1", port=_main_port(), user=url.username, dbname="postgres"
    ) as conn:
        number = conn.execute("SHOW server_version_num").fetchone()[0]
    return str(int(number) // 10000)


def _clusters() -> list[tuple[str, str]]:
    """(version, name) of every cluster on this machine."""
    out = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale() -> list[str]:
    """Drop the scratch clusters whose test run is gone; return their names."""
    dropped = []
    for version, name in _clusters():
        ours = NAME_PATTERN.fullmatch(name)
        if ours is None or _pid_alive(int(ours.group(1))):
            continue
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "pg_dropcluster", "--stop", version, name],
            capture_output=True,
            timeout=PG_CTL_TIMEOUT_S,
        )
        shutil.rmtree(DATA_ROOT / name, ignore_errors=True)
        dropped.append(name)
    return dropped


@dataclass
class ScratchCluster:
    """A cluster of our own: ``version``/``name`` for pg_ctlcluster, ``port`` on 127.0.0.1."""

    version: str
    name: str
    port: int
    database: str = "parks"

    def url(self, role: str = "parks_app", database: str | None = None) -> str:
        """SQLAlchemy URL of *database* (default ``parks``) as *role* (trust: no password)."""
        return f"postgresql+psycopg://{role}@127.0.0.1:{self.port}/{database or self.database}"

    def connect(
        self, role: str = "postgres", database: str | None = None, **kwargs
    ) -> psycopg.Connection:
        """A psycopg connection to *database* (default ``parks``) as *role* (default: the
        superuser, who sees every session's query in pg_stat_activity); autocommit unless
        told otherwise."""
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=role, dbname=database or self.database, **kwargs
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (``immediate``: like a crash, no checkpoint, no goodbye to the
        clients; the next start recovers from the WAL)."""
        _as_postgres("pg_ctlcluster", self.version, self.name, "stop", "-m", mode)

    def start(self) -> None:
        """Start the server; return once it accepts connections (after crash recovery).

        ``pg_ctl`` with the cluster's own data directory, configuration and log, which is
        what ``pg_ctlcluster start`` runs — without the wrapper's two seconds a start."""
        _as_postgres(
            f"/usr/lib/postgresql/{self.version}/bin/pg_ctl", "start", "-w",
            "-t", str(PG_CTL_TIMEOUT_S), "-D", str(DATA_ROOT / self.name),
            "-o", f"-c config_file=/etc/postgresql/{self.version}/{self.name}/postgresql.conf",
            "-l", f"/var/log/postgresql/postgresql-{self.version}-{self.name}.log",
        )  # fmt: skip
        deadline = time.monotonic() + PG_CTL_TIMEOUT_S
        while True:
            try:
                with self.connect(database="postgres") as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def drop(self) -> None:
        """Stop the server (immediate: nothing to keep) and drop the cluster with its data."""
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "pg_ctlcluster", self.version, self.name, "stop",
             "-m", "immediate"],
            capture_output=True,
            timeout=PG_CTL_TIMEOUT_S,
        )  # fmt: skip
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                "pg_dropcluster",
                "--stop",
                self.version,
                self.name,
            ],
            capture_output=True,
            timeout=PG_CTL_TIMEOUT_S,
        )
        shutil.rmtree(DATA_ROOT / self.name, ignore_errors=True)


def _copy_roles(cluster: ScratchCluster) -> None:
    """The suite's four roles, as the suite's server has them (attributes and settings)."""
    dump = _as_postgres("pg_dumpall", "--roles-only", "-p", str(_main_port())).stdout
    wanted = [
        line
        for line in dump.splitlines()
        if line.startswith(("CREATE ROLE ", "ALTER ROLE "))
        and line.split()[2].rstrip(";").strip('"') in ROLES
    ]
    _as_postgres(
        "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", str(cluster.port), "-d", "postgres",
        input="\n".join(wanted) + "\n",
    )  # fmt: skip


def _copy_database(cluster: ScratchCluster, source_database: str) -> None:
    """*source_database* of the suite's server into the scratch cluster's ``parks``."""
    _as_postgres(
        "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-p", str(cluster.port), "-d", "postgres",
        "-c", f'CREATE DATABASE "{cluster.database}" OWNER parks_owner',
    )  # fmt: skip
    dump = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", "pg_dump", "-p", str(_main_port()), source_database],
        stdout=subprocess.PIPE,
    )
    restore = subprocess.run(
        [
            "runuser", "-u", "postgres", "--", "env", "PGOPTIONS=-c synchronous_commit=off",
            "psql", "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-p", str(cluster.port),
            "-d", cluster.database,
        ],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
        timeout=PG_CTL_TIMEOUT_S,
    )  # fmt: skip
    dump.stdout.close()
    if dump.wait(timeout=PG_CTL_TIMEOUT_S) != 0 or restore.returncode != 0:
        raise RuntimeError(f"copying {source_database} failed: {restore.stderr.strip()}")


@contextmanager
def scratch_cluster(source_database: str) -> Iterator[ScratchCluster]:
    """A running scratch cluster holding a copy of *source_database* (a database of the
    suite's server, e.g. the ``loaded_template`` fixture's) as ``parks``; stopped and
    dropped afterwards."""
    drop_stale()
    DATA_ROOT.mkdir(exist_ok=True)
    shutil.chown(DATA_ROOT, "postgres", "postgres")
    cluster = ScratchCluster(
        version=_main_major(), name=f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:6]}", port=0
    )
    try:
        cluster.port = free_port()
        _as_postgres(
            "pg_createcluster", cluster.version, cluster.name, "-p", str(cluster.port),
            "-d", str(DATA_ROOT / cluster.name), "-o", "shared_buffers=32MB",
            "--", "--auth=trust", "--no-sync",
        )  # fmt: skip
        cluster.start()
        _copy_roles(cluster)
        _copy_database(cluster, source_database)
        with cluster.connect() as conn:
            conn.execute("CHECKPOINT")  # a crash's recovery then replays only the test's WAL
        yield cluster
    finally:
        cluster.drop()


def bearer_on(cluster: ScratchCluster, *, name: str, role: str) -> dict[str, str]:
    """The Authorization header of a new token of *role* named *name* in *cluster*'s
    database."""
    from sqlalchemy import create_engine

    from service.auth.tokens import create_token

    engine = create_engine(cluster.url())
    try:
        with engine.begin() as conn:
            token = create_token(conn, name=name, role=role)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}

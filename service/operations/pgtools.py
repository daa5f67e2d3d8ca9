"""Running PostgreSQL's own ``pg_dump`` and ``pg_restore`` on a database named by a
SQLAlchemy URL (``postgresql+psycopg://user:password@host:port/db?sslmode=...``).

The password never appears on a command line (other users can read those): it is passed
in ``PGPASSWORD``; everything else goes in a libpq connection string. Without a password
libpq's own means apply (peer or trust authentication, ``~/.pgpass``).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from sqlalchemy.engine import make_url

from service.operations.errors import ToolFailed

#: Lines of a failed tool's output quoted in the error.
QUOTED_LINES = 12


def conninfo(database_url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection string of *database_url* (without its password) and the
    environment variables to run a client with (``PGPASSWORD`` when the URL has one)."""
    url = make_url(database_url)
    parts = {
        "host": url.host,
        "port": str(url.port) if url.port else None,
        "user": url.username,
        "dbname": url.database,
    }
    parts.update({k: str(v) for k, v in url.query.items() if isinstance(v, str)})
    text = " ".join(f"{k}={_quoted(v)}" for k, v in parts.items() if v)
    env = {"PGPASSWORD": url.password} if url.password else {}
    return text, env


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def tool(name: str) -> str:
    """The path of the PostgreSQL client program *name* (``pg_dump``, ``pg_restore``)."""
    found = shutil.which(name)
    if found is None:
        raise ToolFailed(
            f"{name} is not installed (Debian/Ubuntu: apt-get install postgresql-client)"
        )
    return found


def tool_version(name: str) -> str:
    """``pg_dump (PostgreSQL) 15.20 ...`` as the program reports it."""
    done = subprocess.run([tool(name), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def run_tool(
    name: str, arguments: list[str], *, database_url: str | None = None, what: str
) -> subprocess.CompletedProcess[str]:
    """Run *name* with *arguments* (``--dbname`` added for *database_url*); raise
    :class:`ToolFailed` saying *what* failed, with the end of its output, when it exits
    non-zero."""
    command = [tool(name), *arguments]
    env = {**os.environ}
    if database_url is not None:
        dsn, extra = conninfo(database_url)
        command.append(f"--dbname={dsn}")
        env.update(extra)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()[-QUOTED_LINES:]
        raise ToolFailed(f"{what} failed ({name} exited {done.returncode}): " + "\n".join(lines))
    return done

"""The service as it is deployed — uvicorn in its own process, with the header deadline of
``service.api.serving`` — on a free 127.0.0.1 port, for tests that need a real server:
real sockets, real concurrency, real slow clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """The service in a subprocess at ``base``."""

    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(database_url: str, *, log_path: Path | None = None, **settings: object) -> Server:
    """Start the service on a free port with *database_url* and ``PARKS_*`` *settings*;
    return once ``/health`` answers. Its log (standard error) goes to *log_path* when
    given."""
    from service.api.serving import PROTOCOL

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKS_")}
    # The suite's one standing setting (tests/conftest.py): editors apply directly unless
    # a test says otherwise.
    if "PARKS_EDITORS_APPLY_DIRECTLY" in os.environ:
        env["PARKS_EDITORS_APPLY_DIRECTLY"] = os.environ["PARKS_EDITORS_APPLY_DIRECTLY"]
    env.update({f"PARKS_{k.upper()}": str(v) for k, v in settings.items()})
    env["DATABASE_URL"] = database_url
    log = log_path.open("ab") if log_path is not None else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.api.app:app_factory",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--http",
            PROTOCOL,
            "--log-level",
            "warning",
            "--timeout-graceful-shutdown",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stderr=log,
    )
    if log is not None:
        log.close()  # the server has its own copy
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return Server(process, port)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the service did not start (exit {process.poll()})") from None
            time.sleep(0.1)


def stop_server(server: Server) -> None:
    """Stop the service (killed when it doesn't stop within 10 s)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@contextmanager
def running_server(
    database_url: str, *, log_path: Path | None = None, **settings: object
) -> Iterator[Server]:
    """``start_server`` as a context manager."""
    server = start_server(database_url, log_path=log_path, **settings)
    try:
        yield server
    finally:
        stop_server(server)

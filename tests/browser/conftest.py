"""Browser tests: the service runs in a subprocess (uvicorn) on a free 127.0.0.1 port
against a throwaway copy of the sample, and headless Chromium (Debian's package, driven
by Playwright with its own browser downloads never used) opens the map pages. Every
request to any other address is refused, and counted: a page that tries one fails.

Setup: ``scripts/ensure-chromium.sh`` installs chromium and the CJK fonts (apt) when
missing; Playwright comes with the dev dependencies. Screenshots go to the session's
temporary folder, and to ``docs/`` when ``PARKS_UPDATE_SCREENSHOTS=1`` (``make
screenshot``), which is where the README's picture comes from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support_server import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PARKS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
DOCS = ROOT / "docs"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (installed with the CJK fonts when missing)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-chromium.sh")], check=True)
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing after scripts/ensure-chromium.sh"
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def service(sample_db_url: str) -> Iterator[Server]:
    """The service on the module's copy of the sample, default settings."""
    s = start_server(sample_db_url)
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def tiled_service(sample_db_url: str) -> Iterator[Server]:
    """The service with a threshold low enough that the sample's parcels, buildings and
    projects are drawn from vector tiles."""
    s = start_server(sample_db_url, map_vector_tile_threshold="20")
    yield s
    stop_server(s)


@dataclass
class Visit:
    """A page and everything it did that a page working offline must not do."""

    page: object
    base: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    responses: list[tuple[str, int]] = field(default_factory=list)
    pending: set = field(default_factory=set)

    def problems(self) -> list[str]:
        """Console errors, script errors, failed requests and refused requests."""
        bad_status = [f"{url} -> {status}" for url, status in self.responses if status >= 400]
        return [
            *(f"console: {m}" for m in self.console_errors),
            *(f"script: {m}" for m in self.page_errors),
            *(f"failed: {m}" for m in self.failed),
            *(f"refused (not the service): {m}" for m in self.refused),
            *(f"HTTP error: {m}" for m in bad_status),
        ]

    def settle(self, quiet_ms: int = 400, timeout_ms: int = 15000) -> None:
        """Wait until no request has been in flight for *quiet_ms*."""
        waited = quiet = 0
        while quiet < quiet_ms:
            assert waited < timeout_ms, f"in flight: {sorted(r.url for r in self.pending)}"
            self.page.wait_for_timeout(50)
            waited += 50
            quiet = quiet + 50 if not self.pending else 0

    def open(self, path: str, *, wait_drawn: bool = True) -> None:
        self.page.goto(self.base + path)
        if wait_drawn:
            self.page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=20000)


@pytest.fixture
def visit(browser) -> Iterator[Callable[[Server], Visit]]:
    """``visit(service)``: a fresh page whose every request to anything but *service* is
    refused and recorded, as are console errors and failed requests."""
    contexts = []

    def _visit(service: Server) -> Visit:
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        v = Visit(page=page, base=service.base)
        prefix = service.base + "/"

        def route(r) -> None:
            url = r.request.url
            if url.startswith(prefix) or url.startswith("data:"):
                r.continue_()
            else:
                v.refused.append(url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: v.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: v.page_errors.append(str(e)))
        page.on("request", lambda r: v.pending.add(r))
        page.on("requestfinished", lambda r: v.pending.discard(r))
        page.on("requestfailed", lambda r: v.pending.discard(r))
        page.on("requestfailed", lambda r: v.failed.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: v.responses.append((r.url, r.status)))
        return v

    yield _visit
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Callable[[object, str], Path]:
    """``shots(page, name)``: a screenshot in the session's folder (and in docs/ when
    PARKS_UPDATE_SCREENSHOTS=1)."""
    folder = tmp_path_factory.mktemp("screenshots")

    def _shot(page, name: str) -> Path:
        path = folder / name
        page.screenshot(path=str(path))
        if os.environ.get("PARKS_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(path, DOCS / name)
        return path

    return _shot

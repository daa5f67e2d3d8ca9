"""Render the map pages to PNG with headless Chromium (Debian's package) for the README.

Usage: ``make screenshot`` (loads the sample into DATABASE_URL's database if needed).
Writes docs/map-city.png and docs/map-caijiapo.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db.engine import get_engine  # noqa: E402
from service.mapdata import park_map_html  # noqa: E402
from service.settings import get_settings  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1400,900",
    "--virtual-time-budget=6000",
]


def shoot(html: str, out: Path) -> None:
    """Write *html* to a temporary file and screenshot it to *out*."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "map.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp}/profile",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(f"wrote {out}")


def main() -> None:
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-chromium.sh")], check=True)
    settings = get_settings()
    with get_engine().connect() as conn:
        for park, name in ((None, "map-city.png"), ("caijiapo", "map-caijiapo.png")):
            html = park_map_html(conn, settings=settings, park=park, inline_assets=True)
            shoot(html, ROOT / "docs" / name)


if __name__ == "__main__":
    main()

"""Re-render the pictures in docs/ — the README's among them — from the browser tests.

Usage: ``make screenshot``. The browser tests (tests/browser) start the service against a
throwaway copy of the sample, open the maps in headless Chromium (Debian's package, with
nothing but the service reachable) and, with ``PARKS_UPDATE_SCREENSHOTS=1``, copy their
screenshots here: map-caijiapo.png (the README's), map-city.png, map-availability.png and
map-draw-query.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/browser/test_browser_pages.py::test_park_map_loads_with_nothing_but_the_service_and_draws_every_parcel",
    "tests/browser/test_browser_pages.py::test_city_map_draws_the_parcels_of_every_park",
    "tests/browser/test_browser_tools.py::test_availability_map_highlights_candidates_and_writes_the_criteria",
    "tests/browser/test_browser_tools.py::test_drawing_an_area_lists_the_land_available_in_it",
]


def main() -> int:
    env = dict(os.environ, PARKS_UPDATE_SCREENSHOTS="1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    result = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if result.returncode == 0:
        for name in (
            "map-caijiapo.png",
            "map-city.png",
            "map-availability.png",
            "map-draw-query.png",
        ):
            print(f"wrote docs/{name}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())

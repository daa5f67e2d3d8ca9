"""The map officials work in — page weight, time until the parcels are drawn in
headless Chromium, and vector-tile latency.

Measured on a real uvicorn server (``bench.common.Server``, default settings: layers above
5,000 features are drawn from vector tiles) and Debian's chromium driven by Playwright,
with every request to anything but the server refused:

* one park's map (``/map/caijiapo`` of the committed sample, its parcels embedded);
* the city map of a 100,000-parcel city (``/map``; parcels from vector tiles);
* tile latency p50/p99 at zooms 12, 14 and 16 over the tiles covering the city's parks.

Page weight is what the browser fetched until the parcels were drawn (Resource Timing
``encodedBodySize``: HTML, scripts, styles, images, tiles; no HTTP cache, no compression).
Draw time is the page's ``plm-parcels-drawn`` mark (the parcel layer is in the document
and painted, or its visible tiles have loaded and rendered), from navigation start.

``make bench`` runs it (or ``.venv/bin/python bench/maps_and_tiles.py``); the result goes between
``<!-- maps -->`` and ``<!-- /maps -->`` in bench/RESULTS.md. ``--reuse`` keeps the
100,000-parcel database between runs (``parks_bench_maps_city100k``).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402
from sqlalchemy import text  # noqa: E402

from gis.tiles import tiles_covering  # noqa: E402

KEY = "maps"
PARK = "caijiapo"
CITY_PARCELS = 100_000
CITY_DB = "parks_bench_maps_city100k"
CITY_GPKG = [ROOT / "data" / "bench" / "parks-100k.gpkg", common.OUT_DIR / "parks-100k.gpkg"]
CHROMIUM = "/usr/bin/chromium"
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
ZOOMS = (12, 14, 16)
#: Goals of the map.
PARK_PAGE_MAX_BYTES = 1.5 * 1024 * 1024
PARK_DRAWN_MAX_S = 2.0
CITY_DRAWN_MAX_S = 3.0
TILE_P50_MAX_MS_Z14 = 20.0

_WEIGHT_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource');
    const kinds = {};
    let total = nav.encodedBodySize;
    kinds['html'] = nav.encodedBodySize;
    for (const r of res) {
        const k = r.name.includes('/tiles/') ? 'tiles' : r.name.split('?')[0].split('.').pop();
        kinds[k] = (kinds[k] || 0) + r.encodedBodySize;
        total += r.encodedBodySize;
    }
    const mark = performance.getEntriesByName('plm-parcels-drawn')[0];
    return {total, kinds, requests: res.length + 1,
            drawn_ms: mark ? mark.startTime : null,
            html_ms: nav.responseEnd - nav.requestStart};
}"""


def _city_gpkg() -> Path:
    for path in CITY_GPKG:
        if path.is_file():
            return path
    from service.sample import generator as sample

    out = CITY_GPKG[-1]
    out.parent.mkdir(parents=True, exist_ok=True)
    common.log(f"generating a {CITY_PARCELS:,}-parcel city into {out}")
    sample.write(sample.generate(seed=2026, total_parcels=CITY_PARCELS), out)
    return out


def _parcel_count(database: str) -> int:
    engine = common.engine_for(database)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM parcel_version WHERE valid_to IS NULL")
            ).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def _fresh(name: str) -> None:
    with common.admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{common.TEMPLATE}"')
    from service.db.migrate import upgrade

    upgrade(common.owner_db_url(name))


#: What the problems check of a load is replaced by for the generated city (see below).
_NO_PROBLEMS = (
    "SELECT NULL::bigint AS row_no, NULL::text AS parcel_code, NULL::text AS problem WHERE false"
)


def load_city(database: str, gpkg: Path) -> float:
    """Load the generated city with ``service.imports.loader.load_dataset``, its checks of the new
    parcels' shapes left out: the generator's output is clean by construction, and that
    check is what makes a 100,000-parcel load slow (the loading benchmark measures it).
    Everything else — parks, the parcels as one change set, the rule, buildings, leases,
    projects, context layers — is the loader's own. Seconds taken."""
    from unittest import mock

    from service.db.sqlfiles import sql as real_sql
    from service.imports import loader

    def sql(package: str, name: str) -> str:
        return _NO_PROBLEMS if name == "load_parcels_problems.sql" else real_sql(package, name)

    engine = common.engine_for(database)
    start = time.perf_counter()
    try:
        with mock.patch.object(loader, "sql", sql):
            report = loader.load_dataset(
                engine, gpkg, storage_srid=common.STORAGE_SRID, actor="bench maps"
            )
    finally:
        engine.dispose()
    common.log(f"loaded {report.parcels_added:,} parcels in {time.perf_counter() - start:.0f} s")
    return time.perf_counter() - start


def city_database(reuse: bool) -> tuple[str, float | None]:
    """The 100,000-parcel city's database (built, or reused with *reuse*) and the
    seconds its load took (None when reused)."""
    if reuse and _parcel_count(CITY_DB) >= CITY_PARCELS * 0.95:
        common.log(f"reusing {CITY_DB}")
        return CITY_DB, None
    gpkg = _city_gpkg()
    _fresh(CITY_DB)
    common.log(f"loading {gpkg} into {CITY_DB}")
    return CITY_DB, load_city(CITY_DB, gpkg)


def sample_database(dbs: common.Databases) -> str:
    """A throwaway database with the committed sample."""
    name = dbs.create_migrated("sample6")
    outcome = common.load_timed(name, common.SAMPLE)
    if not outcome.ok:
        raise RuntimeError(f"the sample did not load: {outcome.error}")
    return name


def browse(base_url: str, path: str, runs: int) -> list[dict[str, Any]]:
    """Open *path* *runs* times, each in a fresh browser context (cold cache), with every
    request but the server's refused; what each load fetched and when it drew."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                refused: list[str] = []
                errors: list[str] = []

                def route(r, refused=refused) -> None:
                    if r.request.url.startswith(base_url + "/"):
                        r.continue_()
                    else:
                        refused.append(r.request.url)
                        r.abort()

                page.route("**/*", route)
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(base_url + path)
                page.wait_for_selector("html[data-plm-drawn]", state="attached", timeout=60000)
                figures = page.evaluate(_WEIGHT_JS)
                figures["drawn_count"] = page.evaluate("plm.drawnCount('parcels_use')")
                figures["refused"], figures["errors"] = refused, errors
                out.append(figures)
                context.close()
        finally:
            browser.close()
    return out


def warm_up(base_url: str, bounds) -> None:
    """Bring a fresh server to the state of one that has been serving for a while: its
    templates compiled and its pool's database connections open, each with PostGIS and
    PROJ loaded (the first ST_Transform of a connection costs about 0.1 s). Uses another
    page and full-detail tiles only, so the overview tiles the city map asks for are still
    made from scratch on its first load."""
    from concurrent.futures import ThreadPoolExecutor

    tile = tiles_covering(bounds[0], 16)[0]
    with common.http_client(base_url) as client:
        client.get(f"/map/{PARK}").raise_for_status()

        def fetch(_i: int) -> None:
            client.get(f"/tiles/parcels/16/{tile.x}/{tile.y}.pbf").raise_for_status()

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(fetch, range(16)))


def park_bounds(database: str) -> list[tuple[float, float, float, float]]:
    engine = common.engine_for(database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM "
                    "(SELECT ST_Transform(boundary, 4326)::box2d AS b FROM park) x"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


def tile_latency(base_url: str, bounds, *, per_zoom: int, seed: int = 6) -> dict[int, dict]:
    """Fetch up to *per_zoom* tiles of the parcel layer covering the parks at each zoom
    (a seeded sample, one after another, after a short warm-up); latency and size."""
    rng = random.Random(seed)
    out: dict[int, dict] = {}
    with common.http_client(base_url) as client:
        for z in ZOOMS:
            tiles = sorted(
                {t for b in bounds for t in tiles_covering(b, z)}, key=lambda t: (t.x, t.y)
            )
            chosen = tiles if len(tiles) <= per_zoom else rng.sample(tiles, per_zoom)
            for t in chosen[:3]:
                client.get(f"/tiles/parcels/{z}/{t.x}/{t.y}.pbf")
            times, sizes = [], []
            for t in chosen:
                start = time.perf_counter()
                response = client.get(f"/tiles/parcels/{z}/{t.x}/{t.y}.pbf")
                times.append(time.perf_counter() - start)
                response.raise_for_status()
                sizes.append(len(response.content))
            out[z] = {
                "tiles": len(tiles),
                "measured": len(chosen),
                "p50_ms": common.percentile(times, 50) * 1000,
                "p99_ms": common.percentile(times, 99) * 1000,
                "max_ms": max(times) * 1000,
                "median_bytes": statistics.median(sizes),
                "max_bytes": max(sizes),
            }
    return out


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:.2f} MB"


def _summary(loads: list[dict]) -> dict[str, Any]:
    drawn = [x["drawn_ms"] / 1000 for x in loads]
    return {
        "drawn_median_s": statistics.median(drawn),
        "drawn_max_s": max(drawn),
        "bytes": statistics.median(x["total"] for x in loads),
        "requests": loads[0]["requests"],
        "kinds": loads[0]["kinds"],
        "html_ms": statistics.median(x["html_ms"] for x in loads),
        "drawn_count": loads[0]["drawn_count"],
        "refused": sum(len(x["refused"]) for x in loads),
        "errors": sum(len(x["errors"]) for x in loads),
    }


def measure(
    sample_db: str, city_db: str, *, runs: int, per_zoom: int, load_note: str = ""
) -> common.Section:
    """One park's map on *sample_db*; the city map and its tiles on *city_db*."""
    import subprocess

    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-chromium.sh")], check=True)
    section = common.Section(KEY, "The map: page weight, draw time, vector tiles")
    section.load_before = common.load_average()
    with common.Server(sample_db, label="maps-sample") as server:
        warm_up(server.base_url, park_bounds(sample_db))
        park = _summary(browse(server.base_url, f"/map/{PARK}", runs))
    city_parcels = _parcel_count(city_db)
    with common.Server(city_db, label="maps-city") as server:
        warm_up(server.base_url, park_bounds(city_db))
        city_loads = browse(server.base_url, "/map", runs)
        city = _summary(city_loads[1:] if len(city_loads) > 1 else city_loads)
        tiles = tile_latency(server.base_url, park_bounds(city_db), per_zoom=per_zoom)

    section.add(
        f"one park's page weight (/map/{PARK}, {park['drawn_count']} parcels embedded)",
        _mb(park["bytes"]),
        "≤ 1.5 MB",
        park["bytes"] <= PARK_PAGE_MAX_BYTES,
        note=f"{park['requests']} requests",
    )
    section.add(
        "one park: parcels drawn (median of runs; worst)",
        f"{park['drawn_median_s']:.2f} s; {park['drawn_max_s']:.2f} s",
        "≤ 2 s",
        park["drawn_max_s"] <= PARK_DRAWN_MAX_S,
        note=f"HTML {park['html_ms']:.0f} ms",
    )
    section.add(
        f"city of {city_parcels:,} parcels: page weight until drawn (/map)",
        _mb(city["bytes"]),
        note=f"{city['requests']} requests, tiles {_mb(city['kinds'].get('tiles', 0))}",
    )
    first = city_loads[0]["drawn_ms"] / 1000
    section.add(
        "city: parcels drawn, first load after a change (overview tiles made)",
        f"{first:.2f} s",
        "≤ 3 s",
        first <= CITY_DRAWN_MAX_S,
        note=f"HTML {city_loads[0]['html_ms']:.0f} ms",
    )
    section.add(
        "city: parcels drawn, later loads (median; worst)",
        f"{city['drawn_median_s']:.2f} s; {city['drawn_max_s']:.2f} s",
        "≤ 3 s",
        city["drawn_max_s"] <= CITY_DRAWN_MAX_S,
        note=f"HTML {city['html_ms']:.0f} ms; {city['drawn_count']:,} overview cells drawn",
    )
    for z, t in tiles.items():
        section.add(
            f"parcel tile at z{z}: p50 / p99",
            f"{t['p50_ms']:.1f} ms / {t['p99_ms']:.1f} ms",
            "p50 ≤ 20 ms" if z == 14 else "",
            t["p50_ms"] <= TILE_P50_MAX_MS_Z14 if z == 14 else None,
            note=f"{t['measured']} of {t['tiles']} tiles; median {t['median_bytes'] / 1024:.1f} KB,"
            f" largest {t['max_bytes'] / 1024:.1f} KB",
        )
    bad = park["refused"] + city["refused"] + park["errors"] + city["errors"]
    section.details += [
        f"Each page was opened {runs} times in a fresh Chromium context (no cache), every "
        "request to anything but the server refused "
        f"({bad} refused requests or script errors in all runs), on a server warmed up "
        "by another page and a burst of full-detail tiles (see `warm_up`); the city map's "
        "first load makes its overview tiles, the later ones find them made.",
        "",
        "What one park's page fetched (bytes): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(park["kinds"].items())),
        "",
        "What the city page fetched until drawn (bytes): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(city["kinds"].items())),
        "",
        "Tiles are fetched one after another by one client over keep-alive HTTP on "
        "127.0.0.1; the latency includes the HTTP round trip. Up to z12 a parcel tile is "
        "an overview of 2-pixel cells (made once per change of the parcels, then served "
        "from memory: each tile here is asked for once, so these are first-time figures); "
        "from z13 on it holds each parcel with the API's properties, geometry quantised "
        "to the 4096-unit tile grid.",
    ]
    if load_note:
        section.details += ["", load_note]
    return section


def run(ws: Any = None, *, reuse: bool = False, runs: int = 5, per_zoom: int = 150) -> Any:
    """With bench/run.py's workspace *ws*: measure on its sample and ~100,000-parcel
    databases and return the Section (run.py writes it). Alone: build (or, with *reuse*,
    keep) the databases here, write the maps block of RESULTS.md, return its Markdown."""
    if ws is not None:
        note = f"The city's database was built by {ws.big_built_by}."
        return measure(ws.sample_db(), ws.big_db(), runs=runs, per_zoom=per_zoom, load_note=note)
    dbs = common.Databases()
    try:
        sample_db = sample_database(dbs)
        city_db, load_s = city_database(reuse)
        note = (
            f"The city was loaded in {load_s:.0f} s (the loader without its shape checks: "
            "see `load_city`)."
            if load_s is not None
            else f"The city's database ({CITY_DB}) was kept from an earlier run."
        )
        section = measure(sample_db, city_db, runs=runs, per_zoom=per_zoom, load_note=note)
        machine = common.machine(city_db)
    finally:
        dbs.drop_all()
    body = section.markdown(machine, common.load_average(), time.time() - section.started)
    common.write_section(KEY, body)
    for line in section.summary():
        print(line)
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help=f"keep {CITY_DB} between runs")
    parser.add_argument("--runs", type=int, default=5, help="page loads per page")
    parser.add_argument("--per-zoom", type=int, default=150, help="tiles measured per zoom")
    args = parser.parse_args(argv)
    run(reuse=args.reuse, runs=args.runs, per_zoom=args.per_zoom)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

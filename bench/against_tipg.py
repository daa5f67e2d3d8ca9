"""Our hot paths side by side with tipg 1.6.1 (``pip install '.[bench]'``), in one run,
on one ~100,000-parcel database: requests per second at 8 concurrent clients for

* the parcels page — ``GET /api/parcels?bbox=…&limit=100`` against tipg's
  ``/collections/bench_tipg.current_parcel/items?bbox=…&limit=100`` (the same random boxes);
* the same page through our OGC API – Features — ``GET /ogc/collections/parcels/items?bbox=…
  &limit=100`` against the same tipg requests (tipg counts every match for
  ``numberMatched``; ours gives none for a bbox page with a next page);
* a z14 parcel tile — ``/tiles/parcels/14/{x}/{y}.pbf`` against tipg's
  ``/collections/bench_tipg.current_parcel/tiles/WebMercatorQuad/14/{x}/{y}`` (every z14
  tile that holds a parcel);
* the availability question — ``GET /api/availability?park=…&land_use=06&status=reserve,
  ready&min_area_mu=…&max_area_mu=…&near=roads/main:500`` against tipg's function
  ``/collections/bench_tipg.availability/items?park=…&min_mu=…&max_mu=…``.

tipg serves a view of the current parcels with the properties our API gives and a SQL
function that answers the availability question ranked as our search ranks
(``bench/against_tipg.sql``), created in the bench's database only and dropped after. Both
servers run at the same time with the same number of uvicorn workers; wrk (C, 2 threads,
8 connections, keep-alive) drives one at a time, in rounds tipg, ours, ours, tipg so that
a drift of the shared machine's load hits both alike. Each endpoint is measured twice:
with ``Accept-Encoding: gzip`` (what a browser or a map client sends) and without it.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import common
import psycopg
from sqlalchemy.engine import make_url

KEY = "tipg"
TITLE = "Hot paths side by side with tipg 1.6.1 (one 100,000-parcel database)"

TIPG_VERSION = "1.6.1"
SCHEMA = "bench_tipg"
OBJECTS_SQL = Path(__file__).with_name("against_tipg.sql")
COLLECTION = f"{SCHEMA}.current_parcel"
FUNCTION = f"{SCHEMA}.availability"

WORKERS = 2
CLIENTS = 8
THREADS = 2
SECONDS = 8  # per round
ROUNDS = ("tipg", "ours", "ours", "tipg")
ZOOM = 14
N_BOXES = 200
N_CRITERIA = 48
NEAR_M = 500
LIMIT = 100
AVAILABILITY_LIMIT = 50
SEED = 11

#: Goals: ours / tipg requests per second.
TARGETS = {"bbox": 3.0, "ogc_bbox": 3.0, "tile": 2.0, "availability": 3.0}
ENCODINGS = {"gzip": "gzip", "identity": None}

LUA = r"""
local paths = {%(paths)s}
local header = %(header)s
local counter = 0
function setup(thread)
  thread:set("offset", counter * math.floor(#paths / %(threads)d))
  counter = counter + 1
end
function init(args)
  n = offset
  statuses = {}
  if header ~= "" then wrk.headers["Accept-Encoding"] = header end
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  io.write(string.format("TOTAL %%d %%d\n", summary.requests, summary.duration))
  io.write(string.format("LATENCY_US %%d %%d\n", latency:percentile(50), latency:percentile(99)))
  local e = summary.errors
  io.write(string.format("ERRORS %%d %%d %%d %%d %%d\n", e.connect, e.read, e.write, e.timeout,
    e.status))
end
"""


# --- the bench-only objects ---------------------------------------------------------------------


def _psycopg(database: str) -> psycopg.Connection:
    url = make_url(common.db_url(database))
    return psycopg.connect(
        host=url.host or common.LOCALHOST,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname=url.database,
    )


def create_objects(database: str) -> None:
    """The view and the function tipg serves, in schema ``bench_tipg`` of *database*."""
    with _psycopg(database) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(OBJECTS_SQL.read_text(encoding="utf-8"))
        conn.execute("ANALYZE parcel_version")


def drop_objects(database: str) -> None:
    with _psycopg(database) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


# --- the same questions for both ---------------------------------------------------------------


def _bboxes(database: str, n: int, rng: random.Random) -> list[tuple[float, ...]]:
    """*n* boxes, each centred on a random current parcel and grown until it holds at least
    :data:`LIMIT` current parcels (so every page is a full one)."""
    envelope = (
        "ST_Transform(ST_Segmentize(ST_MakeEnvelope(%(a)s, %(b)s, %(c)s, %(d)s, 4326), 0.001), "
        f"{common.STORAGE_SRID})"
    )
    count_sql = (
        f"SELECT count(*) FROM parcel_version v WHERE v.valid_to IS NULL AND v.geom && "
        f"{envelope} AND ST_Intersects(v.geom, {envelope})"
    )
    with _psycopg(database) as conn:
        centres = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT parcel_code, ST_Transform(ST_PointOnSurface("
            "geom), 4326) AS p FROM parcel_version WHERE valid_to IS NULL) v "
            "ORDER BY parcel_code"
        ).fetchall()
        boxes = []
        for lon, lat in rng.sample(centres, n):
            half = 0.002
            for _ in range(16):
                box = (lon - half, lat - half, lon + half, lat + half)
                found = conn.execute(count_sql, dict(zip("abcd", box, strict=True))).fetchone()[0]
                if found >= LIMIT:
                    break
                half *= 1.3
            boxes.append(tuple(round(v, 6) for v in box))
    return boxes


def _tiles(database: str) -> list[tuple[int, int]]:
    """Every z14 tile that holds the centroid of a current parcel, west to east."""
    from gis.tiles import lonlat_to_tile

    with _psycopg(database) as conn:
        points = conn.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) AS p "
            "FROM parcel_version WHERE valid_to IS NULL) v"
        ).fetchall()
    found = {lonlat_to_tile(lon, lat, ZOOM) for lon, lat in points}
    return sorted((t.x, t.y) for t in found)


def _criteria(rng: random.Random, n: int) -> list[tuple[str, float, float]]:
    """*n* availability questions: a park and an area range (mu) around its parcels' sizes."""
    parks = ("gaoxin", "jiangtan", "caijiapo", "fengxiang")
    ranges = ((3, 12), (5, 20), (8, 30), (10, 40), (4, 15), (6, 25))
    return [(rng.choice(parks), *rng.choice(ranges)) for _ in range(n)]


@dataclass
class Endpoint:
    """One question, asked of both servers by the same list of paths."""

    key: str
    label: str
    ours: list[str]
    tipg: list[str]
    notes: list[str] = field(default_factory=list)


def endpoints(database: str) -> list[Endpoint]:
    rng = random.Random(SEED)
    boxes = _bboxes(database, N_BOXES, rng)
    tiles = _tiles(database)
    criteria = _criteria(rng, N_CRITERIA)

    def bbox(b) -> str:
        return ",".join(f"{v:.6f}" for v in b)

    tipg_pages = [
        f"/collections/{COLLECTION}/items?"
        + urlencode({"bbox": bbox(b), "limit": LIMIT, "f": "geojson"})
        for b in boxes
    ]
    return [
        Endpoint(
            "bbox",
            f"parcels page: bbox, limit {LIMIT}, GeoJSON EPSG:4326 ({len(boxes)} random boxes)",
            [f"/api/parcels?{urlencode({'bbox': bbox(b), 'limit': LIMIT})}" for b in boxes],
            tipg_pages,
        ),
        Endpoint(
            "ogc_bbox",
            f"OGC API items /ogc/collections/parcels/items: bbox, limit {LIMIT}, GeoJSON CRS84 "
            f"({len(boxes)} random boxes, the same tipg requests)",
            [
                f"/ogc/collections/parcels/items?{urlencode({'bbox': bbox(b), 'limit': LIMIT})}"
                for b in boxes
            ],
            tipg_pages,
        ),
        Endpoint(
            "tile",
            f"z{ZOOM} parcel tile ({len(tiles)} tiles: every one holding a parcel)",
            [f"/tiles/parcels/{ZOOM}/{x}/{y}.pbf" for x, y in tiles],
            [f"/collections/{COLLECTION}/tiles/WebMercatorQuad/{ZOOM}/{x}/{y}" for x, y in tiles],
        ),
        Endpoint(
            "availability",
            f"availability: park, 06*, reserve/ready, area range, ≤ {NEAR_M} m from a main "
            f"road, ranked, top {AVAILABILITY_LIMIT} ({len(criteria)} random questions)",
            [
                "/api/availability?"
                + urlencode(
                    {
                        "park": park,
                        "land_use": "06",
                        "status": "reserve,ready",
                        "min_area_mu": lo,
                        "max_area_mu": hi,
                        "near": f"roads/main:{NEAR_M}",
                        "limit": AVAILABILITY_LIMIT,
                    }
                )
                for park, lo, hi in criteria
            ],
            [
                f"/collections/{FUNCTION}/items?"
                + urlencode(
                    {
                        "park": park,
                        "min_mu": lo,
                        "max_mu": hi,
                        "near_m": NEAR_M,
                        "top": AVAILABILITY_LIMIT,
                        "limit": AVAILABILITY_LIMIT,
                        "f": "geojson",
                    }
                )
                for park, lo, hi in criteria
            ],
        ),
    ]


# --- tipg -------------------------------------------------------------------------------------


class TipgServer(common.Server):
    """``uvicorn tipg.main:app`` on a free 127.0.0.1 port, exposing schema ``bench_tipg``
    of *database*; its log goes to ``bench/out/``. Started and stopped as our server is."""

    ready_path = f"/collections/{COLLECTION}"
    cwd = common.OUT_DIR  # so that no .env file of anyone's is read by tipg's settings

    def __init__(self, database: str, *, workers: int = WORKERS, label: str = "tipg") -> None:
        super().__init__(database, workers=workers, label=label)

    def app_arguments(self) -> list[str]:
        return ["tipg.main:app"]

    def environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PARKS_", "TIPG_", "POSTGRES_")) and k != "DATABASE_URL"
        }
        # asyncpg takes unknown URL parameters as server settings: the same jit=off our
        # service's connections run with (service.db.engine.make_engine).
        url = make_url(common.db_url(self.database)).set(drivername="postgresql")
        env["DATABASE_URL"] = url.render_as_string(hide_password=False) + "?jit=off"
        env.update(
            {
                "TIPG_DB_SCHEMAS": json.dumps([SCHEMA]),
                "TIPG_CATALOG_TTL": "0",  # no catalog refresh in the middle of a round
                # Our tiles keep 64 units around the 4096 (gis.tiles.BUFFER); tipg's default
                # is 256. The same buffer, the same work.
                "TIPG_TILE_BUFFER": "64",
                # Order pages by the parcel code, as our API does (tipg orders by the key).
                f"TIPG_TABLE_CONFIG__{SCHEMA}_current_parcel__PK": "parcel_code",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env


def tipg_version() -> str:
    try:
        from importlib.metadata import version

        return version("tipg")
    except Exception:
        return "not installed"


# --- driving ---------------------------------------------------------------------------------


@dataclass
class Drive:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: list[int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def drive(base_url: str, paths: list[str], *, encoding: str | None, seconds: float) -> Drive:
    """wrk with :data:`CLIENTS` connections sending *paths* round robin for *seconds*."""
    script = LUA % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "header": json.dumps(encoding or ""),
        "threads": THREADS,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        run = subprocess.run(
            [
                common.wrk(),
                f"-t{THREADS}",
                f"-c{CLIENTS}",
                f"-d{seconds:g}s",
                "--timeout",
                "30s",
                "-s",
                f.name,
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    if run.returncode != 0 or "TOTAL" not in run.stdout:
        raise RuntimeError(f"wrk failed: {run.stderr or run.stdout}")
    requests, duration_us = (int(x) for x in re.search(r"TOTAL (\d+) (\d+)", run.stdout).groups())
    p50, p99 = (int(x) / 1000 for x in re.search(r"LATENCY_US (\d+) (\d+)", run.stdout).groups())
    errors = [int(x) for x in re.search(r"ERRORS ([\d ]+)", run.stdout).group(1).split()]
    return Drive(requests, duration_us / 1e6, p50, p99, errors)


def _sequential(base_url: str, paths: list[str], *, encoding: str | None) -> list[float]:
    """Each path once, one after another: seconds per request (fails on a non-200)."""
    headers = {"Accept-Encoding": encoding or "identity"}
    times = []
    with common.http_client(base_url, timeout_s=60.0, headers=headers) as client:
        for path in paths:
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(f"{base_url}{path}: HTTP {response.status_code}")
    return times


# --- the answers agree --------------------------------------------------------------------------


def _agreement(ours_url: str, tipg_url: str, endpoint: Endpoint, sample: int = 12) -> str:
    """What the two servers answer to the first *sample* paths, compared."""
    with (
        common.http_client(ours_url, timeout_s=60.0) as ours,
        common.http_client(tipg_url, timeout_s=60.0) as tipg,
    ):
        pairs = list(zip(endpoint.ours, endpoint.tipg, strict=True))[:sample]
        if endpoint.key == "tile":
            import mapbox_vector_tile

            counts = []
            for a, b in pairs:
                mine = mapbox_vector_tile.decode(ours.get(a).content)
                theirs = mapbox_vector_tile.decode(tipg.get(b).content)
                mine_n = len(next(iter(mine.values()), {}).get("features", []))
                theirs_n = len(next(iter(theirs.values()), {}).get("features", []))
                counts.append((mine_n, theirs_n))
            return "features per tile, ours / tipg, first tiles: " + ", ".join(
                f"{m}/{t}" for m, t in counts
            )
        same, sizes, matched = 0, [], {"ours": 0, "tipg": 0}
        for a, b in pairs:
            mine_doc, theirs_doc = ours.get(a).json(), tipg.get(b).json()
            matched["ours"] += "numberMatched" in mine_doc
            matched["tipg"] += "numberMatched" in theirs_doc
            mine, theirs = mine_doc["features"], theirs_doc["features"]
            mine_codes = [f["properties"]["parcel_code"] for f in mine]
            theirs_codes = [f["properties"]["parcel_code"] for f in theirs]
            same += mine_codes == theirs_codes
            sizes.append((len(mine), len(theirs)))
        what = (
            "the same parcels in the same order"
            if endpoint.key == "availability"
            else ("the same parcels (same page of codes)")
        )
        return (
            f"{same} of {len(pairs)} first questions answered with {what}; features ours/tipg: "
            + ", ".join(f"{m}/{t}" for m, t in sizes)
            + f"; answers with `numberMatched`: ours {matched['ours']}, tipg {matched['tipg']}"
        )


def wire(base_url: str, path: str) -> str:
    """How *path* is sent: its ``Content-Encoding`` when gzip is accepted, and its bytes on
    the wire with and without ``Accept-Encoding: gzip``."""
    sizes, encoding = {}, ""
    with common.http_client(base_url, timeout_s=60.0) as client:
        for accepted in ("gzip", "identity"):
            response = client.get(path, headers={"Accept-Encoding": accepted})
            response.read()
            sizes[accepted] = response.num_bytes_downloaded
            if accepted == "gzip":
                encoding = response.headers.get("content-encoding", "none")
    return f"{encoding}, {sizes['gzip']:,} / {sizes['identity']:,} bytes"


# --- the part ----------------------------------------------------------------------------------


def run(ws) -> common.Section:
    section = common.Section(KEY, TITLE)
    if tipg_version() != TIPG_VERSION:
        raise RuntimeError(
            f"tipg {TIPG_VERSION} is needed (pip install -e '.[bench]'); found {tipg_version()}"
        )
    database = ws.big_db()
    parcels = ws.parcel_count(database)
    common.log(f"tipg: bench objects in {database}")
    create_objects(database)
    try:
        questions = endpoints(database)
        common.log("tipg: " + ", ".join(f"{e.key} {len(e.ours)} paths" for e in questions))
        results = _measure(database, questions)
    finally:
        drop_objects(database)
    _report(section, questions, results, parcels, ws)
    return section


def busiest_processes(n: int = 6) -> str:
    """The processes using the most CPU now (the machine is shared), bench's own included."""
    try:
        ps = subprocess.run(
            ["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return ", ".join(" ".join(line.split()[::-1]) + "%" for line in ps[:n])


def _measure(database: str, questions: list[Endpoint]) -> dict:
    out: dict = {"rounds": {}, "cold": {}, "agree": {}, "wire": {}, "load": [], "busiest": []}
    with (
        TipgServer(database) as tipg,
        common.Server(database, workers=WORKERS, label="against_tipg") as ours,
    ):
        urls = {"tipg": tipg.base_url, "ours": ours.base_url}
        out["busiest"].append(busiest_processes())
        for e in questions:
            # First-time figures (one client, each path once: tipg's and our caches cold for
            # these paths, PostgreSQL's buffers as the earlier questions left them).
            for who in ("tipg", "ours"):
                paths = e.tipg if who == "tipg" else e.ours
                common.log(f"tipg: {e.key}: {who}, each path once")
                out["cold"][(e.key, who)] = _sequential(urls[who], paths, encoding="gzip")
            out["agree"][e.key] = _agreement(urls["ours"], urls["tipg"], e)
            out["wire"][e.key] = {
                who: wire(urls[who], (e.tipg if who == "tipg" else e.ours)[0])
                for who in ("tipg", "ours")
            }
            for name, encoding in ENCODINGS.items():
                for who in ("tipg", "ours"):
                    paths = e.tipg if who == "tipg" else e.ours
                    drive(urls[who], paths, encoding=encoding, seconds=2)  # warm
                for i, who in enumerate(ROUNDS):
                    paths = e.tipg if who == "tipg" else e.ours
                    d = drive(urls[who], paths, encoding=encoding, seconds=SECONDS)
                    out["rounds"].setdefault((e.key, name, who), []).append(d)
                    common.log(
                        f"tipg: {e.key} {name} round {i + 1} {who}: {d.rps:,.0f} req/s "
                        f"(p50 {d.p50_ms:.1f} ms, errors {d.errors})"
                    )
                out["load"].append(common.load_average())
        out["busiest"].append(busiest_processes())
    return out


def _report(section, questions, results, parcels, ws) -> None:
    rounds = results["rounds"]
    summary_rows = []
    for e in questions:
        for name in ENCODINGS:
            per = {}
            for who in ("tipg", "ours"):
                ds = rounds[(e.key, name, who)]
                requests = sum(d.requests for d in ds)
                seconds = sum(d.seconds for d in ds)
                errors = sum(sum(d.errors) for d in ds)
                per[who] = (requests / seconds, ds, errors)
            ratio = per["ours"][0] / per["tipg"][0] if per["tipg"][0] else math.inf
            target = TARGETS[e.key]
            clean = per["ours"][2] == 0 and per["tipg"][2] == 0
            header = "Accept-Encoding: gzip" if ENCODINGS[name] else "no Accept-Encoding"
            section.add(
                f"{e.label} — {header}: ours / tipg",
                f"{ratio:.2f}×",
                f"≥ {target:g}×",
                ratio >= target and clean,
                note=f"ours {per['ours'][0]:,.0f} req/s, tipg {per['tipg'][0]:,.0f} req/s"
                + (
                    ""
                    if clean
                    else f"; errors or non-2xx: ours {per['ours'][2]}, tipg {per['tipg'][2]}"
                ),
            )
            summary_rows.append(
                f"| {e.key} | {header} | "
                + " | ".join(f"{d.rps:,.0f}" for who in ("tipg", "ours") for d in per[who][1])
                + " |"
            )
    d = section.details
    d += [
        f"{parcels:,} current parcels (the run's 100,000-parcel database, built by "
        f"{ws.big_built_by}); tipg {tipg_version()} and our service (`parks serve`'s uvicorn) "
        f"both running, {WORKERS} uvicorn workers each, on the same database; wrk "
        f"{THREADS} threads, {CLIENTS} connections, keep-alive, {SECONDS} s per round, rounds "
        f"in the order {', '.join(ROUNDS)} after a 2 s warm-up of each; requests per second "
        "= all requests of a server's rounds / their time. The machine's 2 cores are shared "
        "by both servers, PostgreSQL and wrk.",
        "",
        'tipg as configured here: `TIPG_DB_SCHEMAS=["bench_tipg"]` (a view of the current '
        "parcels with our API's properties and a SQL function for the availability question, "
        "`bench/against_tipg.sql`, made in the bench database only and dropped after), "
        "key `parcel_code` (pages ordered by it, as ours are), tile buffer 64 (ours), no "
        "catalog refresh, `jit=off` on its connections (as ours); otherwise its defaults "
        "(10 connections per worker, compression middleware level 6). Ours: default settings.",
        "",
        "Per round, requests/s (tipg, tipg, ours, ours in ROUNDS order of each):",
        "",
        "| question | header | tipg r1 | tipg r4 | ours r2 | ours r3 |",
        "|---|---|---:|---:|---:|---:|",
        *summary_rows,
        "",
        "First request of each path, one client, one after another (gzip accepted), p50 / p99:",
        "",
        "| question | tipg | ours |",
        "|---|---|---|",
    ]
    for e in questions:
        cells = []
        for who in ("tipg", "ours"):
            times = results["cold"][(e.key, who)]
            cells.append(
                f"{common.ms(common.percentile(times, 50))} / "
                f"{common.ms(common.percentile(times, 99))}"
            )
        d.append(f"| {e.key} | {cells[0]} | {cells[1]} |")
    d += [
        "",
        "The first path of each question as sent: `Content-Encoding` when gzip is accepted; "
        "bytes on the wire with `Accept-Encoding: gzip` / without:",
        "",
        "| question | tipg | ours |",
        "|---|---|---|",
        *(
            f"| {e.key} | {results['wire'][e.key]['tipg']} | {results['wire'][e.key]['ours']} |"
            for e in questions
        ),
    ]
    d += ["", "The answers compared:", ""]
    for e in questions:
        d.append(f"- {e.key}: {results['agree'][e.key]}")
    d += [
        "",
        "Where they differ, by design of each: tipg filters a bbox by the bounding box of "
        "its corners transformed into EPSG:4545 (a little larger than the box, so a page "
        "may start with other parcel codes), ours by the box itself; a tile of ours holds "
        "the parcels that touch the tile or its 64-unit buffer, tipg's those that touch "
        "the tile (then clipped to the same buffer).",
    ]
    d += [
        "",
        "Our z14 tiles in the timed rounds come from the tile cache (`tile_cache`, made "
        "during the first pass above and kept for both workers); tipg makes every tile it "
        "serves. Our parcels pages, `/api/parcels` and `/ogc/…/items` in CRS84 alike, are "
        "put together from the feature text stored per version (`parcel_feature`).",
        "",
        "`ogc_bbox` asks tipg exactly what `bbox` asks it (the same paths, measured again "
        "in its own rounds). tipg runs a `COUNT(*)` of the matches beside every page for "
        "`numberMatched`; ours gives `numberMatched` on a first page only when that page "
        "holds every match (no count needed) or the request has neither bbox nor filter "
        "(`service/ogc/features.py`), so these pages (a next page each) carry none and cost "
        "one statement, as `/api/parcels` does. Our `/ogc` routes gzip their answers "
        "(level 1) when gzip is accepted; what each server sent is in the table above.",
        "",
        "Load average after each question's rounds (1, 5, 15 min): "
        + "; ".join(results["load"])
        + ". Busiest processes (% CPU since they started, as `ps` counts it) when the "
        f"servers were up: {results['busiest'][0]}; at the end: {results['busiest'][-1]}.",
        "",
    ]

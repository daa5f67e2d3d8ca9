"""Our OGC API – Features (``/ogc``) side by side with tipg 1.6.1, in one run, on one
~100,000-parcel database (the same one, view and tipg configuration as
``bench/against_tipg.py``, whose requests/s rounds include ``/ogc/…/items?bbox=…``):

* a full paged read of the current parcels by GDAL's OAPIF driver — ``pyogrio.
  read_dataframe("OAPIF:<base>/ogc/collections/parcels")``, the page size GDAL chooses
  (read back from GDAL's own log of the requests it made) — its wall time, and the number
  of features (and of distinct parcel codes) against the database's current parcels; the
  same read of tipg's ``/collections/bench_tipg.current_parcel``; ours is read before and
  after tipg's, and the slower of the two is the figure;
* CQL2 filters (``filter-lang=cql2-text``, ``limit=100``): class, area and
  ``S_INTERSECTS`` with a park-sized box; ``LIKE`` on the parcel code; ``IN`` on the
  status — each asked of both servers, one request at a time, alternately, after a
  warm-up; p50/p95 of ours against the target and tipg's p50 over ours as a ratio. The
  plan PostgreSQL chooses for our query of each filter's first question is recorded.

The GDAL read runs in a subprocess (this file, ``gdal-read``) so that GDAL's debug log,
which lists every request it made, is its own.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import against_tipg as at
import common

KEY = "ogc"
TITLE = (
    "OGC API – Features: a full read by GDAL and CQL2 filters, side by side with tipg "
    f"{at.TIPG_VERSION} (one 100,000-parcel database)"
)

OURS_COLLECTION = "/ogc/collections/parcels"
TIPG_COLLECTION = f"/collections/{at.COLLECTION}"

#: Goals: a full read by GDAL (s); a CQL2 filter query's p50 (ms).
READ_TARGET_S = 20.0
FILTER_TARGET_MS = 30.0

FILTER_QUESTIONS = 60  # distinct requests per filter, each measured once per server
FILTER_WARMUP = 10  # of them asked once beforehand, not measured
FILTER_LIMIT = 100
AREA_M2 = 20000
SEED = 12
#: Longest a GDAL read may take before it is reported as not finished.
READ_TIMEOUT_S = 600
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy")


# --- the GDAL read ------------------------------------------------------------------------------


@dataclass
class GdalRead:
    """One full read of a collection by GDAL's OAPIF driver."""

    who: str
    seconds: float | None = None  # None: it failed or did not finish
    features: int = 0
    distinct_codes: int = 0
    crs: str = ""
    gdal: str = ""
    items_urls: list[str] = field(default_factory=list)
    error: str = ""
    #: The same item pages fetched again one after another (gzip, no parsing): seconds.
    server_s: float | None = None

    @property
    def limits(self) -> collections.Counter:
        return collections.Counter(
            parse_qs(urlsplit(u).query).get("limit", ["(none)"])[0] for u in self.items_urls
        )

    @property
    def page_size(self) -> str:
        """The limit of most of its page requests (GDAL first asks a small page to learn
        the schema)."""
        return self.limits.most_common(1)[0][0] if self.items_urls else "?"

    @property
    def paging(self) -> str:
        query = " ".join(urlsplit(u).query for u in self.items_urls[2:])
        if "after=" in query:
            return "keyset cursor (`after=`)"
        if "offset=" in query:
            return "`offset=`"
        return "?"

    def describe(self) -> str:
        if self.seconds is None:
            return f"not finished: {self.error}"
        return f"{self.seconds:.1f} s"


def _gdal_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = common.LOCALHOST
    return env


def gdal_read(who: str, base_url: str, collection_path: str, label: str) -> GdalRead:
    """``pyogrio.read_dataframe("OAPIF:…")`` of the whole collection in a subprocess,
    timed there; the requests GDAL made come from its debug log."""
    common.OUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = common.OUT_DIR / f"gdal_{label}.log"
    out_path = common.OUT_DIR / f"gdal_{label}.json"
    for path in (log_path, out_path):
        path.unlink(missing_ok=True)
    result = GdalRead(who)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "gdal-read",
        f"OAPIF:{base_url}{collection_path}",
        str(log_path),
        str(out_path),
    ]
    try:
        run = subprocess.run(
            command,
            env=_gdal_environment(),
            capture_output=True,
            text=True,
            timeout=READ_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        result.error = f"still reading after {READ_TIMEOUT_S} s"
        return result
    if run.returncode != 0 or not out_path.exists():
        lines = (run.stderr or run.stdout).strip().splitlines()
        result.error = lines[-1][:300] if lines else f"exit status {run.returncode}"
        return result
    found = json.loads(out_path.read_text(encoding="utf-8"))
    result.seconds = found["seconds"]
    result.features = found["features"]
    result.distinct_codes = found["distinct_codes"]
    result.crs = found["crs"]
    result.gdal = found["gdal"]
    fetched = re.findall(r"HTTP: Fetch\((\S+)\)", log_path.read_text(errors="replace"))
    result.items_urls = [u for u in fetched if urlsplit(u).path.endswith("/items")]
    return result


def _gdal_read_main(url: str, log_path: str, out_path: str) -> None:
    """The subprocess: read *url* whole, write what was read to *out_path*."""
    import pyogrio

    pyogrio.set_gdal_config_options({"CPL_DEBUG": "ON", "CPL_LOG": log_path})
    start = time.perf_counter()
    frame = pyogrio.read_dataframe(url)
    seconds = time.perf_counter() - start
    found = {
        "seconds": seconds,
        "features": len(frame),
        "distinct_codes": int(frame["parcel_code"].nunique()),
        "crs": str(frame.crs),
        "gdal": f"GDAL {pyogrio.__gdal_version_string__} (pyogrio {pyogrio.__version__})",
    }
    Path(out_path).write_text(json.dumps(found), encoding="utf-8")


def _server_share(read: GdalRead, base_url: str) -> None:
    """The item pages of *read* fetched again, one after another (as GDAL asks: gzip
    accepted), without parsing them: how much of the read is the server's."""
    if read.seconds is None or not read.items_urls:
        return
    paths = []
    for url in read.items_urls:
        parts = urlsplit(url)
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    read.server_s = sum(at._sequential(base_url, paths, encoding="gzip"))


# --- the CQL2 filters ---------------------------------------------------------------------------


def _geometry_queryable(base_url: str, collection_path: str) -> str:
    """The name a server's queryables give the parcels' geometry."""
    with common.http_client(base_url) as client:
        response = client.get(f"{collection_path}/queryables")
        response.raise_for_status()
        properties = response.json()["properties"]
    for name, schema in properties.items():
        if "geojson.org" in str(schema.get("$ref", "")) or schema.get("format", "").startswith(
            "geometry"
        ):
            return name
    raise RuntimeError(f"{base_url}{collection_path}/queryables names no geometry")


def _park_boxes(database: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each park's current parcels' extent in longitude/latitude."""
    with at._psycopg(database) as conn:
        rows = conn.execute(
            "SELECT park, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT park, "
            "ST_Extent(ST_Transform(geom, 4326)) AS e FROM parcel_version WHERE valid_to IS "
            "NULL GROUP BY park) x ORDER BY park"
        ).fetchall()
    return [(park, tuple(box)) for park, *box in rows]


def _code_prefixes(database: str, rng: random.Random, n: int) -> list[str]:
    """*n* prefixes ``<PARK>-<two digits>`` of random current parcel codes (each picks
    out some hundreds of parcels)."""
    with at._psycopg(database) as conn:
        codes = [
            r[0]
            for r in conn.execute(
                "SELECT parcel_code FROM parcel_version WHERE valid_to IS NULL ORDER BY parcel_code"
            )
        ]
    prefixes = []
    for code in rng.sample(codes, n):
        head, _, number = code.rpartition("-")
        prefixes.append(f"{head}-{number[:2]}" if head else code[:4])
    return prefixes


def _polygon(box: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = (f"{v:.4f}" for v in box)
    return f"POLYGON(({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))"


@dataclass
class Filter:
    """One kind of CQL2 filter: its expressions (``{geom}`` standing for the geometry
    queryable), asked of both servers."""

    key: str
    label: str
    expressions: list[str]

    def endpoint(self, ours_geom: str, tipg_geom: str) -> at.Endpoint:
        def path(collection: str, expression: str, **extra) -> str:
            query = {"filter": expression, "filter-lang": "cql2-text", "limit": FILTER_LIMIT}
            return f"{collection}/items?" + urlencode({**query, **extra})

        return at.Endpoint(
            self.key,
            self.label,
            [path(OURS_COLLECTION, x.format(geom=ours_geom)) for x in self.expressions],
            [
                path(TIPG_COLLECTION, x.format(geom=tipg_geom), f="geojson")
                for x in self.expressions
            ],
        )


def filters(database: str) -> list[Filter]:
    rng = random.Random(SEED)
    n = FILTER_QUESTIONS
    spatial = []
    for _park, (x0, y0, x1, y1) in itertools.islice(itertools.cycle(_park_boxes(database)), n):
        # a box of 70–100 % of the park's extent each way, somewhere inside it
        fx, fy = rng.uniform(0.7, 1.0), rng.uniform(0.7, 1.0)
        w, h = (x1 - x0) * fx, (y1 - y0) * fy
        left, bottom = x0 + rng.uniform(0, x1 - x0 - w), y0 + rng.uniform(0, y1 - y0 - h)
        box = (left, bottom, left + w, bottom + h)
        spatial.append(
            f"land_use_code='0601' AND area_m2 > {AREA_M2} AND "
            f"S_INTERSECTS({{geom}}, {_polygon(box)})"
        )
    like = [f"parcel_code LIKE '{p}%'" for p in _code_prefixes(database, rng, n)]
    statuses = ("reserve", "ready", "supplied", "under_construction", "operating", "idle")
    pairs = list(itertools.combinations(statuses, 2))
    rng.shuffle(pairs)
    in_status = [
        f"status IN ('{a}', '{b}')" for a, b in itertools.islice(itertools.cycle(pairs), n)
    ]
    return [
        Filter(
            "spatial",
            f"`land_use_code='0601' AND area_m2 > {AREA_M2} AND S_INTERSECTS(geometry, "
            "POLYGON((…)))`, a box of 70–100 % of a park's extent (the four parks in turn)",
            spatial,
        ),
        Filter("like", "`parcel_code LIKE 'JT-05%'` (random prefixes of current codes)", like),
        Filter("in", "`status IN ('reserve', 'ready')` (the 15 pairs of statuses)", in_status),
    ]


def _latencies(urls: dict[str, str], e: at.Endpoint) -> dict[str, list[float]]:
    """Each question once per server, one request at a time, the servers alternating
    (who goes first alternates too), after a warm-up; seconds per request."""
    times: dict[str, list[float]] = {"ours": [], "tipg": []}
    headers = {"Accept-Encoding": "identity"}
    with (
        common.http_client(urls["ours"], timeout_s=120.0, headers=headers) as ours,
        common.http_client(urls["tipg"], timeout_s=120.0, headers=headers) as tipg,
    ):
        clients = {"ours": ours, "tipg": tipg}
        paths = {"ours": e.ours, "tipg": e.tipg}
        for who in ("ours", "tipg"):
            for path in paths[who][:FILTER_WARMUP]:
                clients[who].get(path)
        for i in range(len(e.ours)):
            for who in ("ours", "tipg") if i % 2 == 0 else ("tipg", "ours"):
                start = time.perf_counter()
                response = clients[who].get(paths[who][i])
                times[who].append(time.perf_counter() - start)
                if response.status_code != 200:
                    raise RuntimeError(
                        f"{who}: {paths[who][i]}: HTTP {response.status_code}: "
                        f"{response.text[:300]}"
                    )
    return times


def _plan_of_ours(database: str, path: str) -> str:
    """EXPLAIN ANALYZE of the items query our service runs for *path* (built by the
    service's own code, run on a connection made as the service makes them): how it
    reaches parcel_version, what the planner expected and found, the time."""
    from sqlalchemy import event

    from service.ogc import features, registry
    from service.ogc.parameters import QueryParameters, read_items
    from service.settings import Settings

    query = parse_qs(urlsplit(path).query)
    zone = Settings.model_fields["timezone"].default  # the server runs with no PARKS_*
    engine = common.engine_for(database)
    seen: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    try:
        with engine.connect() as conn:
            found = registry.collection(conn, "parcels")
            wanted = read_items(
                QueryParameters([(k, v[0]) for k, v in query.items()]),
                found,
                storage_srid=common.STORAGE_SRID,
                zone=zone,
            )
            features.page(conn, found, wanted, storage_srid=common.STORAGE_SRID)
            # the page's statement (ogc_items.sql), not numberMatched's count
            statement, parameters = next(
                (s, p) for s, p in reversed(seen) if "page_rows" in (p or {})
            )
            plan = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
            ).scalar()
    finally:
        engine.dispose()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    return _describe_plan(plan[0])


def _describe_plan(top: dict) -> str:
    scans, parallel = [], False

    def walk(node: dict) -> None:
        nonlocal parallel
        parallel = parallel or node.get("Node Type", "").startswith("Gather")
        if node.get("Relation Name") == "parcel_version" or node.get("Node Type", "").startswith(
            "Bitmap Index"
        ):
            what = ("Parallel " if node.get("Parallel Aware") else "") + node["Node Type"]
            if node.get("Index Name"):
                what += f" on `{node['Index Name']}`"
            loops = node.get("Actual Loops", 1)
            removed = node.get("Rows Removed by Filter", 0) * loops
            each = " per process" if node.get("Parallel Aware") else ""
            scans.append(
                f"{what} (planner expected {node['Plan Rows']:,} rows{each}, found "
                f"{node['Actual Rows'] * loops:,} in all"
                + (f", {removed:,} removed by its filter" if removed else "")
                + ")"
            )
        for child in node.get("Plans", []):
            walk(child)

    walk(top["Plan"])
    return (
        "; ".join(scans)
        + ("; in parallel workers (Gather)" if parallel else "")
        + f"; executed in {top['Execution Time']:.1f} ms"
    )


# --- the part -----------------------------------------------------------------------------------


def run(ws) -> common.Section:
    section = common.Section(KEY, TITLE)
    if at.tipg_version() != at.TIPG_VERSION:
        raise RuntimeError(
            f"tipg {at.TIPG_VERSION} is needed (pip install -e '.[bench]'); found "
            f"{at.tipg_version()}"
        )
    database = ws.big_db()
    parcels = ws.parcel_count(database)
    common.log(f"ogc: bench objects in {database}")
    at.create_objects(database)
    try:
        results = _measure(database)
    finally:
        at.drop_objects(database)
    _report(section, results, parcels, ws)
    return section


def _measure(database: str) -> dict:
    out: dict = {"reads": {}, "filters": [], "load": [], "busiest": []}
    with (
        at.TipgServer(database, label="ogc_tipg") as tipg,
        common.Server(database, workers=at.WORKERS, label="ogc_ours") as ours,
    ):
        urls = {"tipg": tipg.base_url, "ours": ours.base_url}
        out["busiest"].append(at.busiest_processes())
        collections_ = {"ours": OURS_COLLECTION, "tipg": TIPG_COLLECTION}
        for label, who in (("ours_1", "ours"), ("tipg", "tipg"), ("ours_2", "ours")):
            common.log(f"ogc: GDAL reads {who}'s collection ({label})")
            read = gdal_read(who, urls[who], collections_[who], label)
            common.log(
                f"ogc: {label}: {read.describe()}, {read.features:,} features, page size "
                f"{read.page_size}, {len(read.items_urls)} item requests"
            )
            out["reads"][label] = read
        for label, read in out["reads"].items():
            common.log(f"ogc: the item pages of {label} fetched again")
            _server_share(read, urls[read.who])
        out["load"].append(("after the GDAL reads", common.load_average()))

        geoms = {who: _geometry_queryable(urls[who], collections_[who]) for who in ("ours", "tipg")}
        out["geoms"] = geoms
        for f in filters(database):
            e = f.endpoint(geoms["ours"], geoms["tipg"])
            common.log(f"ogc: CQL2 {f.key}: {len(e.ours)} questions each")
            times = _latencies(urls, e)
            agree = at._agreement(urls["ours"], urls["tipg"], e)
            plan = _plan_of_ours(database, e.ours[0])
            out["filters"].append((f, e, times, agree, plan))
            common.log(
                f"ogc: CQL2 {f.key}: p50 ours "
                f"{common.ms(common.percentile(times['ours'], 50))}, tipg "
                f"{common.ms(common.percentile(times['tipg'], 50))}"
            )
        out["load"].append(("after the CQL2 filters", common.load_average()))
        out["busiest"].append(at.busiest_processes())
    return out


def _report(section: common.Section, results: dict, parcels: int, ws) -> None:
    reads = results["reads"]
    ours_reads = [reads["ours_1"], reads["ours_2"]]
    tipg_read = reads["tipg"]
    finished = [r.seconds for r in ours_reads if r.seconds is not None]
    worst = max(finished) if len(finished) == len(ours_reads) else None
    first = ours_reads[0]
    versus = (
        f"; tipg's read {tipg_read.seconds:.1f} s, {tipg_read.seconds / worst:.1f}× ours"
        if worst and tipg_read.seconds
        else f"; tipg's read {tipg_read.describe()}"
    )
    section.add(
        "full read of the parcels by GDAL's OAPIF driver (pyogrio.read_dataframe, the page "
        "size GDAL chooses): wall time, the slower of two reads",
        "not finished" if worst is None else f"{worst:.1f} s",
        f"≤ {READ_TARGET_S:g} s",
        worst is not None and worst <= READ_TARGET_S,
        note=", ".join(r.describe() for r in ours_reads)
        + f"; page size {first.page_size} ({len(first.items_urls)} item requests)"
        + versus,
    )
    complete = all(
        r.seconds is not None and r.features == parcels and r.distinct_codes == parcels
        for r in ours_reads
    )
    section.add(
        "features read by GDAL = the database's current parcels (each parcel code once)",
        " / ".join(f"{r.features:,} ({r.distinct_codes:,} codes)" for r in ours_reads),
        f"= {parcels:,}",
        complete,
        note=f"tipg: {tipg_read.features:,} ({tipg_read.distinct_codes:,} codes)",
    )
    section.add(
        "the same read of tipg's view by GDAL: wall time",
        tipg_read.describe(),
        note=f"page size {tipg_read.page_size}, {tipg_read.features:,} features",
    )
    for f, _e, times, _agree, _plan in results["filters"]:
        ours_p50 = common.percentile(times["ours"], 50)
        tipg_p50 = common.percentile(times["tipg"], 50)
        section.add(
            f"CQL2 filter {f.key}: {f.label}, limit {FILTER_LIMIT}: p50 of ours",
            common.ms(ours_p50),
            f"≤ {FILTER_TARGET_MS:g} ms",
            ours_p50 * 1000 <= FILTER_TARGET_MS,
            note=f"p95 {common.ms(common.percentile(times['ours'], 95))}; "
            f"tipg p50 {common.ms(tipg_p50)}, p95 "
            f"{common.ms(common.percentile(times['tipg'], 95))}",
        )
        section.add(
            f"CQL2 filter {f.key}: tipg p50 / ours p50",
            f"{tipg_p50 / ours_p50:.2f}×" if ours_p50 else "?",
        )

    d = section.details
    d += [
        f"{parcels:,} current parcels (the run's 100,000-parcel database, built by "
        f"{ws.big_built_by}); tipg {at.tipg_version()} (configured as in the part `tipg`: "
        f"the view `{at.COLLECTION}` of `bench/against_tipg.sql`, key `parcel_code`, "
        f"`jit=off`) and our service, {at.WORKERS} uvicorn workers each, both running on the "
        "same database throughout. The machine's 2 cores are shared by both servers, "
        "PostgreSQL, the client — and whatever else runs on the machine (load averages and "
        "other sessions below).",
        "",
        "### The full read by GDAL",
        "",
        '`pyogrio.read_dataframe("OAPIF:<server>/<collection>")` with no options, timed in '
        "its own process from the call to the data frame (opening, the landing page, the "
        "API document, a first small page for the schema, then every page); what it asked "
        "for is GDAL's own debug log (`CPL_DEBUG`, `bench/out/gdal_*.log`). GDAL sends "
        "`Accept-Encoding: gzip`. Ours was read before and after tipg's.",
        "",
        "| read | wall time | features (distinct codes) | item requests (limit: count) "
        "| paging | CRS GDAL read in | server's share |",
        "|---|---:|---:|---|---|---|---:|",
    ]
    for label, r in reads.items():
        limits = ", ".join(f"{k}: {v}" for k, v in sorted(r.limits.items(), key=str))
        share = "—" if r.server_s is None else f"{r.server_s:.1f} s"
        d.append(
            f"| {label} | {r.describe()} | {r.features:,} ({r.distinct_codes:,}) | "
            f"{len(r.items_urls)} ({limits}) | {r.paging} | {r.crs} | {share} |"
        )
    d += [
        "",
        f"Read with {first.gdal}. Server's share: the same item requests fetched again one "
        "after another (gzip accepted, nothing parsed) — the rest of the wall time is GDAL "
        "parsing the GeoJSON and pyogrio building the data frame. GDAL reads ours in the "
        "`storageCrs` we publish (EPSG:4545: no transformation, but each feature is then "
        "made in full by `ST_AsGeoJSON`/`json_build_object`, not from the CRS84 text "
        "stored per version) and pages by the cursor of our `next` links; tipg publishes "
        "no storage CRS, so GDAL reads it in CRS84, and tipg's `next` links are offsets "
        "(each page skips the pages before it, and every page also counts all the matches).",
        "",
        "### CQL2 filters",
        "",
        f"`filter-lang=cql2-text`, `limit={FILTER_LIMIT}`; each server's geometry queryable "
        f"by its own name (ours `{results['geoms']['ours']}`, tipg "
        f"`{results['geoms']['tipg']}`), everything else the same text. "
        f"{FILTER_QUESTIONS} questions per filter, each asked once of each server, one "
        "request at a time (keep-alive, `Accept-Encoding: identity`: neither server "
        "compresses), "
        f"the servers alternating, after a warm-up of the first {FILTER_WARMUP} questions. "
        "tipg answers every request with `numberMatched` (a `COUNT(*)` of all matches); ours "
        "gives it for a filtered request only when the first page holds every match (its "
        "own length, no count: `service/ogc/features.py`).",
        "",
        "| filter | ours p50 / p95 | tipg p50 / p95 | answers compared (first 12) |",
        "|---|---|---|---|",
    ]
    for f, _e, times, agree, _plan in results["filters"]:
        cells = [
            f"{common.ms(common.percentile(times[w], 50))} / "
            f"{common.ms(common.percentile(times[w], 95))}"
            for w in ("ours", "tipg")
        ]
        d.append(f"| {f.key} | {cells[0]} | {cells[1]} | {agree} |")
    d += ["", "The plan of our items query for each filter's first question (EXPLAIN ANALYZE):", ""]
    for f, e, _times, _agree, plan in results["filters"]:
        first_expression = parse_qs(urlsplit(e.ours[0]).query)["filter"][0]
        d.append(f"- {f.key} — `{first_expression}`: {plan}")
    d += [
        "",
        "Load average (1, 5, 15 min) "
        + "; ".join(f"{when}: {load}" for when, load in results["load"])
        + ". Busiest processes (% CPU since they started, as `ps` counts it) when the "
        f"servers were up: {results['busiest'][0]}; at the end: {results['busiest'][-1]}.",
        "",
    ]


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "gdal-read":
        _gdal_read_main(*sys.argv[2:])
    else:
        sys.exit(f"usage: {sys.argv[0]} gdal-read OAPIF:<url> <log> <out.json>")

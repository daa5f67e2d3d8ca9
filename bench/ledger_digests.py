"""Verifying signed ledger digests: ``parks audit verify --digests DIR --public-key PUB``
over 1,000 digests and 1,000,000 parcel versions. Goal: <= 15 s for the whole command
(today's checks and the digests').

The data, built the cheap way: the run's ~100,000-parcel database
(``common.Workspace.big_db``) is copied, a first digest signs its load, then 999 change
sets of about 900 parcels each grow it to 1,000,000 versions — written as
``bench/audit_as_of.py`` writes its history (its ``STEP_SQL`` and helpers: plain SQL
transactions that take the ledger lock, insert the change set, close the standing versions
and insert their successors; status changes alternating with compensated rezones), every
trigger on, so the rule, the ledger, the totals effects and the fingerprints are all real
— with a digest taken (in process, ``service.audit.digests.take_digest``) after each: each
signs one new ledger row and the ~900 versions it made. Building costs about what the
audit part's first stretch costs (a second or less per change set and a few ms per
digest); nothing is loaded twice. Where the 100k database cannot be built, or with
``--sample``, the sample's 1,090 parcels are grown instead, by status changes only (a
rezone writes only as many parcels as its compensation allows): the same 1,000,000
versions, about 900 per parcel.

Then timed: the command as a subprocess (median of ``VERIFY_RUNS``; it must say OK), and
in process its two halves — ``verify`` (today's checks) and ``verify_digests`` — with the
digests' own steps (reading and checking 1,000 signatures, the ledger rows, the walk over
the versions).

Part of ``bench/run.py`` (``run(ws)``; its PARTS entry: ``"digests": "ledger_digests"``);
alone: ``.venv/bin/python bench/ledger_digests.py`` (makes and drops its databases), or
``--database NAME --digests DIR --public-key PUB`` to time what is already built, or
``--versions``/``--count`` for a smaller run. Its digest directories (with the private
key) are left in ``bench/out/digests-*`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from audit_as_of import _Rotation, _step_sql, grow_one  # noqa: E402
from common import OUT_DIR, ROOT, Section, db_url, log, service_db_url  # noqa: E402

KEY = "digests"
TITLE = "Signed ledger digests: verify --digests over 1,000 digests and 1,000,000 versions"

DIGESTS = 1_000
TARGET_VERSIONS = 1_000_000
VERIFY_RUNS = 3
GOAL_VERIFY_S = 15.0
PARKS = ROOT / ".venv" / "bin" / "parks"


def _psycopg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@dataclass
class Build:
    """What was built and how long it took."""

    base_versions: int = 0
    versions: int = 0
    change_sets: int = 0
    digests: int = 0
    per_change_set: int = 0
    ledger_rows: int = 0
    grow_s: float = 0.0
    change_set_s: list[float] = field(default_factory=list)
    digest_s: list[float] = field(default_factory=list)
    directory: Path | None = None
    public_key: Path | None = None
    rezones: bool = True


def grow_with_digests(
    url: str,
    *,
    target_versions: int,
    digests: int,
    directory: Path,
    keys: Path,
    rezones: bool = True,
) -> Build:
    """A digest of the database as it is, then ``digests - 1`` change sets (status changes
    and — with *rezones* — compensated rezones, as bench/audit_as_of.py writes them), each
    followed by a digest, sized so the versions reach *target_versions* (a change set
    touches a parcel at most once: a small database may fall short of it; a rezone
    writes only as many parcels as its compensation allows, so without rezones the
    sample's 1,090 parcels reach 1,000,000 versions)."""
    import psycopg

    from service.audit.digest_keys import generate_key_pair, load_private_key
    from service.audit.digests import take_digest
    from service.db.engine import make_engine

    pair = generate_key_pair(keys)
    key = load_private_key(pair.private_path)
    build = Build(directory=directory, public_key=pair.public_path, rezones=rezones)
    engine = make_engine(url, pool_size=1, max_overflow=0)

    def digest() -> None:
        t0 = time.perf_counter()
        take_digest(engine, private_key=key, directory=directory)
        build.digest_s.append(time.perf_counter() - t0)
        build.digests += 1

    started = time.perf_counter()
    try:
        with psycopg.connect(_psycopg(url)) as conn:
            rows = conn.execute(
                "SELECT v.parcel_code, v.land_use_code, v.status, v.area_m2, c.is_manufacturing "
                "FROM parcel_version v JOIN land_use_class c ON c.code = v.land_use_code "
                "WHERE v.valid_to IS NULL ORDER BY md5(v.parcel_code)"
            ).fetchall()
            state = {code: [cls, status, area, mfg] for code, cls, status, area, mfg in rows}
            everyone = _Rotation([r[0] for r in rows])
            versions = conn.execute("SELECT count(*) FROM parcel_version").fetchone()[0]
            n = conn.execute("SELECT count(*) FROM change_set").fetchone()[0]
            conn.commit()
            build.base_versions = versions
            digest()
            step_sql = _step_sql(True)
            build.per_change_set = max(
                1, math.ceil((target_versions - versions) / max(digests - 1, 1))
            )
            while build.digests < digests:
                n += 1
                # rezones may write fewer than asked (compensation bounds them): the rest
                # are spread over the change sets left
                left = digests - build.digests
                size = max(1, math.ceil((target_versions - versions) / left))
                size = min(size, len(state))  # a parcel at most once per change set
                rezone = rezones and n % 2 == 0
                written, seconds = grow_one(
                    conn,
                    step_sql,
                    state,
                    everyone,
                    size,
                    rezone=rezone,
                    actor="bench digests",
                    document_no=f"摘要基准〔2026〕{n}号",
                )
                build.change_set_s.append(seconds)
                versions += written
                build.change_sets += 1
                digest()
                if build.digests % 100 == 0:
                    log(
                        f"{build.digests} digests, {versions:,} versions, "
                        f"{time.perf_counter() - started:.0f} s"
                    )
            build.versions = versions
            build.ledger_rows = conn.execute("SELECT count(*) FROM ledger").fetchone()[0]
    finally:
        engine.dispose()
    build.grow_s = time.perf_counter() - started
    return build


def _analyze(url: str) -> None:
    """Planner statistics and a vacuumed parcel_version, as autovacuum would keep them
    (it is off on the bench server)."""
    import psycopg

    with psycopg.connect(_psycopg(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) parcel_version")
        conn.execute("ANALYZE")


def time_command(database: str, directory: Path, public_key: Path, runs: int) -> dict[str, Any]:
    """``parks audit verify --digests DIR --public-key PUB --json`` as a subprocess,
    *runs* times: seconds each and the last body."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARKS_")}
    env["DATABASE_URL"] = service_db_url(database)
    command = [str(PARKS), "audit", "verify", "--digests", str(directory)]
    command += ["--public-key", str(public_key), "--json"]
    samples, body, code = [], {}, None
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        samples.append(time.perf_counter() - t0)
        code = done.returncode
        try:
            body = json.loads(done.stdout)
        except ValueError:
            body = {"error": done.stderr[-2000:]}
    return {"seconds": samples, "exit": code, "body": body}


def time_parts(database: str, directory: Path, public_key: Path) -> dict[str, float]:
    """In process: plain verify, then verify_digests and its steps."""
    from sqlalchemy import text

    from service.audit import digest_document as doc
    from service.audit.digest_keys import load_public_key
    from service.audit.digest_verify import verify_digests
    from service.audit.verify import verify
    from service.db.engine import make_engine

    key = load_public_key(public_key)
    engine = make_engine(db_url(database), pool_size=1, max_overflow=0)
    parts: dict[str, float] = {}
    try:
        with engine.connect() as conn:
            t0 = time.perf_counter()
            verify(conn)
            parts["verify() (today's checks), in process"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            checked = verify_digests(conn, directory=directory, public_key=key)
            parts["verify_digests(), in process"] = time.perf_counter() - t0
            parts["digests ok"] = float(checked.ok)
            t0 = time.perf_counter()
            files = [doc.read_digest_file(p) for p in doc.digest_paths(directory)]
            parts["  read and parse the digest files"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            assert all(doc.signature_valid(f.envelope, key) for f in files)
            parts["  check their signatures"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            conn.execute(text("SELECT seq, hash, change_set_id FROM ledger ORDER BY seq")).all()
            parts["  the ledger rows (SQL)"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            segment = doc.Segment()
            for version_id, _cs, fingerprint in conn.execute(
                text(
                    "SELECT version_id, change_set_id, content_sha256 FROM parcel_version "
                    "ORDER BY 1"
                ),
                execution_options={"yield_per": 20_000},
            ):
                segment.add(version_id, fingerprint)
            parts["  the walk over the versions, hashed"] = time.perf_counter() - t0
    finally:
        engine.dispose()
    return parts


def measure(database: str, build: Build) -> dict[str, Any]:
    _analyze(db_url(database))
    log("timing parks audit verify --digests")
    command = time_command(database, build.directory, build.public_key, VERIFY_RUNS)
    log(f"  {[round(s, 2) for s in command['seconds']]} s, exit {command['exit']}")
    parts = time_parts(database, build.directory, build.public_key)
    return {"build": build, "command": command, "parts": parts}


def section(results: dict[str, Any]) -> Section:
    build: Build = results["build"]
    command, parts = results["command"], results["parts"]
    body = command["body"]
    digests = body.get("digests", {})
    median = statistics.median(command["seconds"])
    out = Section(KEY, TITLE)
    out.add(
        "data: parcel versions; ledger rows; digests",
        f"{digests.get('versions_checked', build.versions):,}; "
        f"{build.ledger_rows or digests.get('rows_checked', 0):,}; "
        f"{digests.get('digests_valid', build.digests):,}",
    )
    out.add(
        f"parks audit verify --digests (subprocess), median of {len(command['seconds'])}",
        f"{median:.2f} s",
        f"<= {GOAL_VERIFY_S:.0f} s",
        median <= GOAL_VERIFY_S and command["exit"] == 0,
        note=f"{min(command['seconds']):.2f}–{max(command['seconds']):.2f} s; exit "
        f"{command['exit']}; ok = {body.get('ok')}",
    )
    for name in ("verify() (today's checks), in process", "verify_digests(), in process"):
        out.add(name, f"{parts[name]:.2f} s")
    if build.digest_s:
        out.add(
            "parks audit digest (take_digest in process): median per digest",
            f"{statistics.median(build.digest_s) * 1000:.1f} ms",
            note=f"max {max(build.digest_s) * 1000:.1f} ms; the first (the whole load, "
            f"{build.base_versions:,} versions) {build.digest_s[0] * 1000:.0f} ms",
        )
    kinds = "status changes" + (" alternating with compensated rezones" if build.rezones else "")
    out.details += [
        f"The data: the run's {build.base_versions:,}-version database, a digest of it, then "
        f"{build.change_sets:,} change sets of about {build.per_change_set:,} parcels each "
        f"({kinds}, bench/audit_as_of.py's SQL, every trigger on), each followed by a "
        f"digest: {build.grow_s:.0f} s in all "
        f"(median {statistics.median(build.change_set_s or [0]):.2f} s per change set).",
        "",
        "| step of the verification (in process) | time |",
        "|---|---:|",
    ]
    for name, seconds in parts.items():
        if name != "digests ok":
            out.details.append(f"| {name} | {seconds:.2f} s |")
    out.details.append("")
    return out


def run(ws) -> Section:
    """bench/run.py's entry: build the digested history and time the verification."""
    try:
        source, rezones = ws.big_db(), True
    except RuntimeError as exc:
        # What is measured is the walk over 1,000,000 versions, whichever parcels they
        # are versions of: the sample serves when the 100k database cannot be built.
        log(f"{exc}; growing the sample instead (status changes only)")
        source, rezones = ws.sample_db(), False
    name = ws.dbs.create("digests_1m", template=source)
    _analyze(db_url(name))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="digests-", dir=OUT_DIR))
    build = grow_with_digests(
        db_url(name),
        target_versions=TARGET_VERSIONS,
        digests=DIGESTS,
        directory=work / "digests",
        keys=work / "keys",
        rezones=rezones,
    )
    return section(measure(name, build))


def main(argv: list[str] | None = None) -> int:
    import common

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="time this already built database; build nothing")
    parser.add_argument("--digests", type=Path, help="with --database: its digests")
    parser.add_argument("--public-key", type=Path, help="with --database: their key")
    parser.add_argument("--versions", type=int, default=TARGET_VERSIONS)
    parser.add_argument("--count", type=int, default=DIGESTS, help="digests to take")
    parser.add_argument(
        "--sample",
        action="store_true",
        help="grow the sample (status changes only), not ~100,000 parcels",
    )
    parser.add_argument(
        "--load-timeout", type=float, default=90.0, help="statement timeout (s) of the 100k load"
    )
    parser.add_argument("--no-write", action="store_true", help="print, don't touch RESULTS.md")
    args = parser.parse_args(argv)
    started = time.time()
    load_before = common.load_average()
    dbs = common.Databases()
    try:
        if args.database:
            build = Build(directory=args.digests, public_key=args.public_key)
            results = measure(args.database, build)
            machine = common.machine(args.database)
        else:
            ws = common.Workspace(dbs, load_timeout_s=args.load_timeout)
            source = ws.sample_db() if args.sample else ws.big_db()
            name = dbs.create("digests_1m", template=source)
            _analyze(db_url(name))
            OUT_DIR.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix="digests-", dir=OUT_DIR))
            build = grow_with_digests(
                db_url(name),
                target_versions=args.versions,
                digests=args.count,
                directory=work / "digests",
                keys=work / "keys",
                rezones=not args.sample,
            )
            results = measure(name, build)
            machine = common.machine(name)
    finally:
        dbs.drop_all()
    result = section(results)
    common.publish_standalone(
        result,
        key=KEY,
        machine=machine,
        started=started,
        load_before=load_before,
        write=not args.no_write,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
